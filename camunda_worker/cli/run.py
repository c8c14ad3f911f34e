"""``camunda-worker run MODULE_OR_FILE``: run the handlers a module registers, configured by env.

Everything but the handlers comes from ``CAMUNDA_*`` / ``CAMUNDA_WORKER_*`` settings (environment,
``--env-file``, ``--set KEY=VALUE``); a ``@task(...)`` option wins over them for its job type.
One worker per job type, all on one event loop sharing one client; SIGINT/SIGTERM drain them.

Exit codes: 0 after a clean drain; 2 for a configuration error, found before any job is
activated (bad setting, module not found or registering no handler, a handler that cannot run
in its strategy, a port that cannot be bound); 3 when a worker failed (credentials refused,
403, a job type the cluster rejects): the message names the job type and the error; 4 when the
workers stopped but abandoned jobs still in flight (the drain timeout passed, or a second
signal): those jobs are activated again after their job timeout; 5 under ``--limit`` or
``--run-timeout`` when no request to the cluster ever succeeded. ``--processes N`` runs N such
processes under a supervisor (``camunda_worker.cli._supervisor``, which says its exit codes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from camunda_worker._base.errors import AuthenticationError, ConfigurationError, UnauthorizedError
from camunda_worker._client.connection import async_client_from_settings
from camunda_worker.cli._endpoints import Endpoint, metrics_observer, start_endpoints
from camunda_worker.cli._logging import LOG_LEVELS, say, setup_cli_logging
from camunda_worker.cli._settings_args import (
    add_settings_arguments,
    report_configuration_error,
    resolve_from_arguments,
)
from camunda_worker.cli._supervisor import Supervisor, child_arguments
from camunda_worker.cli._workers import build_workers, serve_until
from camunda_worker.worker._registry import load_tasks

if TYPE_CHECKING:
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker.worker import JobWorker
    from camunda_worker.worker._registry import TaskDefinition

__all__ = ["build_parser", "import_from_current_directory", "main"]

_ANNOUNCE_INTERVAL = 0.05
_WATCH_DRAIN_SECONDS = 10  # a restart gives the jobs in flight this long (SIGINT, then SIGKILL)

EXIT_OK = 0
EXIT_CONFIGURATION = 2
EXIT_WORKER_FAILED = 3
EXIT_ABANDONED = 4
EXIT_UNREACHABLE = 5
EXIT_INTERRUPTED = 130


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser (docs/cli.md is tested against it)."""
    parser = argparse.ArgumentParser(
        prog="camunda-worker run",
        description="Run the job handlers that MODULE_OR_FILE registers (with @camunda_worker.task "
        "or a TaskRegistry): one worker per job type, configured by CAMUNDA_* and "
        "CAMUNDA_WORKER_* settings. SIGINT/SIGTERM drain the workers.",
        epilog="exit codes: 0 clean drain, 2 configuration error (nothing was activated), "
        "3 a worker failed (e.g. authentication refused), 4 stopped with jobs abandoned (drain "
        "timeout or a second signal), 5 under --limit/--run-timeout: the cluster was never "
        "reached",
    )
    parser.add_argument("target", metavar="MODULE_OR_FILE", help="e.g. shop.handlers or tasks.py")
    parser.add_argument(
        "--job-type",
        dest="job_types",
        action="append",
        default=[],
        metavar="TYPE",
        help="run only this job type of the module (repeatable; default: every one)",
    )
    parser.add_argument(
        "-c",
        "--concurrency",
        type=_positive_int,
        metavar="N",
        help="most jobs each worker runs at once (CAMUNDA_WORKER_MAX_CONCURRENT_JOBS; "
        "a @task max_concurrent_jobs wins)",
    )
    parser.add_argument(
        "--strategy",
        choices=("auto", "async", "thread", "process"),
        help="where handlers run (CAMUNDA_WORKER_EXECUTION_STRATEGY; a @task strategy wins)",
    )
    parser.add_argument(
        "--processes",
        type=_positive_int,
        default=1,
        metavar="N",
        help="run N worker processes under one supervisor that forwards signals and restarts "
        "a process that dies (default 1: no supervisor); process i serves health and metrics "
        "on PORT+i",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="restart when a .py file under the current directory changes (for development; "
        "needs the watch extra: pip install 'camunda-worker[watch]')",
    )
    parser.add_argument(
        "--limit", type=_positive_int, metavar="N", help="stop once N jobs have finished"
    )
    parser.add_argument(
        "--run-timeout", type=_positive_float, metavar="SECONDS", help="stop after SECONDS"
    )
    parser.add_argument(
        "--health-port",
        type=int,
        metavar="PORT",
        help="serve /livez and /readyz on PORT, 0 picks one (CAMUNDA_WORKER_HEALTH_PORT)",
    )
    parser.add_argument(
        "--health-host", metavar="HOST", help="interface of the health endpoints (127.0.0.1)"
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve Prometheus metrics on PORT, 0 picks one (CAMUNDA_WORKER_METRICS_PORT)",
    )
    parser.add_argument(
        "--metrics-host", metavar="HOST", help="interface of the metrics endpoint (127.0.0.1)"
    )
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        help="the library's log level (CAMUNDA_SDK_LOG_LEVEL; default info)",
    )
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="stderr log format"
    )
    add_settings_arguments(parser)
    return parser


def _flag_settings(arguments: argparse.Namespace) -> dict[str, object]:
    flags = {
        "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS": arguments.concurrency,
        "CAMUNDA_WORKER_EXECUTION_STRATEGY": arguments.strategy,
        "CAMUNDA_WORKER_HEALTH_PORT": arguments.health_port,
        "CAMUNDA_WORKER_HEALTH_HOST": arguments.health_host,
        "CAMUNDA_WORKER_METRICS_PORT": arguments.metrics_port,
        "CAMUNDA_WORKER_METRICS_HOST": arguments.metrics_host,
        "CAMUNDA_SDK_LOG_LEVEL": arguments.log_level,
    }
    return {name: value for name, value in flags.items() if value is not None}


def _error(message: str, code: int) -> int:
    say(f"camunda-worker: {message}", stream=sys.stderr)
    return code


def main(argv: Sequence[str]) -> int:
    """Run ``camunda-worker run``; return the exit code (0, 2, 3 or 4: see the module docstring)."""
    arguments = build_parser().parse_args(argv)
    if arguments.processes > 1 or arguments.watch:  # this process only starts others
        return _delegate(arguments, argv)
    try:
        resolved = resolve_from_arguments(arguments, _flag_settings(arguments))
        settings = resolved.settings
        setup_cli_logging(settings.sdk_log_level or "info", json=arguments.log_format == "json")
        for name, suggestion in resolved.unknown_keys:
            hint = f" (did you mean {suggestion}?)" if suggestion else ""
            say(f"camunda-worker: warning: unknown setting {name}{hint}", stream=sys.stderr)
        definitions = _select(_load(arguments.target), arguments.job_types, arguments.target)
        return asyncio.run(_run(arguments, settings, definitions))
    except ConfigurationError as error:
        return report_configuration_error(error)
    except ImportError as error:  # the metrics extra is missing
        return _error(str(error), EXIT_CONFIGURATION)
    except OSError as error:
        return _error(f"cannot listen: {error}", EXIT_CONFIGURATION)
    except KeyboardInterrupt:  # before the workers' own signal handling was in place
        return EXIT_INTERRUPTED


def _delegate(arguments: argparse.Namespace, argv: Sequence[str]) -> int:
    if arguments.processes > 1:
        return _supervise(arguments, argv)
    return _watch(arguments, [arg for arg in argv if arg != "--watch"])


def _supervise(arguments: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run ``argv`` in ``--processes`` child processes under a :class:`Supervisor`."""
    if arguments.watch:
        return _error("--watch runs one process; it cannot be combined with --processes", 2)
    try:
        settings = resolve_from_arguments(arguments, _flag_settings(arguments)).settings
    except ConfigurationError as error:
        return report_configuration_error(error)
    single = [*argv, "--processes", "1"]  # the last one wins: each child runs one process

    def command(index: int) -> list[str]:
        arguments = child_arguments(single, settings, index)
        return [sys.executable, "-m", "camunda_worker", "run", *arguments]

    supervisor = Supervisor(
        command,
        arguments.processes,
        bounded=arguments.limit is not None or arguments.run_timeout is not None,
        say=lambda line: say(f"camunda-worker: {line}"),
    )
    return supervisor.run()


def _watch(arguments: argparse.Namespace, argv: list[str]) -> int:
    """Run ``camunda-worker run`` (without ``--watch``) in a child, restarted on code changes."""
    try:
        import watchfiles  # noqa: PLC0415 - the optional watch extra
    except ImportError:
        return _error(
            "--watch needs the watchfiles package: pip install 'camunda-worker[watch]'",
            EXIT_CONFIGURATION,
        )
    paths = {os.getcwd()}
    target = Path(arguments.target)
    if target.is_file():
        paths.add(str(target.resolve().parent))
    command = shlex.join([sys.executable, "-m", "camunda_worker", "run", *argv])

    def restarting(changes: set[tuple[watchfiles.Change, str]]) -> None:
        names = sorted({Path(path).name for _, path in changes})
        say(f"camunda-worker: {', '.join(names)} changed; restarting")

    say(f"camunda-worker: watching {', '.join(sorted(paths))} for changes")
    watchfiles.run_process(
        *sorted(paths),
        target=command,
        target_type="command",
        callback=restarting,
        watch_filter=watchfiles.PythonFilter(),
        sigint_timeout=_WATCH_DRAIN_SECONDS,
    )
    return EXIT_OK


def import_from_current_directory() -> None:
    """Put the current directory first on ``sys.path``, as uvicorn, arq and celery do.

    ``python -m camunda_worker`` has it there already; the installed ``camunda-worker`` script
    has its own ``bin`` folder there instead, so ``run handlers`` would not find ``handlers.py``.
    """
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)


def _load(target: str) -> list[TaskDefinition]:
    import_from_current_directory()
    try:
        return load_tasks(target)
    except ConfigurationError:
        raise
    except Exception as error:  # the user's module failed to import: show where and why
        details = traceback.format_exc(limit=-8).rstrip()
        raise ConfigurationError(f"importing {target} failed:\n{details}") from error


def _select(
    definitions: list[TaskDefinition], job_types: list[str], target: str
) -> list[TaskDefinition]:
    if not job_types:
        return definitions
    registered = {definition.job_type for definition in definitions}
    unknown = [job_type for job_type in job_types if job_type not in registered]
    if unknown:
        raise ConfigurationError(
            f"--job-type {', '.join(unknown)}: {target} registers no such job type "
            f"(it registers {', '.join(sorted(registered))})"
        )
    return [definition for definition in definitions if definition.job_type in job_types]


async def _run(
    arguments: argparse.Namespace, settings: CamundaSettings, definitions: list[TaskDefinition]
) -> int:
    metrics = metrics_observer(settings)
    client = async_client_from_settings(settings)
    endpoints: list[Endpoint] = []
    try:
        workers = build_workers(
            definitions, settings=settings, client=client, observers=[metrics] if metrics else []
        )
        endpoints = start_endpoints(settings, workers, metrics)
        kinds = ", ".join(f"{worker.job_type} ({worker.strategy})" for worker in workers)
        banner = asyncio.ensure_future(
            _announce(workers, f"camunda-worker: polling {settings.rest_address} for {kinds}")
        )
        try:
            await serve_until(workers, limit=arguments.limit, run_timeout=arguments.run_timeout)
        except Exception as error:  # noqa: BLE001 - reported per worker below
            return _report_failures(workers, error)
        finally:
            banner.cancel()
        _report_totals(workers)
        bounded = arguments.limit is not None or arguments.run_timeout is not None
        if bounded and not _reached(workers):
            return _error(
                f"no request to {settings.rest_address} ever succeeded (the warnings above say "
                "why)",
                EXIT_UNREACHABLE,
            )
        return _report_abandoned(workers)
    finally:
        for endpoint in reversed(endpoints):
            endpoint.stop()
        await client.aclose()


def _reached(workers: list[JobWorker]) -> bool:
    return any(worker.last_successful_poll is not None for worker in workers)


async def _announce(workers: list[JobWorker], banner: str) -> None:
    """Print the banner once a worker's activation succeeded: it promises a working connection."""
    while True:
        if _reached(workers):
            say(banner)
            return
        await asyncio.sleep(_ANNOUNCE_INTERVAL)


def _report_failures(workers: list[JobWorker], raised: Exception) -> int:
    failed = [worker for worker in workers if worker.error is not None]
    if not failed:
        return _error(f"the workers stopped: {type(raised).__name__}: {raised}", 1)
    for worker in failed:
        error = worker.error
        if isinstance(error, AuthenticationError | UnauthorizedError):
            what = "authentication failed"
        else:
            what = "the worker failed"
        say(
            f"camunda-worker: {what} for job type {worker.job_type!r}: "
            f"{type(error).__name__}: {error}",
            stream=sys.stderr,
        )
    return EXIT_WORKER_FAILED


def _report_abandoned(workers: list[JobWorker]) -> int:
    abandoned = [worker for worker in workers if worker.stats.abandoned]
    for worker in abandoned:
        say(
            f"camunda-worker: {worker.job_type}: {worker.stats.abandoned} job(s) abandoned at "
            "shutdown; they will be activated again after their job timeout",
            stream=sys.stderr,
        )
    return EXIT_ABANDONED if abandoned else EXIT_OK


def _report_totals(workers: list[JobWorker]) -> None:
    for worker in workers:
        stats = worker.stats
        say(
            f"camunda-worker: {worker.job_type}: {stats.completed} completed, {stats.failed} "
            f"failed, {stats.errors_thrown} BPMN errors, {stats.acknowledged_by_handler} "
            f"acknowledged by the handler"
        )
