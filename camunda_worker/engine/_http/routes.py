"""The routes of the engine's app: every ``/v2`` endpoint it serves, and its handler."""

from __future__ import annotations

from camunda_worker.engine._http import job_routes as jobs
from camunda_worker.engine._http import process_routes as processes
from camunda_worker.engine._http.call import Call, Route

__all__ = ["ROUTES", "Call", "Route"]

ROUTES: tuple[Route, ...] = (
    Route("POST", "/v2/jobs/activation", "activate", jobs.activate),
    Route("POST", "/v2/jobs/{jobKey}/completion", "complete", jobs.complete),
    Route("POST", "/v2/jobs/{jobKey}/failure", "fail", jobs.fail),
    Route("POST", "/v2/jobs/{jobKey}/error", "error", jobs.throw_error),
    Route("PATCH", "/v2/jobs/{jobKey}", "update", jobs.update),
    Route("POST", "/v2/jobs/search", "search_jobs", jobs.search_jobs),
    Route("POST", "/v2/deployments", "deploy", processes.deploy),
    Route("POST", "/v2/process-instances", "create_instance", processes.create_instance),
    Route(
        "GET",
        "/v2/process-instances/{processInstanceKey}",
        "get_instance",
        processes.get_instance,
    ),
    Route(
        "POST",
        "/v2/process-instances/{processInstanceKey}/cancellation",
        "cancel_instance",
        processes.cancel_instance,
    ),
    Route("POST", "/v2/process-instances/search", "search_instances", jobs.search_instances),
    Route("POST", "/v2/incidents/search", "search_incidents", jobs.search_incidents),
    Route(
        "POST",
        "/v2/incidents/{incidentKey}/resolution",
        "resolve_incident",
        processes.resolve_incident,
    ),
    Route(
        "PUT",
        "/v2/element-instances/{elementInstanceKey}/variables",
        "set_variables",
        processes.set_variables,
    ),
    Route("POST", "/v2/messages/publication", "publish", processes.publish),
    Route("POST", "/v2/messages/correlation", "correlate", processes.correlate),
    Route("POST", "/v2/signals/broadcast", "broadcast", processes.broadcast),
    Route("GET", "/v2/topology", "topology", processes.topology),
    Route("GET", "/v2/status", "status", processes.status, authenticated=False),
)
"""Every route of the ``/v2`` API the engine serves (the token endpoint is added by the app)."""
