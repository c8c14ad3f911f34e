"""Wire models: what the Orchestration Cluster REST API v2 answers, as frozen pydantic models.

One set of models reads what Camunda 8.8, 8.9 and 8.10 send:

- keys (``jobKey``, ``processInstanceKey``, ...) are strings; a key that arrives as a JSON number
  is turned into its string;
- unknown fields are ignored, so a newer server never breaks an older client;
- fields that only newer servers send (8.9: ``tags``, ``userTask``, ``rootProcessInstanceKey``;
  8.10: ``priority``, ``businessId``, ``leaseToken``, ``physicalTenantId``) have defaults.

Attribute names are snake_case; the wire names are camelCase aliases, and models can be built
from either (``ActivatedJob(job_key="1", ...)`` or ``ActivatedJob.model_validate({"jobKey": ...})``).
Request bodies are not modelled: the endpoint functions build them as plain dicts (hot path).

An activation answer is read job by job when it cannot be read in one pass: a job that cannot
be read at all (variables nested deeper than any parser here reads, a field of the wrong type)
is reported as an :class:`UnreadableJob` beside the others, never instead of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import attrs
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from camunda_worker._api.json_scan import ScanError, elements, member_values, members

__all__ = [
    "ActivatedJob",
    "ActivatedJobs",
    "BrokerInfo",
    "CreatedProcessInstance",
    "DeployedProcess",
    "DeploymentResult",
    "ElementInstance",
    "ElementInstanceSearchResult",
    "Incident",
    "IncidentSearchResult",
    "JobSearchItem",
    "JobSearchResult",
    "Partition",
    "ProcessInstance",
    "ProcessInstanceSearchResult",
    "PublishedMessage",
    "SearchPage",
    "Topology",
    "UnreadableJob",
    "UserTask",
    "UserTaskSearchResult",
    "VariableResult",
    "VariableSearchResult",
    "parse_activated_jobs",
]


class WireModel(BaseModel):
    """Base of every wire model: camelCase aliases, unknown fields ignored, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        coerce_numbers_to_str=True,
    )


class ActivatedJob(WireModel):
    """A job handed to this worker by an activation (``POST /jobs/activation``).

    Attributes:
        job_key: the job's unique key; use it to complete, fail or throw a BPMN error.
        job_type: the job type (wire name ``type``), as in the BPMN task definition.
        process_instance_key: key of the process instance the job belongs to.
        process_definition_id: BPMN process id of that process.
        process_definition_version: version of the deployed process definition.
        process_definition_key: key of the deployed process definition.
        element_id: id of the BPMN element (service task, listener...) that created the job.
        element_instance_key: key of that element's instance.
        custom_headers: the task's custom headers.
        worker: the worker name given at activation.
        retries: retries left; the job raises an incident when a failure leaves 0.
        deadline: epoch milliseconds after which the job may be activated again.
        variables: the variables fetched at activation.
        tenant_id: the job's tenant.
        kind: ``BPMN_ELEMENT``, ``EXECUTION_LISTENER``, ``TASK_LISTENER`` or ``AD_HOC_SUB_PROCESS``.
        listener_event_type: for listener jobs, the event (``START``, ``END``...).
        user_task: user task properties when the job is a task listener (8.8+), else ``None``.
        tags: the process instance's tags (8.8+).
        root_process_instance_key: key of the top-level process instance (8.9+).
        priority: the job's priority (8.10+).
        business_id: the process instance's business id (8.10+).
        lease_token: the token of this activation's lease (8.10+); kept out of ``repr``.
        physical_tenant_id: the physical tenant the activation was routed to (8.10+).
    """

    job_key: str
    job_type: str = Field(alias="type")
    process_instance_key: str
    process_definition_id: str
    process_definition_version: int
    process_definition_key: str
    element_id: str
    element_instance_key: str
    custom_headers: dict[str, str]
    worker: str
    retries: int
    deadline: int
    variables: dict[str, Any]
    tenant_id: str
    kind: str = "BPMN_ELEMENT"
    listener_event_type: str = "UNSPECIFIED"
    user_task: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()
    root_process_instance_key: str | None = None
    priority: int | None = None
    business_id: str | None = None
    lease_token: str | None = Field(default=None, repr=False)
    physical_tenant_id: str | None = None


@attrs.frozen
class UnreadableJob:
    """A job of an activation answer that this client could not read.

    The server activated it all the same: it is locked to the worker until its timeout. The
    job worker fails it with no retries left (an incident with :attr:`reason`, since reading
    it again would fail again); a caller of ``activate_jobs`` should do likewise.

    Attributes:
        job_key: its key, when it could be found in what the server sent; ``None`` when not
            (then the job cannot be failed: it comes back after its timeout).
        job_type: its type, when found.
        retries: its retries, when found.
        reason: why it could not be read. It names variables and fields, never their values.
        deadline: its deadline (epoch milliseconds), when found.
    """

    job_key: str | None
    job_type: str | None
    retries: int | None
    reason: str
    deadline: int | None = None


class ActivatedJobs(list[ActivatedJob]):
    """The jobs of one activation answer, in the order the server sent them.

    A plain list of the jobs this client could read, plus :attr:`unreadable`: those of the same
    answer it could not (empty almost always).

    Args:
        jobs: the jobs read.
        unreadable: the jobs that could not be read.

    Attributes:
        unreadable: the jobs of the answer that could not be read, in the order sent.
    """

    def __init__(
        self, jobs: Iterable[ActivatedJob] = (), unreadable: Iterable[UnreadableJob] = ()
    ) -> None:
        super().__init__(jobs)
        self.unreadable: tuple[UnreadableJob, ...] = tuple(unreadable)


class _ActivationResult(WireModel):
    jobs: list[ActivatedJob]


# Built once: the activation path parses the whole answer in one pass of pydantic-core.
_ACTIVATION_RESULT: TypeAdapter[_ActivationResult] = TypeAdapter(_ActivationResult)


def parse_activated_jobs(content: bytes | str) -> ActivatedJobs:
    """Parse the JSON body of an activation answer into its jobs.

    The whole answer is read in one pass. If that fails, each job is read on its own: first by
    pydantic-core (which stops at 200 levels of nesting), then by the standard library's JSON
    decoder (which reads as deep as the interpreter's recursion limit allows); a job neither
    can read, or that does not match :class:`ActivatedJob`, goes to
    :attr:`ActivatedJobs.unreadable` with the reason, and with its key when it can be found.

    Args:
        content: the raw JSON body (``{"jobs": [...]}``).

    Returns:
        The activated jobs, in the order the server sent them, and the unreadable ones.

    Raises:
        pydantic.ValidationError: the answer itself is not an object with a ``jobs`` array.
    """
    try:
        return ActivatedJobs(_ACTIVATION_RESULT.validate_json(content).jobs)
    except ValidationError as error:
        whole = error
    try:
        return _read_one_by_one(content)
    except (ScanError, UnicodeDecodeError):
        raise whole from None


def _read_one_by_one(content: bytes | str) -> ActivatedJobs:
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    found = [(start, depth) for name, start, _, depth in members(text) if name == "jobs"]
    if not found or found[-1][1] == 0:
        raise ScanError("no jobs array")
    read: list[ActivatedJob] = []
    unreadable: list[UnreadableJob] = []
    for start, end, _ in elements(text, found[-1][0]):
        job = _read_job(text[start:end])
        if isinstance(job, ActivatedJob):
            read.append(job)
        else:
            unreadable.append(job)
    return ActivatedJobs(read, unreadable)


def _read_job(raw: str) -> ActivatedJob | UnreadableJob:
    try:
        return ActivatedJob.model_validate_json(raw)
    except ValidationError:
        pass  # nested too deep for pydantic-core, or does not match: the slower path tells
    try:
        document = json.loads(raw)
    except RecursionError:
        return _unreadable(raw, _too_deep(raw))
    except ValueError as error:
        return _unreadable(raw, f"it is not valid JSON ({error})")
    try:
        return ActivatedJob.model_validate(document)
    except ValidationError as error:
        return _unreadable(raw, _mismatch(error))


_RECOVERED = frozenset({"jobKey", "type", "retries", "deadline"})


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _unreadable(raw: str, reason: str) -> UnreadableJob:
    fields = member_values(raw, _RECOVERED)
    key, job_type = fields.get("jobKey"), fields.get("type")
    return UnreadableJob(
        job_key=key if isinstance(key, str) else None if _whole(key) is None else str(key),
        job_type=job_type if isinstance(job_type, str) else None,
        retries=_whole(fields.get("retries")),
        reason=reason,
        deadline=_whole(fields.get("deadline")),
    )


def _undecodable(raw: str) -> bool:
    try:
        json.loads(raw)
    except RecursionError:
        return True
    except ValueError:
        return False
    return False


def _too_deep(raw: str) -> str:
    limit = "deeper than the JSON decoder of this worker can read"
    deep: list[str] = []
    try:
        variables = next((start for name, start, _, _ in members(raw) if name == "variables"), None)
        if variables is not None:
            deep = [
                f"variable {name!r} nests {depth} levels deep"
                for name, start, end, depth in members(raw, variables)
                if depth and _undecodable(raw[start:end])
            ]
    except ScanError:
        pass
    if not deep:
        return f"it nests {limit}"
    return "; ".join(deep[:5]) + ("; ..." if len(deep) > 5 else "") + f", {limit}"


def _mismatch(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or 'the job'}: {item['msg']}"
        for item in error.errors(include_url=False, include_context=False, include_input=False)
    ]
    shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
    return f"it does not match the activated-job schema ({shown})"


class Partition(WireModel):
    """One partition on a broker, as the topology reports it."""

    partition_id: int
    role: str
    health: str


class BrokerInfo(WireModel):
    """One broker of the cluster, as the topology reports it."""

    node_id: int
    host: str
    port: int
    partitions: list[Partition] = []
    version: str = ""


class Topology(WireModel):
    """The cluster topology (``GET /topology``)."""

    brokers: list[BrokerInfo] = []
    cluster_size: int
    partitions_count: int
    replication_factor: int
    gateway_version: str
    last_completed_change_id: str | None = None
    cluster_id: str | None = None


class DeployedProcess(WireModel):
    """A process definition created by a deployment."""

    process_definition_id: str
    process_definition_version: int
    process_definition_key: str
    resource_name: str
    tenant_id: str


class DeploymentResult(WireModel):
    """The answer to a deployment (``POST /deployments``).

    Attributes:
        deployment_key: key of the deployment.
        tenant_id: the tenant the resources were deployed to.
        processes: the process definitions the deployment created, one per BPMN process.
        deployments: every deployed item as the server described it (processes, decisions,
            forms, other resources), for what ``processes`` does not cover.
    """

    deployment_key: str
    tenant_id: str
    processes: list[DeployedProcess] = []
    deployments: list[dict[str, Any]] = []

    @model_validator(mode="before")
    @classmethod
    def _collect_processes(cls, data: Any) -> Any:
        # The wire nests each process under deployments[].processDefinition; lift them out.
        if isinstance(data, dict) and "processes" not in data:
            items = data.get("deployments") or []
            processes = [
                item["processDefinition"]
                for item in items
                if isinstance(item, dict) and item.get("processDefinition")
            ]
            data = {**data, "processes": processes}
        return data


class CreatedProcessInstance(WireModel):
    """The answer to creating a process instance (``POST /process-instances``).

    ``variables`` holds the instance's variables when the creation awaited completion.
    """

    process_instance_key: str
    process_definition_key: str
    process_definition_id: str
    process_definition_version: int
    tenant_id: str
    variables: dict[str, Any] = {}
    tags: tuple[str, ...] = ()
    business_id: str | None = None


class ProcessInstance(WireModel):
    """A process instance as search and get answer it (eventually consistent data).

    Attributes:
        state: ``ACTIVE``, ``COMPLETED``, ``TERMINATED`` (8.10 adds ``SUSPENDED``).
        has_incident: whether an incident is open on the instance.
    """

    process_instance_key: str
    process_definition_id: str
    process_definition_key: str
    process_definition_version: int
    state: str
    tenant_id: str
    has_incident: bool = False
    process_definition_name: str | None = None
    process_definition_version_tag: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    parent_process_instance_key: str | None = None
    parent_element_instance_key: str | None = None
    root_process_instance_key: str | None = None
    tags: tuple[str, ...] = ()
    business_id: str | None = None


class SearchPage(WireModel):
    """Paging information of a search answer.

    Attributes:
        total_items: how many items match (a lower bound when ``has_more_total_items``).
        has_more_total_items: whether ``total_items`` was capped by the server.
        start_cursor: pass as ``before`` to fetch the previous page.
        end_cursor: pass as ``after`` to fetch the next page.
    """

    total_items: int = 0
    has_more_total_items: bool = False
    start_cursor: str | None = None
    end_cursor: str | None = None


class JobSearchItem(WireModel):
    """A job as ``POST /jobs/search`` describes it (eventually consistent data)."""

    job_key: str
    job_type: str = Field(alias="type")
    state: str
    retries: int
    worker: str = ""
    process_instance_key: str
    process_definition_id: str
    process_definition_key: str
    element_id: str | None = None
    element_instance_key: str
    tenant_id: str
    kind: str = "BPMN_ELEMENT"
    listener_event_type: str = "UNSPECIFIED"
    custom_headers: dict[str, str] = {}
    has_failed_with_retries_left: bool = False
    error_code: str | None = None
    error_message: str | None = None
    deadline: str | None = None
    denied_reason: str | None = None
    is_denied: bool | None = None
    creation_time: str | None = None
    last_update_time: str | None = None
    end_time: str | None = None
    root_process_instance_key: str | None = None
    priority: int | None = None
    business_id: str | None = None


class JobSearchResult(WireModel):
    """The answer to ``POST /jobs/search``: one page of jobs."""

    items: list[JobSearchItem]
    page: SearchPage = SearchPage()


class ProcessInstanceSearchResult(WireModel):
    """The answer to ``POST /process-instances/search``: one page of process instances."""

    items: list[ProcessInstance]
    page: SearchPage = SearchPage()


class Incident(WireModel):
    """An incident (``IncidentResult``): something that stopped a token until someone fixes it.

    Attributes:
        incident_key: the incident's key.
        error_type: e.g. ``JOB_NO_RETRIES``, ``UNHANDLED_ERROR_EVENT``, ``CONDITION_ERROR``.
        error_message: what went wrong.
        state: ``ACTIVE``, ``RESOLVED``, ``MIGRATED`` or ``PENDING``.
        process_instance_key: its process instance.
        process_definition_id: the BPMN process id.
        process_definition_key: the deployed process definition's key.
        element_id: the BPMN element it is on.
        element_instance_key: the element instance it is on.
        job_key: the job, for job incidents.
        creation_time: when it was raised (ISO 8601).
        tenant_id: the tenant.
    """

    incident_key: str
    error_type: str
    error_message: str = ""
    state: str
    process_instance_key: str | None = None
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    element_id: str | None = None
    element_instance_key: str | None = None
    job_key: str | None = None
    creation_time: str | None = None
    tenant_id: str | None = None


class IncidentSearchResult(WireModel):
    """The answer to ``POST /incidents/search``: one page of incidents."""

    items: list[Incident]
    page: SearchPage = SearchPage()


class ElementInstance(WireModel):
    """An element instance (``ElementInstanceResult``): a task, event or scope a token is in.

    Attributes:
        element_instance_key: its key (what ``PUT /element-instances/{key}/variables`` takes).
        element_id: the BPMN element's id.
        element_name: the element's name (its id when it has none).
        type: e.g. ``SERVICE_TASK``, ``USER_TASK``, ``SUB_PROCESS``.
        state: ``ACTIVE``, ``COMPLETED`` or ``TERMINATED``.
        has_incident: whether an incident holds it.
        incident_key: that incident.
        process_instance_key: its process instance.
        process_definition_id: the BPMN process id.
        process_definition_key: the deployed process definition's key.
        start_date: when it was entered (ISO 8601).
        end_date: when it ended.
        tenant_id: the tenant.
    """

    element_instance_key: str
    element_id: str
    element_name: str | None = None
    type: str
    state: str
    has_incident: bool = False
    incident_key: str | None = None
    process_instance_key: str
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    tenant_id: str | None = None


class ElementInstanceSearchResult(WireModel):
    """The answer to ``POST /element-instances/search``: one page of element instances."""

    items: list[ElementInstance]
    page: SearchPage = SearchPage()


class VariableResult(WireModel):
    """A variable (``VariableSearchResult``/``VariableResult``) of a scope.

    Attributes:
        variable_key: its key.
        name: its name.
        value: its value as JSON text (``'"ann"'``, ``'12'``, ``'{"a":1}'``); see :attr:`json`.
        is_truncated: whether ``value`` was cut (search answers cut long values).
        scope_key: the process instance or element instance it belongs to.
        process_instance_key: its process instance.
        tenant_id: the tenant.
    """

    variable_key: str
    name: str
    value: str
    is_truncated: bool = False
    scope_key: str
    process_instance_key: str
    tenant_id: str | None = None

    @property
    def json(self) -> Any:
        """The value, parsed from its JSON text."""
        return json.loads(self.value)


class VariableSearchResult(WireModel):
    """The answer to ``POST /variables/search``: one page of variables."""

    items: list[VariableResult]
    page: SearchPage = SearchPage()


class UserTask(WireModel):
    """A Camunda user task (``UserTaskResult``): work for a person, in Tasklist.

    Attributes:
        user_task_key: its key.
        name: its name.
        state: ``CREATED``, ``COMPLETED``, ``CANCELED``, ``FAILED`` (and transitional states).
        assignee: who works on it.
        candidate_groups: the groups that may claim it.
        candidate_users: the users that may claim it.
        element_id: the BPMN user task's id.
        element_instance_key: its element instance.
        process_instance_key: its process instance.
        process_definition_id: the BPMN process id.
        process_definition_key: the deployed process definition's key.
        creation_date: when it was created (ISO 8601).
        completion_date: when it was completed.
        due_date: when it is due.
        follow_up_date: when to follow it up.
        priority: 0 to 100.
        custom_headers: the task headers of its element.
        tenant_id: the tenant.
    """

    user_task_key: str
    name: str | None = None
    state: str
    assignee: str | None = None
    candidate_groups: tuple[str, ...] = ()
    candidate_users: tuple[str, ...] = ()
    element_id: str
    element_instance_key: str
    process_instance_key: str
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    creation_date: str | None = None
    completion_date: str | None = None
    due_date: str | None = None
    follow_up_date: str | None = None
    priority: int = 50
    custom_headers: dict[str, str] = {}
    tenant_id: str | None = None


class UserTaskSearchResult(WireModel):
    """The answer to ``POST /user-tasks/search``: one page of user tasks."""

    items: list[UserTask]
    page: SearchPage = SearchPage()


class PublishedMessage(WireModel):
    """The answer to publishing a message (``POST /messages/publication``)."""

    message_key: str
    tenant_id: str
