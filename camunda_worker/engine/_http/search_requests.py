"""Bodies of the search, user task and clock endpoints, read as strictly as the gateway does.

A search body is ``{"filter": {...}, "sort": [{"field": ..., "order": "ASC"|"DESC"}], "page":
{...}}``; the page is a limit, an offset (``from`` + ``limit``) or a cursor (``after`` or
``before`` + ``limit``), never two of them. A sort field the endpoint does not sort by is
refused (400 ``INVALID_ARGUMENT`` ``Unknown sortBy: <field>``), as on a cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from camunda_worker.engine._http.answers import HttpError, bad_request, invalid_argument

if TYPE_CHECKING:
    from camunda_worker.engine._http.call import Call

__all__ = [
    "SORT_FIELDS",
    "AssignUserTaskBody",
    "CompleteUserTaskBody",
    "ExpressionBody",
    "PinClockBody",
    "StatisticsBody",
    "StrictBody",
    "UpdateUserTaskBody",
    "read_body",
    "read_search",
]

_INCIDENT_SORT = frozenset(
    {
        "incidentKey",
        "processDefinitionKey",
        "processDefinitionId",
        "processInstanceKey",
        "errorType",
        "elementId",
        "elementInstanceKey",
        "creationTime",
        "state",
        "jobKey",
        "tenantId",
    }
)
_VARIABLE_SORT = frozenset(
    {"value", "name", "tenantId", "variableKey", "scopeKey", "processInstanceKey"}
)
#: The fields each kind's search sorts by (from the 8.9 spec's ``*SearchQuerySortRequest``).
SORT_FIELDS: dict[str, frozenset[str]] = {
    "jobs": frozenset(
        {
            "deadline",
            "deniedReason",
            "elementId",
            "elementInstanceKey",
            "endTime",
            "errorCode",
            "errorMessage",
            "hasFailedWithRetriesLeft",
            "isDenied",
            "jobKey",
            "kind",
            "listenerEventType",
            "processDefinitionId",
            "processDefinitionKey",
            "processInstanceKey",
            "retries",
            "state",
            "tenantId",
            "type",
            "worker",
        }
    ),
    "processInstances": frozenset(
        {
            "processInstanceKey",
            "processDefinitionId",
            "processDefinitionName",
            "processDefinitionVersion",
            "processDefinitionVersionTag",
            "processDefinitionKey",
            "parentProcessInstanceKey",
            "parentElementInstanceKey",
            "startDate",
            "endDate",
            "state",
            "hasIncident",
            "tenantId",
            "businessId",
        }
    ),
    "incidents": _INCIDENT_SORT,
    "elementInstances": frozenset(
        {
            "elementInstanceKey",
            "processInstanceKey",
            "processDefinitionKey",
            "processDefinitionId",
            "startDate",
            "endDate",
            "elementId",
            "elementName",
            "type",
            "state",
            "incidentKey",
            "tenantId",
        }
    ),
    "variables": _VARIABLE_SORT,
    "userTasks": frozenset(
        {"creationDate", "completionDate", "followUpDate", "dueDate", "priority", "name"}
    ),
    "processDefinitions": frozenset(
        {
            "processDefinitionKey",
            "name",
            "resourceName",
            "version",
            "versionTag",
            "processDefinitionId",
            "tenantId",
        }
    ),
    "messageSubscriptions": frozenset(
        {
            "messageSubscriptionKey",
            "processDefinitionId",
            "processInstanceKey",
            "elementId",
            "elementInstanceKey",
            "messageSubscriptionState",
            "lastUpdatedDate",
            "messageName",
            "correlationKey",
            "tenantId",
        }
    ),
}


class StrictBody(BaseModel):
    """A request body read like the gateway's JSON mapper: strict types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Sort(StrictBody):
    field: str | None = None
    order: str | None = None


class _Page(StrictBody):
    limit: Annotated[int, Field(ge=1, le=10_000)] | None = None
    after: str | None = None
    before: str | None = None
    from_: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = Field(None, alias="from")


class _SearchBody(StrictBody):
    filter: dict[str, Any] | None = None
    sort: list[_Sort] | None = None
    page: _Page | None = None


class AssignUserTaskBody(StrictBody):
    """``POST /user-tasks/{userTaskKey}/assignment`` (``UserTaskAssignmentRequest``)."""

    assignee: str | None = None
    allow_override: bool | None = Field(None, alias="allowOverride")
    action: str | None = None


class CompleteUserTaskBody(StrictBody):
    """``POST /user-tasks/{userTaskKey}/completion`` (``UserTaskCompletionRequest``)."""

    variables: dict[str, Any] | None = None
    action: str | None = None


class _Changeset(BaseModel):
    # "additional attributes will be ignored" (the spec), so not strict about extras.
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    due_date: str | None = Field(None, alias="dueDate")
    follow_up_date: str | None = Field(None, alias="followUpDate")
    candidate_users: list[str] | None = Field(None, alias="candidateUsers")
    candidate_groups: list[str] | None = Field(None, alias="candidateGroups")
    priority: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] | None = None


class UpdateUserTaskBody(StrictBody):
    """``PATCH /user-tasks/{userTaskKey}`` (``UserTaskUpdateRequest``)."""

    changeset: _Changeset | None = None
    action: str | None = None


class ExpressionBody(StrictBody):
    """``POST /expression/evaluation`` (``ExpressionEvaluationRequest``)."""

    expression: str | None = None
    tenant_id: str | None = Field(None, alias="tenantId")
    variables: dict[str, Any] | None = None


class StatisticsBody(StrictBody):
    """``POST /process-definitions/{key}/statistics/element-instances``."""

    filter: dict[str, Any] | None = None


class PinClockBody(StrictBody):
    """``PUT /clock`` (``ClockPinRequest``)."""

    timestamp: Annotated[int, Field(ge=-(2**63), le=2**63 - 1)] | None = None


B = TypeVar("B", bound=BaseModel)


def read_body(model: type[B], call: Call, *, required: bool = True) -> B:
    """Read the JSON body of ``call`` into ``model`` as the gateway does.

    Raises:
        HttpError: 400 ``Bad Request`` for a body that cannot be read (or is missing when
            required), 415 for a body that is not JSON.
    """
    raw = call.body
    if not raw or raw.isspace():
        if required:
            raise bad_request("Required request body is missing")
        return model()
    if "json" not in call.content_type:
        media_type = call.content_type or "application/octet-stream"
        raise HttpError(
            415, "Unsupported Media Type", f"Content-Type '{media_type}' is not supported."
        )
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_context=False, include_input=False)[0]
        location = [str(part) for part in error["loc"] if not isinstance(part, int)]
        if error["type"] in ("json_invalid", "json_type") or not location:
            raise bad_request("Failed to read request") from None
        raise bad_request(f"Request property [{'.'.join(location)}] cannot be parsed") from None


def read_search(call: Call, kind: str, *, required: bool = False) -> dict[str, Any]:
    """Read a search body into the keyword arguments of ``Engine.search_records``.

    Raises:
        HttpError: 400 for an unreadable body or an unknown sort field or order.
    """
    body = read_body(_SearchBody, call, required=required)
    sortable = SORT_FIELDS[kind]
    sort: list[tuple[str, bool]] = []
    problems: list[str] = []
    for item in body.sort or ():
        if item.field is None:
            problems.append("Sort field must not be null")
        elif item.field not in sortable:
            problems.append(f"Unknown sortBy: {item.field}")
        order = item.order or "ASC"
        if order not in ("ASC", "DESC"):
            problems.append(f"Unknown sortOrder: {item.order}")
        if item.field is not None:
            sort.append((item.field, order == "DESC"))
    page = body.page
    if page is not None:
        chosen = [name for name in ("from", "after", "before") if _page_value(page, name)]
        if len(chosen) > 1:
            problems.append(f"Only one of [{', '.join(chosen)}] is allowed in page")
    if problems:
        raise invalid_argument(*problems)
    arguments: dict[str, Any] = {"filter": body.filter, "sort": tuple(sort)}
    if page is not None:
        arguments.update(
            limit=page.limit if page.limit is not None else 100,
            offset=page.from_,
            after=page.after,
            before=page.before,
        )
    return arguments


def _page_value(page: _Page, name: str) -> Literal[True, False]:
    value = {"from": page.from_, "after": page.after, "before": page.before}[name]
    return value is not None
