"""Handlers of the search and get endpoints of every record kind, and the clock endpoints.

``POST /<kind>/search`` reads filter, sort and page (:mod:`.search_requests`) and answers from
:meth:`Engine.search_records <camunda_worker.engine.Engine.search_records>`; ``GET
/<kind>/{key}`` from :meth:`Engine.get_record <camunda_worker.engine.Engine.get_record>`. Both
see commands after the engine's ``search_lag_ms``, as a cluster's secondary store does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from camunda_worker.engine._http.answers import NO_CONTENT, HttpError, Reply, invalid_argument
from camunda_worker.engine._http.requests import check_key
from camunda_worker.engine._http.search_requests import (
    ExpressionBody,
    PinClockBody,
    StatisticsBody,
    read_body,
    read_search,
)
from camunda_worker.engine._runtime.lines import SERVER_LINES

if TYPE_CHECKING:
    from camunda_worker.engine._http.call import Call, Handler, RouteHost

__all__ = [
    "call_hierarchy",
    "definition_statistics",
    "definition_xml",
    "evaluate_expression",
    "form",
    "getter",
    "instance_statistics",
    "pin_clock",
    "reset_clock",
    "search_element_incidents",
    "search_instance_incidents",
    "search_user_task_effective_variables",
    "search_user_task_variables",
    "searcher",
    "since",
]

_TEXT_XML = b"text/xml"


def since(line: str, method: str, handler: Handler) -> Handler:
    """``handler`` on engines of ``line`` and newer; older lines answer 404, as they do."""
    first = SERVER_LINES.index(line)

    async def served_since(app: RouteHost, call: Call) -> Reply:
        if SERVER_LINES.index(app.engine.server_line) < first:
            raise HttpError(404, "Not Found", f"No endpoint {method} {call.path}.")
        return await handler(app, call)

    served_since.__name__ = getattr(handler, "__name__", "handler")
    return served_since


def searcher(kind: str) -> Handler:
    """The handler of ``POST /<kind>/search``."""

    async def search(app: RouteHost, call: Call) -> Reply:
        arguments = read_search(call, kind)
        return Reply(200, app.engine.search_records(kind, **arguments))

    search.__name__ = f"search_{kind}"
    return search


def getter(kind: str, key_name: str) -> Handler:
    """The handler of ``GET /<kind>/{key}``."""

    async def get(app: RouteHost, call: Call) -> Reply:
        key = check_key(key_name, call.params[0])
        return Reply(200, app.engine.get_record(kind, key))

    get.__name__ = f"get_{kind}"
    return get


async def search_instance_incidents(app: RouteHost, call: Call) -> Reply:
    key = check_key("processInstanceKey", call.params[0])
    arguments = read_search(call, "incidents")
    return Reply(200, app.engine.search_instance_incidents(key, **arguments))


async def search_element_incidents(app: RouteHost, call: Call) -> Reply:
    key = check_key("elementInstanceKey", call.params[0])
    arguments = read_search(call, "incidents", required=True)
    return Reply(200, app.engine.search_element_incidents(key, **arguments))


async def search_user_task_variables(app: RouteHost, call: Call) -> Reply:
    key = check_key("userTaskKey", call.params[0])
    arguments = read_search(call, "variables")
    filter_ = arguments.get("filter") or {}
    unknown = sorted(set(filter_) - {"name"})
    if unknown:
        raise invalid_argument(f"Request property [filter.{unknown[0]}] cannot be parsed")
    return Reply(200, app.engine.search_user_task_variables(key, **arguments))


async def definition_xml(app: RouteHost, call: Call) -> Reply:
    key = check_key("processDefinitionKey", call.params[0])
    return Reply(200, app.engine.process_definition_xml(key), _TEXT_XML)


async def call_hierarchy(app: RouteHost, call: Call) -> Reply:
    key = check_key("processInstanceKey", call.params[0])
    return Reply(200, app.engine.call_hierarchy(key))


async def pin_clock(app: RouteHost, call: Call) -> Reply:
    body = read_body(PinClockBody, call)
    if body.timestamp is None:
        raise invalid_argument("No timestamp provided")
    if body.timestamp < 0:
        raise invalid_argument(
            f"The value for timestamp is '{body.timestamp}' but must be not negative"
        )
    app.engine.pin_clock(body.timestamp)
    return NO_CONTENT


async def reset_clock(app: RouteHost, call: Call) -> Reply:
    app.engine.reset_clock()
    return NO_CONTENT


async def search_user_task_effective_variables(app: RouteHost, call: Call) -> Reply:
    key = check_key("userTaskKey", call.params[0])
    arguments = read_search(call, "variables")
    if arguments.get("after") is not None or arguments.get("before") is not None:
        raise invalid_argument("Only offset pagination (from, limit) is supported here")
    return Reply(200, app.engine.search_user_task_effective_variables(key, **arguments))


async def instance_statistics(app: RouteHost, call: Call) -> Reply:
    key = check_key("processInstanceKey", call.params[0])
    return Reply(200, app.engine.element_statistics(process_instance_key=key))


async def definition_statistics(app: RouteHost, call: Call) -> Reply:
    key = check_key("processDefinitionKey", call.params[0])
    body = read_body(StatisticsBody, call, required=False)
    return Reply(200, app.engine.element_statistics(process_definition_key=key, filter=body.filter))


def form(kind: str, key_name: str) -> Handler:
    """The handler of ``GET /<kind>/{key}/form``: 204, the engine has no forms."""

    async def get_form(app: RouteHost, call: Call) -> Reply:
        key = check_key(key_name, call.params[0])
        app.engine.has_form(kind, key)
        return NO_CONTENT

    get_form.__name__ = f"get_{kind}_form"
    return get_form


async def evaluate_expression(app: RouteHost, call: Call) -> Reply:
    body = read_body(ExpressionBody, call)
    if body.expression is None or not body.expression.strip():
        raise invalid_argument("No expression provided")
    return Reply(200, app.engine.evaluate_expression(body.expression, body.variables))
