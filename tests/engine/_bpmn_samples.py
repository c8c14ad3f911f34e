"""Sample BPMN 2.0 XML as the Camunda Modeler writes it, for the engine's tests.

Every sample is a plain string; ``resource(xml)`` pairs one with a file name for ``deploy``.
"""

from __future__ import annotations

_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:modeler="http://camunda.org/schema/modeler/1.0"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn"
  exporter="Camunda Modeler" exporterVersion="5.30.0"
  modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
"""
_FOOTER = "</bpmn:definitions>\n"


def definitions(body: str) -> str:
    """Wrap ``bpmn:process`` (and ``bpmn:error``) elements into a Modeler-style document."""
    return _HEADER + body + _FOOTER


def resource(xml: str, name: str = "process.bpmn") -> list[tuple[str, bytes]]:
    """The ``resources`` argument of ``Engine.deploy`` for one XML document."""
    return [(name, xml.encode("utf-8"))]


def task(task_id: str, job_type: str, *, retries: int | None = None, headers: str = "") -> str:
    """A service task with a ``zeebe:taskDefinition``."""
    retries_attribute = f' retries="{retries}"' if retries is not None else ""
    header_block = f"<zeebe:taskHeaders>{headers}</zeebe:taskHeaders>" if headers else ""
    return (
        f'<bpmn:serviceTask id="{task_id}" name="{task_id}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}"{retries_attribute} />{header_block}'
        f"</bpmn:extensionElements></bpmn:serviceTask>\n"
    )


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    """A sequence flow, with a FEEL condition expression when given."""
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />\n'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
        f"</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
    )


def process(process_id: str, body: str, *, name: str | None = None) -> str:
    """An executable process with the given elements."""
    name_attribute = f' name="{name}"' if name else ""
    return (
        f'<bpmn:process id="{process_id}"{name_attribute} isExecutable="true">\n{body}'
        "</bpmn:process>\n"
    )


#: start -> service task "charge" (retries 5, two headers) -> end; with diagram data.
ONE_TASK = definitions(
    """<bpmn:process id="order-process" name="Order process" isExecutable="true">
    <bpmn:extensionElements><zeebe:versionTag value="v1" /></bpmn:extensionElements>
    <bpmn:startEvent id="StartEvent_1" name="Order received">
      <bpmn:outgoing>Flow_1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:serviceTask id="Task_Charge" name="Charge card">
      <bpmn:documentation>Charges the customer's card.</bpmn:documentation>
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="charge-card" retries="5" />
        <zeebe:taskHeaders>
          <zeebe:header key="currency" value="EUR" />
          <zeebe:header key="provider" value="acme" />
        </zeebe:taskHeaders>
        <zeebe:properties><zeebe:property name="owner" value="payments" /></zeebe:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="EndEvent_1" name="Order charged">
      <bpmn:incoming>Flow_2</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Charge" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Charge" targetRef="EndEvent_1" />
    <bpmn:textAnnotation id="Note_1"><bpmn:text>Happy path only</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="Association_1" sourceRef="Task_Charge" targetRef="Note_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="order-process">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="152" y="102" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_Charge_di" bpmnElement="Task_Charge">
        <dc:Bounds x="240" y="80" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="EndEvent_1_di" bpmnElement="EndEvent_1">
        <dc:Bounds x="392" y="102" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1">
        <di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2">
        <di:waypoint x="340" y="120" /><di:waypoint x="392" y="120" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
"""
)

#: start -> exclusive gateway: amount > 100 -> "review"; status = "ok" -> "ship"; default -> "hold".
GATEWAY = definitions(
    process(
        "routing",
        '<bpmn:startEvent id="start" />\n'
        '<bpmn:exclusiveGateway id="decide" default="to-hold" />\n'
        + task("review", "review")
        + task("ship", "ship")
        + task("hold", "hold")
        + '<bpmn:endEvent id="end" />\n'
        + flow("f0", "start", "decide")
        + flow("to-review", "decide", "review", "= amount &gt; 100")
        + flow("to-ship", "decide", "ship", '=status = "ok"')
        + flow("to-hold", "decide", "hold")
        + flow("f1", "review", "end")
        + flow("f2", "ship", "end")
        + flow("f3", "hold", "end"),
    )
)

#: Like GATEWAY but without a default flow: no match is a CONDITION_ERROR incident.
GATEWAY_NO_DEFAULT = definitions(
    process(
        "strict-routing",
        '<bpmn:startEvent id="start" />\n'
        '<bpmn:exclusiveGateway id="decide" />\n'
        + task("big", "big")
        + task("small", "small")
        + '<bpmn:endEvent id="end" />\n'
        + flow("f0", "start", "decide")
        + flow("to-big", "decide", "big", "=amount &gt;= 100")
        + flow("to-small", "decide", "small", "=amount &lt; 10")
        + flow("f1", "big", "end")
        + flow("f2", "small", "end"),
    )
)

#: start -> fork -> "pack" and "bill" in parallel -> join -> "ship" -> end.
PARALLEL = definitions(
    process(
        "fulfilment",
        '<bpmn:startEvent id="start" />\n'
        '<bpmn:parallelGateway id="fork" />\n'
        + task("pack", "pack")
        + task("bill", "bill")
        + '<bpmn:parallelGateway id="join" />\n'
        + task("ship", "ship")
        + '<bpmn:endEvent id="end" />\n'
        + flow("f0", "start", "fork")
        + flow("f1", "fork", "pack")
        + flow("f2", "fork", "bill")
        + flow("f3", "pack", "join")
        + flow("f4", "bill", "join")
        + flow("f5", "join", "ship")
        + flow("f6", "ship", "end"),
    )
)

#: "pay" has an error boundary for code NO_FUNDS -> "notify", and a catch-all -> "escalate".
BOUNDARY = definitions(
    '<bpmn:error id="Error_NoFunds" name="No funds" errorCode="NO_FUNDS" />\n'
    '<bpmn:error id="Error_Any" name="Any error" />\n'
    + process(
        "payment",
        '<bpmn:startEvent id="start" />\n'
        + task("pay", "pay")
        + task("notify", "notify")
        + task("escalate", "escalate")
        + '<bpmn:endEvent id="done" />\n'
        '<bpmn:boundaryEvent id="no-funds" attachedToRef="pay">'
        '<bpmn:errorEventDefinition id="d1" errorRef="Error_NoFunds" /></bpmn:boundaryEvent>\n'
        '<bpmn:boundaryEvent id="any-error" attachedToRef="pay">'
        '<bpmn:errorEventDefinition id="d2" errorRef="Error_Any" /></bpmn:boundaryEvent>\n'
        + flow("f0", "start", "pay")
        + flow("f1", "pay", "done")
        + flow("f2", "no-funds", "notify")
        + flow("f3", "any-error", "escalate")
        + flow("f4", "notify", "done")
        + flow("f5", "escalate", "done"),
    )
)

#: "pay" has only an error boundary for code NO_FUNDS (other codes are uncaught).
BOUNDARY_BY_CODE_ONLY = definitions(
    '<bpmn:error id="Error_NoFunds" name="No funds" errorCode="NO_FUNDS" />\n'
    + process(
        "payment-strict",
        '<bpmn:startEvent id="start" />\n'
        + task("pay", "pay")
        + task("notify", "notify")
        + '<bpmn:endEvent id="done" />\n'
        '<bpmn:boundaryEvent id="no-funds" attachedToRef="pay">'
        '<bpmn:errorEventDefinition id="d1" errorRef="Error_NoFunds" /></bpmn:boundaryEvent>\n'
        + flow("f0", "start", "pay")
        + flow("f1", "pay", "done")
        + flow("f2", "no-funds", "notify")
        + flow("f4", "notify", "done"),
    )
)

#: start -> "work" -> end: the smallest process with a job (job type "work").
MINIMAL = definitions(
    process(
        "minimal",
        '<bpmn:startEvent id="start" />\n'
        + task("work", "work")
        + '<bpmn:endEvent id="end" />\n'
        + flow("f0", "start", "work")
        + flow("f1", "work", "end"),
    )
)

#: start -> end, nothing to wait for: completes at once.
NO_WAIT = definitions(
    process(
        "instant",
        '<bpmn:startEvent id="start" />\n<bpmn:endEvent id="end" />\n' + flow("f0", "start", "end"),
    )
)
