"""One load process of the benchmarks: the limit's raw client, our worker or the official one.

Run as ``python -m benchmarks._runner '<spec as JSON>'``; it prints ``ready`` once it has
started and runs until SIGTERM (the workers then stop as their users would stop them). The spec:

- ``kind``: ``limit`` (the leanest raw asyncio client, :mod:`benchmarks._raw_client`),
  ``ceiling`` (the old reference: a raw sync httpx loop, activate 32, complete each; the loop
  of ``engine_throughput``, always job type ``bench``), ``ours``
  (:class:`camunda_worker.worker.JobWorker`), ``cli`` (``camunda-worker run --processes N``
  serving :mod:`benchmarks._scale_target`) or ``official`` (``camunda-orchestration-sdk``'s
  ``JobWorker``; the official TypeScript worker runs under node, see
  :mod:`benchmarks._official_ts`);
- ``url``: the engine's ``/v2`` address; ``job_type``;
- ``strategy`` (``async``, ``thread``, ``process``), ``handler`` (a name in
  :data:`benchmarks._handlers.HANDLERS`), ``max_concurrent_jobs``, ``timeout_ms`` and
  ``request_timeout_ms``: the same settings for both workers; ``pool_size``, for our process
  strategy only (default: the worker's own).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

CEILING_SECONDS = 3_600.0  # the harness stops the ceiling loop; this only bounds a lost one


def run_ceiling(spec: dict[str, Any]) -> None:
    from benchmarks.engine_throughput import drive

    print("ready", flush=True)
    drive(spec["url"], CEILING_SECONDS)  # its job type is always "bench"


def run_limit(spec: dict[str, Any]) -> None:
    from benchmarks._raw_client import run

    run(spec)


def run_cli(spec: dict[str, Any]) -> None:
    # `camunda-worker run --processes N` in place of this process (the harness's SIGTERM and
    # its CPU reading of the process tree reach the supervisor and its children directly).
    env = {
        **os.environ,
        "CAMUNDA_REST_ADDRESS": spec["url"].removesuffix("/v2"),
        "CAMUNDA_WORKER_TIMEOUT": str(spec["timeout_ms"]),
        "CAMUNDA_WORKER_REQUEST_TIMEOUT": str(spec["request_timeout_ms"]),
        "BENCH_JOB_TYPE": spec["job_type"],
        "BENCH_MAX_CONCURRENT_JOBS": str(spec["max_concurrent_jobs"]),
    }
    command = [sys.executable, "-m", "camunda_worker", "run"]
    command += ["benchmarks._scale_target", "--processes", str(spec["processes"])]
    command += ["--log-level", "warn"]  # no line per job: the handler's CPU is what is measured
    print("ready", flush=True)
    os.execve(sys.executable, command, env)


def run_ours(spec: dict[str, Any]) -> None:
    from benchmarks._handlers import HANDLERS
    from camunda_worker import WorkerConfig
    from camunda_worker.worker import JobWorker

    worker = JobWorker(
        HANDLERS[spec["handler"]],
        WorkerConfig(
            spec["job_type"],
            job_timeout_milliseconds=spec["timeout_ms"],
            max_concurrent_jobs=spec["max_concurrent_jobs"],
            request_timeout_milliseconds=spec["request_timeout_ms"],
            worker_name="bench",
        ),
        execution_strategy=spec["strategy"],
        settings={"CAMUNDA_REST_ADDRESS": spec["url"]},
        drain_timeout=10.0,
        **({"process_pool_size": spec["pool_size"]} if "pool_size" in spec else {}),
    )
    print("ready", flush=True)
    worker.run()  # drains and returns on SIGTERM


async def _official(spec: dict[str, Any]) -> None:
    from camunda_orchestration_sdk import CamundaAsyncClient
    from camunda_orchestration_sdk.runtime.job_worker import WorkerConfig
    from loguru import logger

    from benchmarks._handlers import HANDLERS

    logger.remove()  # its default sink prints a debug line per job to stderr; users set a level
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    client = CamundaAsyncClient(
        configuration={
            "CAMUNDA_REST_ADDRESS": spec["url"],
            "CAMUNDA_AUTH_STRATEGY": "NONE",
            "CAMUNDA_SDK_LOG_LEVEL": "error",
        }
    )
    worker = client.create_job_worker(
        WorkerConfig(
            job_type=spec["job_type"],
            job_timeout_milliseconds=spec["timeout_ms"],
            max_concurrent_jobs=spec["max_concurrent_jobs"],
            request_timeout_milliseconds=spec["request_timeout_ms"],
            worker_name="bench",
        ),
        HANDLERS[spec["handler"]],
        execution_strategy=spec["strategy"],
    )
    print("ready", flush=True)
    await stop.wait()
    await worker.aclose()
    await client.aclose()


def main() -> None:
    spec = json.loads(sys.argv[1])
    kind = spec["kind"]
    if kind == "ceiling":
        run_ceiling(spec)
    elif kind == "limit":
        run_limit(spec)
    elif kind == "cli":
        run_cli(spec)
    elif kind == "ours":
        run_ours(spec)
    elif kind == "official":
        asyncio.run(_official(spec))
    else:
        raise SystemExit(f"unknown kind {kind!r}")


if __name__ == "__main__":
    main()
