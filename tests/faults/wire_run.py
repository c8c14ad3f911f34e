"""Run a worker end to end on one event loop and print what happened as JSON (one line).

``python -O tests/faults/wire_run.py uvloop 6``: serves an engine on loopback, starts 6 order
instances, runs an ``async`` worker on a uvloop (or ``asyncio``) event loop until every instance
completed (or 60 s passed), and prints the end state. Used by ``test_event_loops.py`` to run the
worker where ``assert`` statements are gone (``-O``); it checks nothing itself.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from testing.bpmn import ORDER_BPMN

from camunda_worker import CamundaAsyncClient, WorkerConfig
from camunda_worker.engine import Engine, EngineServer
from camunda_worker.worker import JobWorker


async def charge(job: Any) -> dict[str, Any]:
    return {"charged": job.variables["order"] * 10}


async def main(loop_name: str, jobs: int) -> dict[str, Any]:
    engine = Engine()
    engine.deploy([("order.bpmn", ORDER_BPMN.encode())])
    keys = [
        str(
            engine.create_process_instance(process_definition_id="order", variables={"order": n})[
                "processInstanceKey"
            ]
        )
        for n in range(jobs)
    ]
    with EngineServer(engine) as server:
        async with CamundaAsyncClient(server.url) as client:
            worker = JobWorker(
                charge,
                WorkerConfig(job_type="charge", job_timeout_milliseconds=30_000),
                client=client,
                settings={"rest_address": server.url},
            )
            async with worker:
                give_up = time.monotonic() + 60
                while time.monotonic() < give_up and any(  # noqa: ASYNC110 - another thread's
                    engine.process_instance(key).state != "COMPLETED" for key in keys
                ):
                    await asyncio.sleep(0.01)
            lane = client._wire is not None
    instances = [engine.process_instance(key) for key in keys]
    return {
        "optimize": sys.flags.optimize,
        "loop": loop_name,
        "lane": lane,
        "instances": [instance.state for instance in instances],
        "charged": [instance.variables.get("charged") for instance in instances],
        "worker": {
            "state": worker.state.value,
            "error": None if worker.error is None else repr(worker.error),
            "completed": worker.stats.completed,
        },
    }


if __name__ == "__main__":
    loop_name, jobs = sys.argv[1], int(sys.argv[2])
    if loop_name == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    try:
        result = loop.run_until_complete(main(loop_name, jobs))
    finally:
        loop.close()
    print(json.dumps(result))
