"""Request bodies of the engine's endpoints: parsed strictly, refused the way the gateway does.

Two kinds of refusal, as on a real cluster:

* a body the gateway cannot read (malformed JSON, a wrong JSON type, an unknown property, a number
  out of range) is a 400 with title ``Bad Request`` and a detail such as
  ``Request property [timeout] cannot be parsed``;
* a readable body that breaks a rule (blank type, timeout < 1...) is a 400 ``INVALID_ARGUMENT``
  whose detail lists every violation (``No type provided. The value for timeout is '0' but must
  be greater than 0.``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from camunda_worker.engine._http.answers import HttpError, bad_request, invalid_argument

if TYPE_CHECKING:
    from camunda_worker.engine._http.call import Call

__all__ = [
    "ActivateJobsBody",
    "BroadcastSignalBody",
    "CompleteJobBody",
    "CorrelateMessageBody",
    "CreateProcessInstanceBody",
    "FailJobBody",
    "OperationBody",
    "PublishMessageBody",
    "SearchBody",
    "SetVariablesBody",
    "ThrowErrorBody",
    "UpdateJobBody",
    "check_activation",
    "check_key",
    "parse_body",
    "tenant_violations",
]

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
Variables = dict[str, Any]

_TENANT_ID = re.compile(r"^(<default>|[A-Za-z0-9_@.+-]{1,256})$")
_EMPTY = "No %s provided"
_INVALID = "The value for %s is '%s' but must be %s"


class _Body(BaseModel):
    # Strict like the gateway's JSON mapper: no "1" for 1, no 1 for "1", no unknown properties.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ActivateJobsBody(_Body):
    """``POST /jobs/activation`` (``JobActivationRequest``)."""

    type: str | None = None
    worker: str | None = None
    timeout: Int64 | None = None
    max_jobs_to_activate: Int32 | None = Field(None, alias="maxJobsToActivate")
    fetch_variable: list[str] | None = Field(None, alias="fetchVariable")
    request_timeout: Int64 | None = Field(None, alias="requestTimeout")
    tenant_ids: list[str] | None = Field(None, alias="tenantIds")
    tenant_filter: Literal["PROVIDED", "ASSIGNED"] | None = Field(None, alias="tenantFilter")
    with_lease: bool | None = Field(None, alias="withLease")


class CompleteJobBody(_Body):
    """``POST /jobs/{jobKey}/completion`` (``JobCompletionRequest``; ``result`` is ignored)."""

    variables: Variables | None = None
    result: dict[str, Any] | None = None
    lease_token: str | None = Field(None, alias="leaseToken")
    business_id: str | None = Field(None, alias="businessId")


class FailJobBody(_Body):
    """``POST /jobs/{jobKey}/failure`` (``JobFailRequest``)."""

    retries: Int32 = 0
    error_message: str | None = Field(None, alias="errorMessage")
    retry_back_off: Int64 = Field(0, alias="retryBackOff")
    variables: Variables | None = None
    lease_token: str | None = Field(None, alias="leaseToken")


class ThrowErrorBody(_Body):
    """``POST /jobs/{jobKey}/error`` (``JobErrorRequest``)."""

    error_code: str | None = Field(None, alias="errorCode")
    error_message: str | None = Field(None, alias="errorMessage")
    variables: Variables | None = None
    lease_token: str | None = Field(None, alias="leaseToken")


class _Changeset(_Body):
    retries: Int32 | None = None
    timeout: Int64 | None = None
    priority: Int32 | None = None


class UpdateJobBody(_Body):
    """``PATCH /jobs/{jobKey}`` (``JobUpdateRequest``)."""

    changeset: _Changeset | None = None
    operation_reference: Int64 | None = Field(None, alias="operationReference")
    lease_token: str | None = Field(None, alias="leaseToken")


class _Page(_Body):
    limit: Annotated[int, Field(ge=1, le=10_000)] | None = None
    after: str | None = None
    before: str | None = None
    from_: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = Field(None, alias="from")


class SearchBody(_Body):
    """``POST /jobs/search`` and ``POST /process-instances/search``."""

    filter: dict[str, Any] | None = None
    sort: list[dict[str, Any]] | None = None
    page: _Page | None = None


class CreateProcessInstanceBody(_Body):
    """``POST /process-instances`` (``ProcessInstanceCreationInstruction``, by id or by key)."""

    process_definition_id: str | None = Field(None, alias="processDefinitionId")
    process_definition_key: str | None = Field(None, alias="processDefinitionKey")
    process_definition_version: Int32 = Field(-1, alias="processDefinitionVersion")
    variables: Variables | None = None
    tenant_id: str | None = Field(None, alias="tenantId")
    operation_reference: Int64 | None = Field(None, alias="operationReference")
    start_instructions: list[Any] | None = Field(None, alias="startInstructions")
    runtime_instructions: list[Any] | None = Field(None, alias="runtimeInstructions")
    await_completion: bool = Field(False, alias="awaitCompletion")
    fetch_variables: list[str] | None = Field(None, alias="fetchVariables")
    request_timeout: Int64 = Field(0, alias="requestTimeout")
    tags: list[str] | None = None
    business_id: str | None = Field(None, alias="businessId")


class PublishMessageBody(_Body):
    """``POST /messages/publication`` (``MessagePublicationRequest``)."""

    name: str | None = None
    correlation_key: str = Field("", alias="correlationKey")
    time_to_live: Int64 = Field(0, alias="timeToLive")
    message_id: str | None = Field(None, alias="messageId")
    variables: Variables | None = None
    tenant_id: str | None = Field(None, alias="tenantId")
    business_id: str | None = Field(None, alias="businessId")


class CorrelateMessageBody(_Body):
    """``POST /messages/correlation`` (``MessageCorrelationRequest``)."""

    name: str | None = None
    correlation_key: str = Field("", alias="correlationKey")
    variables: Variables | None = None
    tenant_id: str | None = Field(None, alias="tenantId")
    business_id: str | None = Field(None, alias="businessId")


class BroadcastSignalBody(_Body):
    """``POST /signals/broadcast`` (``SignalBroadcastRequest``)."""

    signal_name: str | None = Field(None, alias="signalName")
    variables: Variables | None = None
    tenant_id: str | None = Field(None, alias="tenantId")


class OperationBody(_Body):
    """Process instance cancellation and incident resolution (only ``operationReference``)."""

    operation_reference: Int64 | None = Field(None, alias="operationReference")


class SetVariablesBody(_Body):
    """``PUT /element-instances/{elementInstanceKey}/variables`` (``SetVariableRequest``)."""

    variables: Variables | None = None
    local: bool = False
    operation_reference: Int64 | None = Field(None, alias="operationReference")


_LEASE = frozenset({"leaseToken"})
_NEWER_IN_8_10: dict[type[_Body], frozenset[str]] = {
    ActivateJobsBody: frozenset({"withLease"}),
    CompleteJobBody: frozenset({"leaseToken", "businessId"}),
    FailJobBody: _LEASE,
    ThrowErrorBody: _LEASE,
    UpdateJobBody: _LEASE,
    _Changeset: frozenset({"priority"}),
    PublishMessageBody: frozenset({"businessId"}),
}
# Request properties each line does not know yet (from the specs' schemas).
_NEWER_THAN: dict[str, dict[type[_Body], frozenset[str]]] = {
    "8.9": _NEWER_IN_8_10,
    "8.8": {
        **_NEWER_IN_8_10,
        ActivateJobsBody: frozenset({"withLease", "tenantFilter"}),
        CreateProcessInstanceBody: frozenset({"businessId"}),
    },
}

B = TypeVar("B", bound=_Body)


def parse_body(model: type[B], call: Call, *, line: str, required: bool = True) -> B:
    """Read the JSON body of ``call`` into ``model`` the way the gateway's mapper does.

    A property newer than the server line (``withLease`` sent to an 8.9 engine) cannot be
    parsed there, as on a real cluster of that line.

    Args:
        model: the body model.
        call: the request.
        line: the engine's server line.
        required: whether an empty body is refused (otherwise it means "all defaults").

    Returns:
        The parsed body.

    Raises:
        HttpError: 400 ``Bad Request`` when the body cannot be read, 415 when it is not JSON.
    """
    raw = call.body
    if not raw or raw.isspace():
        if required:
            raise bad_request("Required request body is missing")
        return model()
    if raw == b"{}" and not required and "json" in call.content_type:
        return model()  # the most common completion body: skip the parser
    if "json" not in call.content_type:
        media_type = call.content_type or "application/octet-stream"
        raise HttpError(
            415, "Unsupported Media Type", f"Content-Type '{media_type}' is not supported."
        )
    try:
        body = model.model_validate_json(raw)
    except ValidationError as exc:
        raise _unreadable(exc) from None
    newer = _NEWER_THAN.get(line)
    if newer is not None:
        _refuse_newer(body, newer, "")
    return body


def _refuse_newer(body: _Body, newer: dict[type[_Body], frozenset[str]], prefix: str) -> None:
    fields = type(body).model_fields
    refused = newer.get(type(body), frozenset())
    for name in body.model_fields_set:
        alias = fields[name].alias or name
        if alias in refused:
            raise bad_request(f"Request property [{prefix}{alias}] cannot be parsed")
        value = getattr(body, name)
        if isinstance(value, _Body):
            _refuse_newer(value, newer, f"{prefix}{alias}.")


def _unreadable(exc: ValidationError) -> HttpError:
    error = exc.errors(include_url=False, include_context=False, include_input=False)[0]
    location = error["loc"]
    if error["type"] in ("json_invalid", "json_type") or not location:
        return bad_request("Failed to read request")
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return bad_request(f"Request property [{path}] cannot be parsed")


def check_activation(body: ActivateJobsBody) -> None:
    """Apply the gateway's rules for ``POST /jobs/activation``.

    Raises:
        HttpError: 400 ``INVALID_ARGUMENT`` listing every violation.
    """
    violations: list[str] = []
    if body.type is None or not body.type.strip():
        violations.append(_EMPTY % "type")
    if body.timeout is None:
        violations.append(_EMPTY % "timeout")
    elif body.timeout < 1:
        violations.append(_INVALID % ("timeout", body.timeout, "greater than 0"))
    if body.max_jobs_to_activate is None:
        violations.append(_EMPTY % "maxJobsToActivate")
    elif body.max_jobs_to_activate < 1:
        violations.append(
            _INVALID % ("maxJobsToActivate", body.max_jobs_to_activate, "greater than 0")
        )
    violations.extend(tenant_violations("Activate Jobs", body.tenant_ids or ()))
    if violations:
        raise invalid_argument(*violations)


def tenant_violations(request: str, tenant_ids: Any) -> list[str]:
    """Check tenant identifiers against the spec's ``TenantId`` pattern.

    Args:
        request: the gateway's name of the request, e.g. ``"Activate Jobs"``.
        tenant_ids: the identifiers to check.

    Returns:
        One message per malformed identifier.
    """
    return [
        f"Expected to handle request {request} with tenant identifier '{tenant}',"
        " but tenant identifier contains illegal characters"
        for tenant in tenant_ids
        if not _TENANT_ID.match(tenant)
    ]


def check_key(name: str, value: str) -> str:
    """Check that a key from the path or the body is a string of digits.

    Args:
        name: the parameter name, e.g. ``"jobKey"``.
        value: its value.

    Returns:
        ``value`` when it is a valid key.

    Raises:
        HttpError: 400 ``INVALID_ARGUMENT`` otherwise.
    """
    if value.isascii() and value.isdigit() and len(value) < 20:
        return value
    raise invalid_argument(
        f"The provided {name} '{value}' is not a valid key. Expected a numeric value."
        " Did you pass an entity id instead of an entity key?"
    )
