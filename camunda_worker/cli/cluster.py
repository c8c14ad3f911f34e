"""Shell commands against a cluster, in the spirit of zbctl and c8ctl.

``deploy``, ``start``, ``instances``, ``jobs``, ``incidents``, ``publish`` and ``status`` talk to the cluster the ``CAMUNDA_*`` settings describe (the built-in engine or a real
one), with the same address, credentials and TLS as ``camunda-worker run``, through the
project's own client. They print a table (or a short line) for a person, or with ``--json`` the
API's own documents (camelCase, as on the wire) for a script.

Exit codes: 0 done (``status``: the cluster is ready); 1 the cluster refused the request (the
message carries its problem detail: an unknown process, an invalid BPMN...), or ``status`` found
it not ready, or ``start --await`` did not see the instance complete in time; 2 a usage or
configuration error (a bad flag, setting, ``--var`` or file), found before anything is sent;
3 the credentials were refused (401, 403, or the token endpoint said no); 4 the cluster cannot be
reached (connection refused, timed out).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from camunda_worker._base.errors import (
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    ProblemError,
    TransportError,
    UnauthorizedError,
)
from camunda_worker._client.connection import sync_client_from_settings
from camunda_worker.cli._settings_args import (
    add_settings_arguments,
    report_configuration_error,
    resolve_from_arguments,
)
from camunda_worker.cli._tables import render_table
from camunda_worker.cli._variables import parse_variables

if TYPE_CHECKING:
    from pydantic import BaseModel

    from camunda_worker._client import CamundaClient

__all__ = [
    "COMMANDS",
    "EXIT_CONFIGURATION",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNAUTHORIZED",
    "EXIT_UNREACHABLE",
    "build_parser",
    "deploy",
    "incidents",
    "instances",
    "jobs",
    "main",
    "publish",
    "start",
    "status",
]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_CONFIGURATION = 2
EXIT_UNAUTHORIZED = 3
EXIT_UNREACHABLE = 4

_EPILOG = (
    "exit codes: 0 done, 1 the cluster refused the request (or is not ready), 2 usage or "
    "configuration error, 3 credentials refused, 4 cluster unreachable"
)

_INSTANCE_STATES = ("ACTIVE", "COMPLETED", "TERMINATED")
_JOB_STATES = (
    "CREATED",
    "COMPLETED",
    "CANCELED",
    "FAILED",
    "RETRIES_UPDATED",
    "TIMED_OUT",
    "ERROR_THROWN",
    "MIGRATED",
)
_INCIDENT_STATES = ("ACTIVE", "RESOLVED", "MIGRATED", "PENDING")


class _RefusedError(Exception):
    """The command ran but its outcome is a failure (exit 1), e.g. a cluster not ready."""


def _document(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, sort_keys=False))


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


def _add_variables(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--variables",
        metavar="JSON",
        help="the variables as one JSON object, e.g. '{\"amount\": 12}'",
    )
    parser.add_argument(
        "--var",
        dest="pairs",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one variable (repeatable; wins over --variables); VALUE is read as JSON when it "
        "is valid JSON (12, true, [1]), else as text",
    )


def _add_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit",
        type=_positive_int,
        default=100,
        metavar="N",
        help="list at most N (default 100, the newest last)",
    )


def _base_parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"camunda-worker {command}", description=description, epilog=_EPILOG
    )
    parser.add_argument(
        "--json", action="store_true", help="print the API's JSON documents instead of a table"
    )
    add_settings_arguments(parser)
    return parser


# --- the commands: each reads its arguments, calls the client and prints -----------------------


def _deploy_parser() -> argparse.ArgumentParser:
    parser = _base_parser("deploy", "Deploy BPMN (and DMN, form) files in one deployment.")
    parser.add_argument("files", nargs="+", metavar="FILE", help="a .bpmn, .dmn or .form file")
    parser.add_argument("--tenant-id", metavar="ID", help="deploy for this tenant")
    return parser


def _deploy(client: CamundaClient, arguments: argparse.Namespace) -> None:
    paths = [Path(name) for name in arguments.files]
    for path in paths:
        if not path.is_file():
            raise ConfigurationError(f"no such file: {path}")
    result = client.deploy_resources(paths, tenant_id=arguments.tenant_id)
    if arguments.json:
        _print_json(_document(result))
        return
    print(f"deployment {result.deployment_key}")
    if result.processes:
        rows = [
            (
                process.process_definition_id,
                process.process_definition_version,
                process.process_definition_key,
                process.resource_name,
            )
            for process in result.processes
        ]
        print(render_table(("process id", "version", "key", "resource"), rows))


def _start_parser() -> argparse.ArgumentParser:
    parser = _base_parser(
        "start", "Start a process instance of the latest (or --version) deployed process."
    )
    parser.add_argument("process_id", metavar="PROCESS_ID", help="the BPMN process id")
    parser.add_argument("--version", type=_positive_int, metavar="N", help="this version")
    _add_variables(parser)
    parser.add_argument(
        "--await",
        dest="await_completion",
        action="store_true",
        help="wait until the instance completes and print its variables",
    )
    parser.add_argument(
        "--await-timeout",
        type=_positive_float,
        default=60.0,
        metavar="SECONDS",
        help="how long --await waits (default 60)",
    )
    parser.add_argument("--tenant-id", metavar="ID", help="start it for this tenant")
    return parser


def _start(client: CamundaClient, arguments: argparse.Namespace) -> None:
    variables = parse_variables(arguments.variables, arguments.pairs)
    created = client.create_process_instance(
        process_definition_id=arguments.process_id,
        version=arguments.version,
        variables=variables,
        tenant_id=arguments.tenant_id,
        await_completion=arguments.await_completion,
        request_timeout=round(arguments.await_timeout * 1000)
        if arguments.await_completion
        else None,
    )
    if arguments.json:
        _print_json(_document(created))
        return
    what = "completed" if arguments.await_completion else "started"
    print(
        f"process instance {created.process_instance_key} of {created.process_definition_id} "
        f"(version {created.process_definition_version}) {what}"
    )
    if arguments.await_completion:
        print(f"variables: {json.dumps(created.variables, sort_keys=True)}")


def _instances_parser() -> argparse.ArgumentParser:
    parser = _base_parser("instances", "List process instances.")
    parser.add_argument("--state", choices=_INSTANCE_STATES, help="only instances in this state")
    parser.add_argument("--process-id", metavar="ID", help="only instances of this process")
    _add_limit(parser)
    return parser


def _filter(**fields: object) -> dict[str, Any] | None:
    found = {name: value for name, value in fields.items() if value is not None}
    return found or None


def _footer(shown: int, total: int, more: bool) -> str | None:
    if shown >= total and not more:
        return None
    of = f"{total}+" if more else str(total)
    return f"({shown} of {of} shown; raise --limit for more)"


def _instances(client: CamundaClient, arguments: argparse.Namespace) -> None:
    result = client.search_process_instances(
        filter=_filter(state=arguments.state, processDefinitionId=arguments.process_id),
        limit=arguments.limit,
    )
    if arguments.json:
        _print_json(_document(result))
        return
    rows = [
        (
            item.process_instance_key,
            item.process_definition_id,
            item.process_definition_version,
            item.state,
            "yes" if item.has_incident else "",
            item.start_date,
        )
        for item in result.items
    ]
    headers = ("key", "process id", "version", "state", "incident", "started")
    _print_rows(headers, rows, result.page.total_items, result.page.has_more_total_items)


def _print_rows(
    headers: Sequence[str], rows: Sequence[Sequence[object]], total: int, more: bool
) -> None:
    if not rows:
        print("(none)")
        return
    print(render_table(headers, rows))
    footer = _footer(len(rows), total, more)
    if footer:
        print(footer)


def _jobs_parser() -> argparse.ArgumentParser:
    parser = _base_parser("jobs", "List jobs.")
    parser.add_argument("--type", dest="job_type", metavar="TYPE", help="only this job type")
    parser.add_argument("--state", choices=_JOB_STATES, help="only jobs in this state")
    parser.add_argument(
        "--process-instance", metavar="KEY", help="only jobs of this process instance"
    )
    _add_limit(parser)
    return parser


def _jobs(client: CamundaClient, arguments: argparse.Namespace) -> None:
    result = client.search_jobs(
        filter=_filter(
            type=arguments.job_type,
            state=arguments.state,
            processInstanceKey=arguments.process_instance,
        ),
        limit=arguments.limit,
    )
    if arguments.json:
        _print_json(_document(result))
        return
    rows = [
        (
            item.job_key,
            item.job_type,
            item.state,
            item.retries,
            item.worker,
            item.process_instance_key,
            item.element_id,
            item.error_message,
        )
        for item in result.items
    ]
    headers = ("key", "type", "state", "retries", "worker", "instance", "element", "error")
    _print_rows(headers, rows, result.page.total_items, result.page.has_more_total_items)


def _incidents_parser() -> argparse.ArgumentParser:
    parser = _base_parser("incidents", "List incidents (by default the active ones).")
    parser.add_argument(
        "--state", choices=_INCIDENT_STATES, default="ACTIVE", help="default ACTIVE"
    )
    parser.add_argument(
        "--process-instance", metavar="KEY", help="only incidents of this process instance"
    )
    _add_limit(parser)
    return parser


def _incidents(client: CamundaClient, arguments: argparse.Namespace) -> None:
    result = client.search_incidents(
        filter=_filter(state=arguments.state, processInstanceKey=arguments.process_instance),
        limit=arguments.limit,
    )
    if arguments.json:
        _print_json(_document(result))
        return
    rows = [
        (
            item.incident_key,
            item.error_type,
            item.process_instance_key,
            item.element_id,
            item.job_key,
            item.error_message,
        )
        for item in result.items
    ]
    headers = ("key", "type", "instance", "element", "job", "message")
    _print_rows(headers, rows, result.page.total_items, result.page.has_more_total_items)


def _publish_parser() -> argparse.ArgumentParser:
    parser = _base_parser("publish", "Publish a message, correlated by its correlation key.")
    parser.add_argument("name", metavar="MESSAGE", help="the message name")
    parser.add_argument(
        "--correlation-key", required=True, metavar="KEY", help="the correlation key"
    )
    _add_variables(parser)
    parser.add_argument(
        "--ttl",
        type=float,
        metavar="SECONDS",
        help="keep the message this long for a subscription to come (default: the cluster's)",
    )
    parser.add_argument("--message-id", metavar="ID", help="a unique id (duplicates are refused)")
    parser.add_argument("--tenant-id", metavar="ID", help="publish for this tenant")
    return parser


def _publish(client: CamundaClient, arguments: argparse.Namespace) -> None:
    if arguments.ttl is not None and arguments.ttl < 0:
        raise ConfigurationError(f"--ttl must be 0 or more, got {arguments.ttl}")
    published = client.publish_message(
        name=arguments.name,
        correlation_key=arguments.correlation_key,
        variables=parse_variables(arguments.variables, arguments.pairs),
        time_to_live=None if arguments.ttl is None else round(arguments.ttl * 1000),
        message_id=arguments.message_id,
        tenant_id=arguments.tenant_id,
    )
    if arguments.json:
        _print_json(_document(published))
        return
    print(f"message {arguments.name!r} published (key {published.message_key})")


def _status_parser() -> argparse.ArgumentParser:
    return _base_parser(
        "status", "Show whether the cluster is ready, its version, brokers and partitions."
    )


def _status(client: CamundaClient, arguments: argparse.Namespace) -> None:
    ready = client.status()
    topology = client.topology()
    if arguments.json:
        _print_json({"ready": ready, "topology": _document(topology)})
    else:
        print(f"cluster {client.base_url}: {'ready' if ready else 'NOT READY'}")
        print(
            f"gateway version {topology.gateway_version}, {topology.cluster_size} broker(s), "
            f"{topology.partitions_count} partition(s), replication factor "
            f"{topology.replication_factor}"
        )
        rows = [
            (
                broker.node_id,
                f"{broker.host}:{broker.port}",
                broker.version,
                ", ".join(f"{p.partition_id} {p.role} {p.health}" for p in broker.partitions),
            )
            for broker in topology.brokers
        ]
        if rows:
            print(render_table(("node", "address", "version", "partitions"), rows))
    if not ready:
        raise _RefusedError("the cluster is not ready")


_Command = Callable[["CamundaClient", argparse.Namespace], None]

COMMANDS: dict[str, tuple[Callable[[], argparse.ArgumentParser], _Command]] = {
    "deploy": (_deploy_parser, _deploy),
    "start": (_start_parser, _start),
    "instances": (_instances_parser, _instances),
    "jobs": (_jobs_parser, _jobs),
    "incidents": (_incidents_parser, _incidents),
    "publish": (_publish_parser, _publish),
    "status": (_status_parser, _status),
}
"""Each command's parser and what it does."""


def build_parser(command: str) -> argparse.ArgumentParser:
    """The argument parser of one of the :data:`COMMANDS` (the docs are tested against it)."""
    return COMMANDS[command][0]()


def _error(message: str, code: int) -> int:
    print(f"camunda-worker: {message}", file=sys.stderr)
    return code


def main(command: str, argv: Sequence[str]) -> int:
    """Run one of the :data:`COMMANDS`; return its exit code (see the module docstring)."""
    make_parser, run = COMMANDS[command]
    arguments = make_parser().parse_args(argv)
    try:
        settings = resolve_from_arguments(arguments).settings
        with sync_client_from_settings(settings) as client:
            run(client, arguments)
    except ConfigurationError as error:
        return report_configuration_error(error)
    except (AuthenticationError, UnauthorizedError, ForbiddenError) as error:
        return _error(f"the credentials were refused: {error}", EXIT_UNAUTHORIZED)
    except ProblemError as error:
        return _error(f"the cluster refused the request: {error}", EXIT_REFUSED)
    except TransportError as error:
        return _error(f"cannot reach the cluster: {error}", EXIT_UNREACHABLE)
    except _RefusedError as error:
        return _error(str(error), EXIT_REFUSED)
    return EXIT_OK


# What ``camunda-worker COMMAND`` calls: argv in, exit code out.


def deploy(argv: Sequence[str]) -> int:
    """``camunda-worker deploy FILE...``."""
    return main("deploy", argv)


def start(argv: Sequence[str]) -> int:
    """``camunda-worker start PROCESS_ID``."""
    return main("start", argv)


def instances(argv: Sequence[str]) -> int:
    """``camunda-worker instances``."""
    return main("instances", argv)


def jobs(argv: Sequence[str]) -> int:
    """``camunda-worker jobs``."""
    return main("jobs", argv)


def incidents(argv: Sequence[str]) -> int:
    """``camunda-worker incidents``."""
    return main("incidents", argv)


def publish(argv: Sequence[str]) -> int:
    """``camunda-worker publish MESSAGE``."""
    return main("publish", argv)


def status(argv: Sequence[str]) -> int:
    """``camunda-worker status``."""
    return main("status", argv)
