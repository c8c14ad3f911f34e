"""The immutable process model the BPMN parser builds and the engine executes."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from camunda_worker.engine._model.conditions import Condition
from camunda_worker.engine._model.expressions import Expression

__all__ = [
    "JOB_TASK_KINDS",
    "PASS_THROUGH_KINDS",
    "ROUTE_END",
    "ROUTE_JOB",
    "ROUTE_OTHER",
    "ROUTE_THROUGH",
    "CalledElement",
    "FlowNode",
    "LoopCharacteristics",
    "MessageDefinition",
    "ProcessDefinition",
    "ProcessModel",
    "ScriptDefinition",
    "SequenceFlow",
    "TaskDefinition",
    "TimerDefinition",
    "UserTaskDefinition",
    "VariableMapping",
]

#: Tasks that create a job for a worker (with a ``zeebe:taskDefinition``).
JOB_TASK_KINDS = frozenset({"serviceTask", "sendTask", "scriptTask", "businessRuleTask"})
#: Elements a token passes straight through (undefined and manual tasks, none throw events).
PASS_THROUGH_KINDS = frozenset({"task", "manualTask", "intermediateThrowEvent"})

# How the flow runs a token at a node, worked out once when the model is built (FlowNode.route)
# so that the common elements skip the flow's run-time questions.
#: A token goes straight on along the outgoing flows: a none start event, a parallel fork, an
#: undefined or manual task, a none throw event; without mappings, loop or link.
ROUTE_THROUGH = "through"
#: The token is consumed: a none end event without mappings.
ROUTE_END = "end"
#: The element waits for its job: a job-based task with a static job type and retries, not
#: multi-instance, without boundary events or event sub-processes (nothing to open on entry).
ROUTE_JOB = "job"
#: Anything else: the flow decides at run time.
ROUTE_OTHER = ""

# Kinds the flow gives a behaviour of their own (never ROUTE_THROUGH).
_BEHAVING_KINDS = JOB_TASK_KINDS | {
    "userTask",
    "subProcess",
    "callActivity",
    "intermediateCatchEvent",
    "receiveTask",
    "eventBasedGateway",
    "exclusiveGateway",
    "inclusiveGateway",
    "endEvent",
    "boundaryEvent",
}


def _route(node: FlowNode) -> str:
    if node.loop is not None or node.script is not None or node.inputs or node.outputs:
        return ROUTE_OTHER
    task = node.task
    if node.kind in JOB_TASK_KINDS:
        plain = (
            task is not None
            and task.type_expression is None
            and task.retries_expression is None
            and not node.boundary_events
            and not node.event_sub_processes
            and node.timer is None
            and node.message is None
        )
        return ROUTE_JOB if plain else ROUTE_OTHER
    if task is not None or node.event is not None:
        return ROUTE_OTHER
    if node.kind == "endEvent":
        return ROUTE_END
    if (
        node.kind in _BEHAVING_KINDS
        or (node.kind == "parallelGateway" and len(node.incoming) > 1)
        or node.link is not None
        or node.link_target is not None
        or not node.outgoing
    ):
        return ROUTE_OTHER
    return ROUTE_THROUGH


@attrs.frozen
class TaskDefinition:
    """What a job-based task asks of workers.

    Attributes:
        job_type: the job type workers subscribe to.
        retries: the retries a new job starts with.
        headers: the custom headers (``zeebe:taskHeaders``) every job of the task carries.
        type_expression: the job type as a FEEL expression (``type="=..."``), evaluated when
            the job is created (``job_type`` is then its text).
        retries_expression: the retries as a FEEL expression, evaluated likewise.
    """

    job_type: str
    retries: int
    headers: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    type_expression: Expression | None = None
    retries_expression: Expression | None = None


@attrs.frozen
class UserTaskDefinition:
    """What a user task asks of people.

    Attributes:
        camunda: whether it is a Camunda user task (``zeebe:userTask``); else it is the
            job-based form, a job of type ``io.camunda.zeebe:userTask``.
        assignee: the ``zeebe:assignmentDefinition`` assignee.
        candidate_groups: its candidate groups (comma-separated text, or a list expression).
        candidate_users: its candidate users, likewise.
        due_date: the ``zeebe:taskSchedule`` due date.
        follow_up_date: its follow-up date.
        form_key: the ``zeebe:formDefinition`` form key or form id.
        external_reference: its external form reference.
        priority: the ``zeebe:priorityDefinition`` priority.
    """

    camunda: bool
    assignee: Expression | None = None
    candidate_groups: Expression | None = None
    candidate_users: Expression | None = None
    due_date: Expression | None = None
    follow_up_date: Expression | None = None
    form_key: str | None = None
    external_reference: Expression | None = None
    priority: Expression | None = None


@attrs.frozen
class ScriptDefinition:
    """The ``zeebe:script`` of a script task that Zeebe evaluates itself.

    Attributes:
        expression: the FEEL expression.
        result_variable: the variable its result is written to.
    """

    expression: Expression
    result_variable: str


@attrs.frozen
class VariableMapping:
    """One ``zeebe:input`` or ``zeebe:output`` of a ``zeebe:ioMapping``.

    Attributes:
        source: the value: a FEEL expression (``=order.total``) or a static value.
        target: the variable name or dotted path it is written to.
    """

    source: Expression
    target: str


@attrs.frozen
class MessageDefinition:
    """The ``bpmn:message`` a message event or receive task waits for.

    Attributes:
        name: the message name (static, or an expression evaluated when the subscription opens).
        correlation_key: the ``zeebe:subscription`` correlation key expression (``None`` on a
            message start event, which needs none).
    """

    name: Expression
    correlation_key: Expression | None


@attrs.frozen
class TimerDefinition:
    """The ``bpmn:timerEventDefinition`` of a timer event.

    Attributes:
        kind: ``timeDuration``, ``timeDate`` or ``timeCycle``.
        value: the ISO 8601 value, static or a FEEL expression evaluated when the timer is armed.
    """

    kind: str
    value: Expression


@attrs.frozen
class CalledElement:
    """The ``zeebe:calledElement`` of a call activity.

    Attributes:
        process_id: the BPMN process id of the process to call (static or an expression
            evaluated when the call activity is entered).
        binding_type: which version is called: ``latest``, ``deployment`` (the version deployed
            with the calling process) or ``versionTag``.
        version_tag: the version tag to call with ``binding_type`` ``versionTag``.
        propagate_all_child_variables: whether every variable of the child's root scope
            reaches the call activity when the child completes (else only output mappings).
        propagate_all_parent_variables: whether the child starts with every variable the call
            activity sees (else only its input mappings' results).
    """

    process_id: Expression
    binding_type: str = "latest"
    version_tag: str | None = None
    propagate_all_child_variables: bool = True
    propagate_all_parent_variables: bool = True


@attrs.frozen
class LoopCharacteristics:
    """The ``bpmn:multiInstanceLoopCharacteristics`` of a multi-instance activity.

    Attributes:
        sequential: one inner instance at a time (``isSequential``), else all in parallel.
        input_collection: the expression of the list to iterate over.
        input_element: the inner instance's local variable holding its item, if any.
        output_collection: the multi-instance body's variable collecting the results, if any.
        output_element: the expression evaluated in each inner instance for its result.
        completion_condition: the condition that completes the body early, if any.
    """

    sequential: bool
    input_collection: Expression
    input_element: str | None = None
    output_collection: str | None = None
    output_element: Expression | None = None
    completion_condition: Condition | None = None


@attrs.frozen
class SequenceFlow:
    """A sequence flow between two flow nodes.

    Attributes:
        id: the flow's element id.
        source: the id of the node it leaves.
        target: the id of the node it enters.
        condition: its condition (only on flows leaving an exclusive gateway), or ``None``.
    """

    id: str
    source: str
    target: str
    condition: Condition | None = None


@attrs.frozen
class FlowNode:
    """One flow node (event, task or gateway) of a process.

    Attributes:
        id: the element id.
        kind: the BPMN element type without prefix, e.g. ``serviceTask``.
        name: the element's name, if any.
        incoming: ids of the sequence flows entering the node, in document order.
        outgoing: ids of the sequence flows leaving the node, in document order.
        task: the task definition of a job-based task.
        default_flow: the default flow of an exclusive gateway.
        attached_to: for a boundary event, the id of the task it is attached to.
        error_code: for an error boundary event, the code it catches (``None``: every error);
            for an error end event, the code it throws (the same for escalations).
        code_expression: for an error end event or an escalation throw or end event whose
            code is an ``=`` expression, that expression (evaluated when the event is reached).
        boundary_events: for an activity, the ids of the boundary events attached to it.
        event: the event definition of an event (``error``, ``terminate``...), ``None`` for none.
        scope: the id of the embedded sub-process the node is in (``None``: the process).
        start_node: for an embedded sub-process, the id of its none start event.
        inputs: the input mappings (``zeebe:ioMapping``), in document order.
        outputs: the output mappings, in document order.
        timer: the timer of a timer event.
        message: the message of a message event or receive task; for a signal event, its
            signal (the name, without correlation key).
        script: the FEEL script of a script task without a job.
        user_task: the assignment, schedule and form of a user task.
        link: the link name of a link event.
        link_target: for a link throw event, the id of the link catch event it jumps to.
        interrupting: for a boundary event, whether it terminates the activity
            (``cancelActivity``).
        called_element: the process a call activity calls.
        loop: the multi-instance characteristics of a multi-instance activity.
            (``cancelActivity``); for the start event of an event sub-process, whether it
            terminates the rest of its scope (``isInterrupting``).
        triggered_by_event: whether it is an event sub-process (``triggeredByEvent``).
        event_sub_processes: for an embedded sub-process or an event sub-process, the ids of
            the event sub-processes directly inside it.
        route: how the flow runs a token here (``ROUTE_THROUGH``, ``ROUTE_END``, ``ROUTE_JOB``,
            ``ROUTE_OTHER``), derived from the other attributes.
    """

    id: str
    kind: str
    name: str | None = None
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()
    task: TaskDefinition | None = None
    default_flow: str | None = None
    attached_to: str | None = None
    error_code: str | None = None
    boundary_events: tuple[str, ...] = ()
    event: str | None = None
    scope: str | None = None
    start_node: str | None = None
    inputs: tuple[VariableMapping, ...] = ()
    outputs: tuple[VariableMapping, ...] = ()
    timer: TimerDefinition | None = None
    message: MessageDefinition | None = None
    script: ScriptDefinition | None = None
    user_task: UserTaskDefinition | None = None
    link: str | None = None
    link_target: str | None = None
    interrupting: bool = True
    called_element: CalledElement | None = None
    loop: LoopCharacteristics | None = None
    triggered_by_event: bool = False
    event_sub_processes: tuple[str, ...] = ()
    code_expression: Expression | None = None
    route: str = attrs.field(
        init=False, eq=False, repr=False, default=attrs.Factory(_route, takes_self=True)
    )


@attrs.frozen
class ProcessModel:
    """An executable process as parsed from BPMN XML.

    Attributes:
        process_id: the BPMN process id.
        name: the process name, if any.
        version_tag: the ``zeebe:versionTag``, if any.
        nodes: the flow nodes by id.
        flows: the sequence flows by id.
        start_node: the id of the none start event (``None``: the process has only other
            start events, and cannot be started by a command).
        timer_starts: the ids of its timer start events.
        message_starts: the ids of its message start events.
        signal_starts: the ids of its signal start events.
        event_sub_processes: the ids of the event sub-processes at the process level.
    """

    process_id: str
    name: str | None
    version_tag: str | None
    nodes: Mapping[str, FlowNode] = attrs.field(hash=False)
    flows: Mapping[str, SequenceFlow] = attrs.field(hash=False)
    start_node: str | None
    timer_starts: tuple[str, ...] = ()
    message_starts: tuple[str, ...] = ()
    signal_starts: tuple[str, ...] = ()
    event_sub_processes: tuple[str, ...] = ()


@attrs.frozen
class ProcessDefinition:
    """A deployed version of a process.

    Attributes:
        key: the process definition key.
        process_id: the BPMN process id.
        version: the version, counted per process id and tenant from 1.
        tenant_id: the tenant that owns it.
        resource_name: the name of the deployed resource it came from.
        checksum: the SHA-256 of that resource (redeploying it unchanged keeps this version).
        deployment_key: the key of the deployment that created it.
        model: the executable model.
    """

    key: int
    process_id: str
    version: int
    tenant_id: str
    resource_name: str
    checksum: str
    deployment_key: int
    model: ProcessModel = attrs.field(hash=False, repr=False)
