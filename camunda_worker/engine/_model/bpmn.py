"""Parse and validate BPMN 2.0 XML (as the Camunda Modeler writes it) into process models.

Namespaces are matched by URI, so any prefixes work. Everything outside the supported subset is
reported, never ignored: :func:`parse_bpmn` raises :class:`BpmnValidationError` listing every
problem with the element's id and type. What is supported is the table of ``docs/engine.md``
(Camunda's BPMN coverage, with this engine's column); what is refused there is refused here,
with Zeebe's wording where Zeebe refuses it too. Event sub-processes are read like embedded
sub-processes, their start events by :meth:`_ProcessReader._event_sub_process_start`, and
checked by :mod:`.event_subprocesses`; call activities (``zeebe:calledElement``) and
multi-instance activities (``bpmn:multiInstanceLoopCharacteristics``) by :mod:`.activities`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

import attrs
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring

from camunda_worker.engine._model.activities import (
    parse_called_element,
    parse_loop_characteristics,
)
from camunda_worker.engine._model.conditions import ConditionSyntaxError, parse_condition
from camunda_worker.engine._model.definitions import (
    JOB_TASK_KINDS,
    PASS_THROUGH_KINDS,
    FlowNode,
    MessageDefinition,
    ProcessModel,
    ScriptDefinition,
    SequenceFlow,
    TaskDefinition,
    TimerDefinition,
    UserTaskDefinition,
    VariableMapping,
)
from camunda_worker.engine._model.event_subprocesses import wire_event_sub_processes
from camunda_worker.engine._model.expressions import (
    PATH_PATTERN,
    Expression,
    ExpressionSyntaxError,
    is_variable_path,
    parse_expression,
)
from camunda_worker.engine._model.timers import TimerValueError, check_timer_value
from camunda_worker.engine._model.validation import Problem, validate_process

__all__ = [
    "BPMN_NS",
    "USER_TASK_JOB_TYPE",
    "ZEEBE_NS",
    "BpmnValidationError",
    "Problem",
    "parse_bpmn",
]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
#: The job type of a job-based user task (a user task without ``zeebe:userTask``).
USER_TASK_JOB_TYPE = "io.camunda.zeebe:userTask"

_PROCESS_ID = re.compile(r"^[^\W\d][\w\-.]*$")
_NODE_KINDS = (
    JOB_TASK_KINDS
    | PASS_THROUGH_KINDS
    | {
        "startEvent",
        "endEvent",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "boundaryEvent",
        "intermediateCatchEvent",
        "receiveTask",
        "userTask",
        "subProcess",
        "eventBasedGateway",
        "callActivity",
    }
)
# Activities that may be multi-instance (``bpmn:multiInstanceLoopCharacteristics``).
_LOOP_KINDS = JOB_TASK_KINDS | {
    "task",
    "manualTask",
    "userTask",
    "receiveTask",
    "subProcess",
    "callActivity",
}
# Children without runtime meaning in Zeebe either.
_IGNORED_IN_PROCESS = frozenset(
    {
        "laneSet",
        "textAnnotation",
        "association",
        "group",
        "documentation",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "extensionElements",
        "sequenceFlow",
    }
)
_IGNORED_IN_NODE = frozenset(
    {
        "incoming",
        "outgoing",
        "documentation",
        "extensionElements",
        "dataInputAssociation",
        "dataOutputAssociation",
        "property",
        "ioSpecification",
    }
)
# The timer definitions each kind of timer event may have (Camunda's timer events page).
_TIMER_KINDS = {
    "start event": ("timeDate", "timeCycle"),
    "intermediate catch event": ("timeDuration", "timeDate"),
    "boundary": ("timeDuration", "timeDate"),
    "non-interrupting boundary": ("timeDuration", "timeCycle", "timeDate"),
}
# Children of an embedded sub-process besides its flow elements.
_IGNORED_IN_SUB_PROCESS = _IGNORED_IN_PROCESS | {
    "multiInstanceLoopCharacteristics",
    "incoming",
    "outgoing",
    "dataInputAssociation",
    "dataOutputAssociation",
    "property",
    "ioSpecification",
}


_DECIDING_GATEWAYS = ("exclusiveGateway", "inclusiveGateway")
# Message events Zeebe runs as jobs (``zeebe:taskDefinition``).
_MESSAGE_THROWS = ("intermediateThrowEvent", "endEvent")
_MESSAGE_EVENTS = ("boundaryEvent", "intermediateCatchEvent", "startEvent")
_LINK_EVENTS = ("intermediateCatchEvent", "intermediateThrowEvent")
_ESCALATION_EVENTS = ("boundaryEvent", "intermediateThrowEvent", "endEvent")
_SIGNAL_EVENTS = (
    "boundaryEvent",
    "intermediateCatchEvent",
    "startEvent",
    "intermediateThrowEvent",
    "endEvent",
)


_THROWING = frozenset({"endEvent", "intermediateThrowEvent"})


@attrs.frozen
class _Details:
    # What an event's definition says.
    event: str | None = None
    error_code: str | None = None
    timer: TimerDefinition | None = None
    message: MessageDefinition | None = None
    link: str | None = None


class BpmnValidationError(ValueError):
    """A resource is not BPMN the engine can run; ``problems`` says why, element by element."""

    def __init__(self, resource_name: str, problems: list[Problem]) -> None:
        self.resource_name = resource_name
        self.problems = problems
        lines = "\n".join(problem.render() for problem in problems)
        super().__init__(f"'{resource_name}': {lines}")


def parse_bpmn(resource_name: str, content: bytes | str) -> list[ProcessModel]:
    """Parse one BPMN resource into the models of its executable processes.

    Args:
        resource_name: the resource's file name (used in messages).
        content: the XML, as bytes or text.

    Returns:
        One model per executable process, in document order.

    Raises:
        BpmnValidationError: when the XML is malformed, not BPMN, or outside the supported subset.
    """
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    root = _parse_xml(resource_name, data)
    if root.tag != f"{{{BPMN_NS}}}definitions":
        lower = resource_name.lower()
        what = "DMN" if lower.endswith(".dmn") else "form" if lower.endswith(".form") else None
        message = (
            f"{what} resources are not supported by this engine: only BPMN processes"
            if what
            else f"not a BPMN 2.0 document: the root element is {_qualified(root.tag)}"
        )
        raise BpmnValidationError(resource_name, [Problem(resource_name, "resource", message)])
    errors = {
        element.get("id", ""): element.get("errorCode")
        for element in root.iter(f"{{{BPMN_NS}}}error")
    }
    escalations = {
        element.get("id", ""): element.get("escalationCode")
        for element in root.iter(f"{{{BPMN_NS}}}escalation")
    }
    messages = {element.get("id", ""): element for element in root.iter(f"{{{BPMN_NS}}}message")}
    signals = {
        element.get("id", ""): (element.get("name") or "").strip()
        for element in root.iter(f"{{{BPMN_NS}}}signal")
    }
    problems: list[Problem] = []
    models: list[ProcessModel] = []
    for process in root.findall(f"{{{BPMN_NS}}}process"):
        if process.get("isExecutable", "false").lower() != "true":
            continue
        model = _ProcessReader(process, errors, messages, problems, signals, escalations).read()
        if model is not None:
            models.append(model)
    if not models and not problems:
        problems.append(
            Problem(
                resource_name, "bpmn:definitions", "Must contain at least one executable process"
            )
        )
    if problems:
        raise BpmnValidationError(resource_name, problems)
    return models


def _parse_xml(resource_name: str, data: bytes) -> ET.Element:
    # Deployed XML is untrusted. BPMN never needs a DTD: defusedxml refuses any DOCTYPE (so any
    # entity, internal or external) as the parser meets it, in whatever encoding the document
    # is written, before anything is expanded or fetched.
    try:
        return _defused_fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        message = "DOCTYPE and ENTITY declarations are not allowed"
    except ET.ParseError as exc:
        message = f"the resource is not well-formed XML: {exc}"
    except (
        ValueError
    ) as exc:  # expat: "multi-byte encodings are not supported" (declared Shift_JIS, UTF-32...)
        message = f"the resource is not well-formed XML: {exc}"
    raise BpmnValidationError(
        resource_name, [Problem(resource_name, "resource", message)]
    ) from None


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _ref(element: ET.Element, definition: str, attribute: str) -> str | None:
    # An attribute of the event definition child of an event.
    for local, child in _children(element, BPMN_NS):
        if local == definition:
            return child.get(attribute)
    return None


def _qualified(tag: str) -> str:
    namespace, local = _split(tag)
    prefix = {BPMN_NS: "bpmn", ZEEBE_NS: "zeebe"}.get(namespace)
    return f"{prefix}:{local}" if prefix else (f"{{{namespace}}}{local}" if namespace else local)


def _children(element: ET.Element, namespace: str) -> Iterator[tuple[str, ET.Element]]:
    for child in element:
        if isinstance(child.tag, str):
            child_namespace, local = _split(child.tag)
            if child_namespace == namespace:
                yield local, child


class _ProcessReader:
    """Reads one ``bpmn:process`` element, collecting problems instead of stopping at the first."""

    def __init__(
        self,
        process: ET.Element,
        errors: dict[str, str | None],
        messages: dict[str, ET.Element],
        problems: list[Problem],
        signals: dict[str, str] | None = None,
        escalations: dict[str, str | None] | None = None,
    ) -> None:
        self.process = process
        self.errors = errors
        self.messages = messages
        self.signals = signals or {}
        self.escalations = escalations or {}
        self.problems = problems
        self.process_id = process.get("id", "")
        # Ids of the event sub-processes read so far (their start events have definitions).
        self.event_scopes: set[str] = set()

    def problem(self, element: ET.Element, message: str) -> None:
        element_id = element.get("id") or self.process_id or "?"
        self.problems.append(Problem(element_id, _qualified(element.tag), message))

    def read(self) -> ProcessModel | None:
        before = len(self.problems)
        if not _PROCESS_ID.match(self.process_id):
            self.problem(self.process, f"the process id {self.process_id!r} is not a valid id")
        version_tag = self._process_extensions()
        nodes: dict[str, FlowNode] = {}
        flow_elements: list[ET.Element] = []
        refused: set[str] = set()
        self._read_container(self.process, None, nodes, flow_elements, refused)
        flows = {
            flow.id: flow for flow in (self._flow(element) for element in flow_elements) if flow
        }
        starts = validate_process(self.process_id, nodes, flows, self.problems, refused)
        event_sub_processes = wire_event_sub_processes(
            nodes, lambda *problem: self.problems.append(Problem(*problem))
        )
        if len(self.problems) > before or starts is None:
            return None
        return ProcessModel(
            process_id=self.process_id,
            name=self.process.get("name"),
            version_tag=version_tag,
            nodes=nodes,
            flows=flows,
            start_node=starts[0],
            timer_starts=starts[1],
            message_starts=tuple(
                node.id
                for node in nodes.values()
                if node.kind == "startEvent" and node.scope is None and node.event == "message"
            ),
            signal_starts=tuple(
                node.id
                for node in nodes.values()
                if node.kind == "startEvent" and node.scope is None and node.event == "signal"
            ),
            event_sub_processes=event_sub_processes,
        )

    def _read_container(
        self,
        container: ET.Element,
        scope: str | None,
        nodes: dict[str, FlowNode],
        flow_elements: list[ET.Element],
        refused: set[str],
    ) -> None:
        # The flow elements of the process or of an embedded sub-process (recursively).
        ignored = _IGNORED_IN_PROCESS if scope is None else _IGNORED_IN_SUB_PROCESS
        for local, child in _children(container, BPMN_NS):
            if local == "sequenceFlow":
                flow_elements.append(child)
            elif local == "subProcess" and child.get("triggeredByEvent", "").lower() == "true":
                node = self._node(local, child, scope)
                if node is not None:
                    nodes[node.id] = attrs.evolve(node, triggered_by_event=True)
                    self.event_scopes.add(node.id)
                    self._read_container(child, node.id, nodes, flow_elements, refused)
            elif local in _NODE_KINDS:
                node = self._node(local, child, scope)
                if node is not None:
                    nodes[node.id] = node
                    if local == "subProcess":
                        self._read_container(child, node.id, nodes, flow_elements, refused)
            elif local not in ignored:
                refused.add(child.get("id", ""))
                self.problem(child, f"elements of type '{local}' are not supported by this engine")

    def _process_extensions(self) -> str | None:
        version_tag = None
        for _, extensions in _children(self.process, BPMN_NS):
            if extensions.tag != f"{{{BPMN_NS}}}extensionElements":
                continue
            for local, child in _children(extensions, ZEEBE_NS):
                if local == "versionTag":
                    version_tag = child.get("value")
                elif local != "properties":
                    self.problem(self.process, f"'zeebe:{local}' is not supported by this engine")
        return version_tag

    def _extensions(self, element: ET.Element) -> dict[str, ET.Element]:
        found: dict[str, ET.Element] = {}
        for local, extensions in _children(element, BPMN_NS):
            if local == "extensionElements":
                for name, child in _children(extensions, ZEEBE_NS):
                    if name in found:
                        self.problem(element, f"must have at most one 'zeebe:{name}' element")
                    found[name] = child
        found.pop("properties", None)
        return found

    def _node(self, kind: str, element: ET.Element, scope: str | None) -> FlowNode | None:
        node_id = element.get("id")
        if not node_id:
            self.problem(element, "the element has no id")
            return None
        definitions = [
            local
            for local, _ in _children(element, BPMN_NS)
            if local.endswith("EventDefinition") or local == "eventDefinitionRef"
        ]
        loop = None
        for local, child in _children(element, BPMN_NS):
            if local == "multiInstanceLoopCharacteristics" and kind in _LOOP_KINDS:
                loop = parse_loop_characteristics(child, lambda text: self.problem(element, text))
            elif (
                kind != "subProcess" and local not in _IGNORED_IN_NODE and local not in definitions
            ):
                self.problem(
                    element, f"'bpmn:{local}' inside a {kind} is not supported by this engine"
                )
        extensions = self._extensions(element)
        called = None
        if kind == "callActivity":
            called = parse_called_element(
                extensions.pop("calledElement", None), lambda text: self.problem(element, text)
            )
        flag = "isInterrupting" if kind == "startEvent" else "cancelActivity"
        interrupting = element.get(flag, "true").strip().lower() != "false"
        self._refuse_compensation(element, definitions)
        script = None
        task = None
        if kind == "scriptTask" and "script" in extensions:
            if "taskDefinition" in extensions:
                self.problem(
                    element,
                    "Must have either one 'zeebe:script' or one 'zeebe:taskDefinition' "
                    "extension element",
                )
            script = self._script(element, extensions.pop("script"))
            extensions.pop("taskDefinition", None)
        elif kind == "businessRuleTask" and "calledDecision" in extensions:
            extensions.pop("calledDecision")
            self.problem(
                element,
                "a business rule task with 'zeebe:calledDecision' evaluates a DMN decision, and "
                "DMN is not supported by this engine: implement it as a job "
                "('zeebe:taskDefinition')",
            )
        elif kind in JOB_TASK_KINDS or (
            kind in _MESSAGE_THROWS and definitions == ["messageEventDefinition"]
        ):
            task = self._task_definition(element, extensions)
        user_task = None
        if kind == "userTask":
            headers = self._headers(extensions.pop("taskHeaders", None))
            task = TaskDefinition(job_type=USER_TASK_JOB_TYPE, retries=3, headers=headers)
            user_task = self._user_task(element, extensions)
        details = _Details()
        if kind not in JOB_TASK_KINDS:
            details = self._event(kind, element, definitions, scope, interrupting)
        inputs, outputs = self._io_mapping(kind, element, extensions.pop("ioMapping", None))
        self._unsupported_extensions(element, extensions)
        code_expression = self._thrown_code(kind, element, details)
        return FlowNode(
            id=node_id,
            kind=kind,
            name=element.get("name"),
            task=task,
            default_flow=element.get("default") if kind in _DECIDING_GATEWAYS else None,
            attached_to=element.get("attachedToRef") if kind == "boundaryEvent" else None,
            error_code=details.error_code,
            event=details.event,
            scope=scope,
            inputs=inputs,
            outputs=outputs,
            timer=details.timer,
            message=details.message,
            script=script,
            user_task=user_task,
            link=details.link,
            interrupting=interrupting,
            called_element=called,
            loop=loop,
            code_expression=code_expression,
        )

    def _thrown_code(self, kind: str, element: ET.Element, details: _Details) -> Expression | None:
        # Zeebe: the error or escalation code of a throw or end event may be an expression,
        # evaluated when the event is reached (catch events' codes are static).
        code = details.error_code
        if kind not in _THROWING or code is None or not code.startswith("="):
            return None
        try:
            return parse_expression(code)
        except ExpressionSyntaxError as exc:
            what = "errorCode" if details.event == "error" else "escalationCode"
            self.problem(element, f"the {what} expression cannot be parsed: {exc}")
            return None

    def _event(
        self,
        kind: str,
        element: ET.Element,
        definitions: list[str],
        scope: str | None,
        interrupting: bool,
    ) -> _Details:
        # What the event definition (or a receive task's message) says.
        named = self._special_event(kind, element, definitions, scope) or self._named_event(
            kind, element, definitions, scope
        )
        if named is not None:
            return named
        if kind == "boundaryEvent" and definitions == ["timerEventDefinition"]:
            allowed = _TIMER_KINDS["boundary" if interrupting else "non-interrupting boundary"]
            return _Details("timer", timer=self._timer(element, "boundary event", allowed))
        if kind == "boundaryEvent":
            return _Details("error", self._error_boundary(element, definitions))
        if kind == "endEvent" and definitions:
            return _Details(*self._end_event(element, definitions))
        if kind in ("intermediateCatchEvent", "startEvent") and definitions:
            event, timer = self._catch_event(kind, element, definitions, scope)
            return _Details(event, timer=timer)
        if kind == "intermediateCatchEvent":
            self.problem(element, "Must have exactly one event definition")
        elif definitions:
            self.problem(
                element,
                f"a {kind} with a {definitions[0]} is not supported by this engine "
                "(only none events, error and terminate end events and error boundary events)",
            )
        return _Details()

    def _named_event(
        self, kind: str, element: ET.Element, definitions: list[str], scope: str | None
    ) -> _Details | None:
        # Message events, receive tasks and link events (``None``: none of them).
        if kind == "receiveTask" or (
            definitions == ["messageEventDefinition"] and kind in _MESSAGE_EVENTS
        ):
            return _Details("message", message=self._message_of(kind, element, scope))
        if definitions == ["linkEventDefinition"] and kind in _LINK_EVENTS:
            return _Details("link", link=self._link(element))
        if definitions == ["escalationEventDefinition"] and kind in _ESCALATION_EVENTS:
            return _Details("escalation", self._escalation(kind, element))
        if definitions == ["signalEventDefinition"] and kind in _SIGNAL_EVENTS:
            if kind == "startEvent" and scope is not None:
                self.problem(element, "Start events in embedded sub-processes must be none events")
            return _Details("signal", message=self._signal(element))
        return None

    def _refuse_compensation(self, element: ET.Element, definitions: list[str]) -> None:
        if "compensateEventDefinition" in definitions:
            self.problem(
                element,
                "compensation events are not supported by this engine (Camunda 8 runs them; "
                "model the undo steps explicitly, e.g. with an error boundary event)",
            )
        if element.get("isForCompensation", "").strip().lower() == "true":
            self.problem(
                element,
                "compensation handlers (isForCompensation) are not supported by this engine",
            )

    def _special_event(
        self, kind: str, element: ET.Element, definitions: list[str], scope: str | None
    ) -> _Details | None:
        # Compensation (refused), start events of event sub-processes, message throw and end
        # events (jobs); ``None``: none of them.
        if "compensateEventDefinition" in definitions:
            return _Details()  # refused, see _refuse_compensation
        if kind == "startEvent" and scope in self.event_scopes:
            return self._event_sub_process_start(element, definitions)
        if kind in _MESSAGE_THROWS and definitions == ["messageEventDefinition"]:
            return _Details("message")  # a job of its zeebe:taskDefinition
        return None

    def _event_sub_process_start(self, element: ET.Element, definitions: list[str]) -> _Details:
        # The start event of an event sub-process: message, timer, signal, error, escalation.
        definition = definitions[0] if len(definitions) == 1 else ""
        readers: dict[str, Callable[[], _Details]] = {
            "messageEventDefinition": lambda: _Details(
                "message", message=self._message(element, _ref(element, definition, "messageRef"))
            ),
            "timerEventDefinition": lambda: _Details(
                "timer",
                timer=self._timer(
                    element, "start event", ("timeDuration", "timeDate", "timeCycle")
                ),
            ),
            "signalEventDefinition": lambda: _Details("signal", message=self._signal(element)),
            "escalationEventDefinition": lambda: _Details(
                "escalation", self._escalation("boundaryEvent", element)
            ),
            "errorEventDefinition": lambda: _Details(
                "error", self._error_boundary(element, definitions)
            ),
        }
        reader = readers.get(definition)
        if reader is None:
            self.problem(
                element,
                f"start events of event subprocesses with a {definition} are not supported by "
                "this engine (only message, timer, signal, error and escalation)"
                if definition
                else "Start events in event subprocesses must have exactly one event definition: "
                "message, timer, signal, error or escalation",
            )
            return _Details()
        return reader()

    def _escalation(self, kind: str, element: ET.Element) -> str | None:
        # The escalation code (None: a catch-all boundary event).
        definition = next(
            child
            for local, child in _children(element, BPMN_NS)
            if local == "escalationEventDefinition"
        )
        ref = definition.get("escalationRef")
        if ref is None and kind == "boundaryEvent":
            return None
        if ref not in self.escalations:
            self.problem(element, "Must reference an escalation")
            return None
        code = (self.escalations[ref] or "").strip()
        if not code:
            if kind == "boundaryEvent":
                return None
            self.problem(element, "EscalationEventDefinition must reference an escalation code")
            return None
        if code.startswith("=") and kind == "boundaryEvent":  # a boundary or a start event
            self.problem(
                element,
                "The escalationCode of the escalation catch event is not allowed to be an "
                "expression",
            )
        return code

    def _signal(self, element: ET.Element) -> MessageDefinition | None:
        definition = next(
            child
            for local, child in _children(element, BPMN_NS)
            if local == "signalEventDefinition"
        )
        name = self.signals.get(definition.get("signalRef") or "")
        if name is None:
            self.problem(element, "Must reference a signal")
            return None
        if not name:
            self.problem(element, "Must have a signal name")
            return None
        try:
            return MessageDefinition(parse_expression(name), None)
        except ExpressionSyntaxError as exc:
            self.problem(element, f"the signal name cannot be parsed: {exc}")
            return None

    def _link(self, element: ET.Element) -> str | None:
        definition = next(
            child for local, child in _children(element, BPMN_NS) if local == "linkEventDefinition"
        )
        name = (definition.get("name") or "").strip()
        if not name:
            self.problem(element, "Link name must be present and not empty.")
            return None
        return name

    def _message_of(
        self, kind: str, element: ET.Element, scope: str | None
    ) -> MessageDefinition | None:
        if kind == "receiveTask":
            return self._message(element, element.get("messageRef"))
        if kind == "startEvent" and scope is not None:
            self.problem(element, "Start events in embedded sub-processes must be none events")
        definition = next(
            child
            for local, child in _children(element, BPMN_NS)
            if local == "messageEventDefinition"
        )
        return self._message(element, definition.get("messageRef"), kind == "startEvent")

    def _message(
        self, element: ET.Element, message_ref: str | None, start: bool = False
    ) -> MessageDefinition | None:
        message = self.messages.get(message_ref or "")
        if message is None:
            self.problem(element, "Must reference a message")
            return None
        name_text = (message.get("name") or "").strip()
        if not name_text:
            self.problem(element, "Must have a message name")
            return None
        key_text = None
        for _, extensions in _children(message, BPMN_NS):
            if extensions.tag != f"{{{BPMN_NS}}}extensionElements":
                continue
            for local, child in _children(extensions, ZEEBE_NS):
                if local == "subscription":
                    key_text = (child.get("correlationKey") or "").strip() or None
        if key_text is None and not start:
            self.problem(element, "Must have a correlation key")
            return None
        try:
            name = parse_expression(name_text)
            key = parse_expression(key_text) if key_text is not None and not start else None
        except ExpressionSyntaxError as exc:
            self.problem(element, f"the message expression cannot be parsed: {exc}")
            return None
        return MessageDefinition(name, key)

    def _catch_event(
        self, kind: str, element: ET.Element, definitions: list[str], scope: str | None
    ) -> tuple[str | None, TimerDefinition | None]:
        if len(definitions) != 1:
            self.problem(element, "Must have exactly one event definition")
            return None, None
        if definitions[0] != "timerEventDefinition":
            self.problem(
                element,
                f"a {kind} with a {definitions[0]} is not supported by this engine",
            )
            return None, None
        if kind == "startEvent" and scope is not None:
            self.problem(element, "Start events in embedded sub-processes must be none events")
            return None, None
        where = "start event" if kind == "startEvent" else "intermediate catch event"
        return "timer", self._timer(element, where, _TIMER_KINDS[where])

    def _timer(
        self, element: ET.Element, where: str, allowed: tuple[str, ...]
    ) -> TimerDefinition | None:
        definition = next(
            child for local, child in _children(element, BPMN_NS) if local == "timerEventDefinition"
        )
        values = [
            (local, child)
            for local, child in _children(definition, BPMN_NS)
            if local in ("timeDuration", "timeDate", "timeCycle")
        ]
        if len(values) != 1:
            self.problem(
                element, "Must have exactly one type of timer: timeDuration, timeDate or timeCycle"
            )
            return None
        kind, child = values[0]
        if kind not in allowed:
            self.problem(
                element,
                f"a timer {where} must have a {' or a '.join(allowed)} definition, not a {kind}",
            )
            return None
        text = (child.text or "").strip()
        try:
            value = parse_expression(text)
            if value.static:
                check_timer_value(kind, text)
        except (ExpressionSyntaxError, TimerValueError) as exc:
            self.problem(element, str(exc))
            return None
        return TimerDefinition(kind, value)

    def _end_event(
        self, element: ET.Element, definitions: list[str]
    ) -> tuple[str | None, str | None]:
        if definitions == ["terminateEventDefinition"]:
            return "terminate", None
        if definitions != ["errorEventDefinition"]:
            self.problem(
                element,
                f"end events with {definitions[0]} are not supported by this engine "
                "(only none, error and terminate end events)",
            )
            return None, None
        definition = next(
            child for local, child in _children(element, BPMN_NS) if local == "errorEventDefinition"
        )
        error_ref = definition.get("errorRef")
        code = self.errors.get(error_ref or "") if error_ref in self.errors else None
        if not code:
            # Zeebe's wording for an error end event without a code to throw.
            self.problem(element, "ErrorEventDefinition must reference an error with an errorCode")
            return "error", None
        return "error", code

    def _io_mapping(
        self, kind: str, element: ET.Element, mapping: ET.Element | None
    ) -> tuple[tuple[VariableMapping, ...], tuple[VariableMapping, ...]]:
        if mapping is None:
            return (), ()
        if kind.endswith("Gateway"):
            self.problem(element, f"'zeebe:ioMapping' is not allowed on a {kind}")
            return (), ()
        inputs: list[VariableMapping] = []
        outputs: list[VariableMapping] = []
        for local, child in _children(mapping, ZEEBE_NS):
            if local not in ("input", "output"):
                self.problem(element, f"'zeebe:{local}' is not allowed inside 'zeebe:ioMapping'")
                continue
            if local == "input" and kind in ("startEvent", "boundaryEvent"):
                self.problem(element, f"Input mappings are not allowed on a {kind}")
                continue
            parsed = self._variable_mapping(element, child)
            if parsed is not None:
                (inputs if local == "input" else outputs).append(parsed)
        return tuple(inputs), tuple(outputs)

    def _variable_mapping(self, element: ET.Element, child: ET.Element) -> VariableMapping | None:
        source_text = child.get("source")
        target = (child.get("target") or "").strip()
        if source_text is None or not source_text.strip():
            self.problem(element, "Attribute 'source' must be present and not empty")
            return None
        if not target:
            self.problem(element, "Attribute 'target' must be present and not empty")
            return None
        if not is_variable_path(target):
            self.problem(
                element,
                f"Expected path expression '{target}' but doesn't match the pattern "
                f"'{PATH_PATTERN}'.",
            )
            return None
        try:
            source = parse_expression(source_text)
        except ExpressionSyntaxError as exc:
            self.problem(element, f"the expression {source_text.strip()!r} cannot be parsed: {exc}")
            return None
        return VariableMapping(source, target)

    def _unsupported_extensions(
        self, element: ET.Element, extensions: dict[str, ET.Element]
    ) -> None:
        for name in extensions:
            self.problem(element, f"'zeebe:{name}' is not supported by this engine")

    def _task_definition(
        self, element: ET.Element, extensions: dict[str, ET.Element]
    ) -> TaskDefinition | None:
        definition = extensions.pop("taskDefinition", None)
        headers_element = extensions.pop("taskHeaders", None)
        if definition is None:
            self.problem(element, "Must have exactly one 'zeebe:taskDefinition' extension element")
            return None
        job_type = (definition.get("type") or "").strip()
        retries_text = (definition.get("retries") or "3").strip()
        expressions: list[Expression | None] = [None, None]
        for index, text in enumerate((job_type, retries_text)):
            if text.startswith("="):
                try:
                    expressions[index] = parse_expression(text)
                except ExpressionSyntaxError as exc:
                    self.problem(element, f"the expression {text!r} cannot be parsed: {exc}")
                    return None
        if not job_type:
            self.problem(element, "the job type of 'zeebe:taskDefinition' must not be empty")
        if expressions[1] is None and not retries_text.isdigit():
            self.problem(
                element, f"retries must be a whole number or an expression, got {retries_text!r}"
            )
        headers = self._headers(headers_element)
        if not job_type or (expressions[1] is None and not retries_text.isdigit()):
            return None
        return TaskDefinition(
            job_type=job_type,
            retries=int(retries_text) if expressions[1] is None else 0,
            headers=headers,
            type_expression=expressions[0],
            retries_expression=expressions[1],
        )

    @staticmethod
    def _headers(headers_element: ET.Element | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if headers_element is not None:
            for local, header in _children(headers_element, ZEEBE_NS):
                if local == "header" and header.get("key"):
                    headers[header.get("key", "")] = header.get("value", "")
        return headers

    def _user_task(
        self, element: ET.Element, extensions: dict[str, ET.Element]
    ) -> UserTaskDefinition | None:
        camunda = extensions.pop("userTask", None) is not None
        assignment = extensions.pop("assignmentDefinition", None)
        schedule = extensions.pop("taskSchedule", None)
        form = extensions.pop("formDefinition", None)
        priority = extensions.pop("priorityDefinition", None)

        def expression(source: ET.Element | None, name: str) -> Expression | None:
            text = (source.get(name) or "").strip() if source is not None else ""
            if not text:
                return None
            try:
                return parse_expression(text)
            except ExpressionSyntaxError as exc:
                self.problem(element, f"the expression {text!r} cannot be parsed: {exc}")
                return None

        form_key = None
        if form is not None:
            form_key = (form.get("formKey") or form.get("formId") or "").strip() or None
        return UserTaskDefinition(
            camunda=camunda,
            assignee=expression(assignment, "assignee"),
            candidate_groups=expression(assignment, "candidateGroups"),
            candidate_users=expression(assignment, "candidateUsers"),
            due_date=expression(schedule, "dueDate"),
            follow_up_date=expression(schedule, "followUpDate"),
            form_key=form_key,
            external_reference=expression(form, "externalReference"),
            priority=expression(priority, "priority"),
        )

    def _script(self, element: ET.Element, script: ET.Element) -> ScriptDefinition | None:
        text = (script.get("expression") or "").strip()
        result = (script.get("resultVariable") or "").strip()
        if not text.startswith("="):
            self.problem(
                element, f"Expected expression but found static value '{text}' in 'zeebe:script'"
            )
            return None
        if not result:
            self.problem(element, "Attribute 'resultVariable' must be present and not empty")
            return None
        try:
            return ScriptDefinition(parse_expression(text), result)
        except ExpressionSyntaxError as exc:
            self.problem(element, f"the expression {text!r} cannot be parsed: {exc}")
            return None

    def _error_boundary(self, element: ET.Element, definitions: list[str]) -> str | None:
        if definitions != ["errorEventDefinition"]:
            what = definitions[0] if definitions else "no event definition"
            self.problem(
                element,
                f"boundary events with {what} are not supported by this engine "
                "(only error and timer boundary events)",
            )
            return None
        if element.get("cancelActivity", "true").lower() == "false":
            self.problem(
                element, "an error boundary event must interrupt the activity (cancelActivity)"
            )
        definition = next(
            child
            for local, child in _children(element, BPMN_NS)
            if local.endswith("EventDefinition")
        )
        error_ref = definition.get("errorRef")
        if error_ref is None:
            return None
        if error_ref not in self.errors:
            self.problem(
                element, f"the error boundary event references an unknown error {error_ref!r}"
            )
            return None
        code = self.errors[error_ref]
        if code and code.startswith("="):
            self.problem(
                element, "The errorCode of the error catch event is not allowed to be an expression"
            )
        return code or None

    def _flow(self, element: ET.Element) -> SequenceFlow | None:
        flow_id = element.get("id")
        source, target = element.get("sourceRef"), element.get("targetRef")
        if not flow_id or not source or not target:
            self.problem(element, "a sequence flow needs an id, a sourceRef and a targetRef")
            return None
        condition = None
        for local, child in _children(element, BPMN_NS):
            if local == "conditionExpression":
                text = (child.text or "").strip()
                if not text.startswith("="):
                    self.problem(
                        element,
                        f"Expected expression but found static value {text!r}: "
                        "a condition must be a FEEL expression starting with '='",
                    )
                    continue
                try:
                    condition = parse_condition(text[1:])
                except ConditionSyntaxError as exc:
                    self.problem(element, f"the condition {text!r} cannot be parsed: {exc}")
            elif local not in ("documentation", "extensionElements"):
                self.problem(
                    element, f"'bpmn:{local}' inside a sequenceFlow is not supported by this engine"
                )
        return SequenceFlow(id=flow_id, source=source, target=target, condition=condition)
