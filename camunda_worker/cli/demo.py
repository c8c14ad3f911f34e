"""``camunda-worker demo``: an order process on the built-in engine, from start to summary.

Starts the in-memory engine over TCP on 127.0.0.1 (a free port), deploys the demo order process
(async, thread and process handlers, an exclusive gateway, a BPMN error caught by a boundary
event), starts ``--instances`` orders, runs one worker per job type with a live progress line,
and prints a summary. Exit code 0 only when every order reached the end its data calls for, with
no incident; 1 otherwise. The user's ``CAMUNDA_*`` environment is ignored: the demo talks only
to its own engine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from importlib import resources
from typing import Any

from camunda_worker._client.connection import async_client_from_settings
from camunda_worker._config.settings import CamundaSettings
from camunda_worker.cli._logging import LOG_LEVELS, setup_cli_logging
from camunda_worker.cli._workers import build_workers, finished_jobs, serve_until
from camunda_worker.demo._orders import PROCESS_ID, make_orders
from camunda_worker.demo._progress import Progress, Snapshot
from camunda_worker.demo._rules import expected_outcome
from camunda_worker.demo._summary import Verdict, render_summary
from camunda_worker.demo.handlers import registry

__all__ = ["build_parser", "main"]

_BPMN = "order-process.bpmn"


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser (docs/cli.md is tested against it)."""
    parser = argparse.ArgumentParser(
        prog="camunda-worker demo",
        description="Run a demo order process on the built-in Camunda engine: async, thread and "
        "process handlers, a gateway and a caught BPMN error, with a live progress line and a "
        "summary.",
    )
    parser.add_argument(
        "--instances", type=int, default=300, metavar="N", help="orders to run (default 300)"
    )
    parser.add_argument("--seed", type=int, default=8, help="random seed of the orders")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="give up after SECONDS (default 120)",
    )
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="error",
        help="the library's log level on stderr (default error)",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """Run ``camunda-worker demo``; return 0 when every order ended as expected, else 1."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.instances < 1:
        parser.error("--instances must be at least 1")
    setup_cli_logging(arguments.log_level)
    try:
        from camunda_worker.engine import Engine, EngineServer  # noqa: PLC0415 - keeps --help fast
        from camunda_worker.engine._http.server import ServerDependencyError  # noqa: PLC0415

        # Keep every instance of the run inspectable for the verdict.
        engine = Engine(retention=max(10_000, 2 * arguments.instances))
        server = EngineServer(engine)
        server.start()
    except ServerDependencyError as error:
        print(f"camunda-worker demo: {error}", file=sys.stderr)
        return 1
    try:
        print(f"camunda-worker demo: built-in engine listening on {server.url}", flush=True)
        return asyncio.run(_demo(arguments, engine, server.url))
    except KeyboardInterrupt:  # before the workers' own signal handling was in place
        return 130
    finally:
        server.stop()
        engine.close()


async def _demo(arguments: argparse.Namespace, engine: Any, url: str) -> int:
    settings = CamundaSettings(rest_address=url, worker_timeout=30_000)
    client = async_client_from_settings(settings)
    try:
        bpmn = resources.files("camunda_worker.demo").joinpath(_BPMN).read_bytes()
        await client.deploy_resources([(_BPMN, bpmn)])
        workers = build_workers(list(registry), settings=settings, client=client)
        orders = make_orders(arguments.instances, arguments.seed)
        kinds = ", ".join(f"{worker.job_type} ({worker.strategy})" for worker in workers)
        print(
            f"camunda-worker demo: deployed {PROCESS_ID}; starting {len(orders)} orders; "
            f"workers: {kinds}",
            flush=True,
        )
        run = _Run(engine, workers, len(orders))
        progress = Progress(len(orders), sys.stdout)
        instances = _start(engine, orders, run)
        begin = time.monotonic()
        drawing = asyncio.ensure_future(_draw(progress, run, begin))
        try:
            await serve_until(workers, run_timeout=arguments.timeout, stop_when=run.done)
        finally:
            drawing.cancel()
            await asyncio.wait([drawing])
        elapsed = time.monotonic() - begin
        progress.finish(run.snapshot(elapsed))
        verdict = _verdict(engine, instances, len(orders), elapsed)
        print(render_summary(workers, verdict), flush=True)
        return 0 if verdict.ok else 1
    finally:
        await client.aclose()


class _Run:
    """What the stop condition and the progress line read: the engine's and workers' counters."""

    def __init__(self, engine: Any, workers: Sequence[Any], total: int) -> None:
        self._engine = engine
        self._workers = workers
        self.total = total
        self.started = 0

    def snapshot(self, elapsed: float) -> Snapshot:
        stats = self._engine.stats()
        return Snapshot(
            started=self.started,
            ended=stats.process_instances_completed,
            jobs=finished_jobs(self._workers),
            incidents=stats.incidents_created,
            elapsed=elapsed,
        )

    def done(self) -> bool:
        """Every instance ended, or is stuck on an incident."""
        stats = self._engine.stats()
        return (
            self.started == self.total
            and stats.process_instances_completed + stats.incidents_created >= self.total
        )


def _start(engine: Any, orders: list[dict[str, Any]], run: _Run) -> dict[str, dict[str, Any]]:
    """Start every order (straight in the engine: the workers' throughput is what is shown)."""
    instances = {}
    for order in orders:
        created = engine.create_process_instance(process_definition_id=PROCESS_ID, variables=order)
        instances[str(created["processInstanceKey"])] = order
        run.started += 1
    return instances


async def _draw(progress: Progress, run: _Run, begin: float) -> None:
    while True:
        progress.update(run.snapshot(time.monotonic() - begin))
        await asyncio.sleep(progress.interval / 2)


def _verdict(
    engine: Any, instances: dict[str, dict[str, Any]], total: int, elapsed: float
) -> Verdict:
    outcomes: dict[str, int] = {}
    wrong: list[tuple[str, str]] = []
    for key, order in instances.items():
        expected = expected_outcome(order)
        view = engine.process_instance(key)
        reached = view.variables.get("outcome")
        if view.state != "COMPLETED":
            wrong.append((key, f"is {view.state} at {', '.join(view.active_element_ids)}"))
        elif reached != expected:
            wrong.append((key, f"ended {reached!r}, expected {expected!r}"))
        else:
            outcomes[expected] = outcomes.get(expected, 0) + 1
    if len(instances) < total:
        wrong.append(("-", f"only {len(instances)} of {total} orders were started"))
    return Verdict(
        instances=len(instances),
        outcomes=outcomes,
        wrong=wrong,
        incidents=len(engine.incidents()),
        elapsed=elapsed,
    )
