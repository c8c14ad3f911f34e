"""BPMN models of the testing tests."""

from __future__ import annotations

ORDER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Definitions_order"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="order" name="Order" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="charge" />
    <bpmn:serviceTask id="charge" name="Charge">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="charge" retries="3" />
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="declined" attachedToRef="charge">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:errorEventDefinition id="declined_def" errorRef="error_declined" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="done" />
    <bpmn:sequenceFlow id="f3" sourceRef="declined" targetRef="rejected" />
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="rejected"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmn:error id="error_declined" name="Declined" errorCode="DECLINED" />
</bpmn:definitions>
"""
"""One service task ``charge`` (job type ``charge``) with an error boundary event ``DECLINED``."""

SHOP_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Definitions_shop"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="shop" name="Shop" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check_stock" />
    <bpmn:serviceTask id="check_stock" name="Check stock">
      <bpmn:extensionElements><zeebe:taskDefinition type="check-stock" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="check_stock" targetRef="reserve" />
    <bpmn:serviceTask id="reserve" name="Reserve">
      <bpmn:extensionElements><zeebe:taskDefinition type="reserve" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="out_of_stock" attachedToRef="reserve">
      <bpmn:errorEventDefinition id="out_of_stock_def" errorRef="error_out_of_stock" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="reserve" targetRef="invoice" />
    <bpmn:serviceTask id="invoice" name="Invoice">
      <bpmn:extensionElements><zeebe:taskDefinition type="invoice" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f4" sourceRef="invoice" targetRef="shipped" />
    <bpmn:endEvent id="shipped" />
    <bpmn:sequenceFlow id="f5" sourceRef="out_of_stock" targetRef="apologise" />
    <bpmn:endEvent id="apologise" />
  </bpmn:process>
  <bpmn:error id="error_out_of_stock" name="Out of stock" errorCode="OUT_OF_STOCK" />
</bpmn:definitions>
"""
"""check-stock (async) -> reserve (thread; error boundary OUT_OF_STOCK) -> invoice (process)."""

LOAN_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Definitions_loan"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="loan" name="Loan" isExecutable="true">
    <bpmn:startEvent id="start" name="Application received" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="score" />
    <bpmn:serviceTask id="score" name="Score applicant">
      <bpmn:extensionElements><zeebe:taskDefinition type="score" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="score" targetRef="approved" />
    <bpmn:exclusiveGateway id="approved" name="Approved?" default="f_no" />
    <bpmn:sequenceFlow id="f_yes" name="yes" sourceRef="approved" targetRef="review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=score &gt;= 50</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" name="no" sourceRef="approved" targetRef="rejected" />
    <bpmn:userTask id="review" name="Review contract">
      <bpmn:extensionElements>
        <zeebe:userTask />
        <zeebe:assignmentDefinition assignee="=officer" candidateGroups="risk, credit" />
        <zeebe:taskSchedule dueDate="2025-01-03T17:00:00Z" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="signed" />
    <bpmn:intermediateCatchEvent id="signed" name="Contract signed">
      <bpmn:messageEventDefinition messageRef="msg_signed" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="signed" targetRef="cooling_off" />
    <bpmn:intermediateCatchEvent id="cooling_off" name="Cooling-off period">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT48H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="cooling_off" targetRef="payout" />
    <bpmn:serviceTask id="payout" name="Pay out">
      <bpmn:extensionElements><zeebe:taskDefinition type="payout" retries="2" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="blocked" name="Account blocked" attachedToRef="payout">
      <bpmn:errorEventDefinition errorRef="err_blocked" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f6" sourceRef="payout" targetRef="paid" />
    <bpmn:endEvent id="paid" name="Paid" />
    <bpmn:endEvent id="rejected" name="Rejected" />
    <bpmn:sequenceFlow id="f7" sourceRef="blocked" targetRef="refunded" />
    <bpmn:endEvent id="refunded" name="Refunded" />
  </bpmn:process>
  <bpmn:message id="msg_signed" name="contract-signed">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=loanId" /></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:error id="err_blocked" name="Blocked" errorCode="BLOCKED" />
  <bpmndi:BPMNDiagram id="diagram_loan">
    <bpmndi:BPMNPlane id="plane_loan" bpmnElement="loan">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="182" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="score_di" bpmnElement="score"><dc:Bounds x="180" y="160" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="approved_di" bpmnElement="approved" isMarkerVisible="true"><dc:Bounds x="330" y="175" width="50" height="50" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="430" y="160" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="signed_di" bpmnElement="signed"><dc:Bounds x="580" y="182" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="cooling_off_di" bpmnElement="cooling_off"><dc:Bounds x="660" y="182" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="payout_di" bpmnElement="payout"><dc:Bounds x="740" y="160" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="paid_di" bpmnElement="paid"><dc:Bounds x="900" y="182" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="rejected_di" bpmnElement="rejected"><dc:Bounds x="462" y="302" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="blocked_di" bpmnElement="blocked"><dc:Bounds x="772" y="222" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="refunded_di" bpmnElement="refunded"><dc:Bounds x="900" y="302" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="200" /><di:waypoint x="180" y="200" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="280" y="200" /><di:waypoint x="330" y="200" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f_yes_di" bpmnElement="f_yes"><di:waypoint x="380" y="200" /><di:waypoint x="430" y="200" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f_no_di" bpmnElement="f_no"><di:waypoint x="355" y="225" /><di:waypoint x="355" y="320" /><di:waypoint x="462" y="320" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="530" y="200" /><di:waypoint x="580" y="200" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f4_di" bpmnElement="f4"><di:waypoint x="616" y="200" /><di:waypoint x="660" y="200" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f5_di" bpmnElement="f5"><di:waypoint x="696" y="200" /><di:waypoint x="740" y="200" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f6_di" bpmnElement="f6"><di:waypoint x="840" y="200" /><di:waypoint x="900" y="200" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f7_di" bpmnElement="f7"><di:waypoint x="790" y="258" /><di:waypoint x="790" y="320" /><di:waypoint x="900" y="320" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
"""A loan: score (job ``score``), a gateway on ``score >= 50``, a user task ``review``, the
message ``contract-signed`` (key ``=loanId``), a 48-hour timer, ``payout`` (job ``payout``) with
an error boundary ``BLOCKED``; with its diagram (bpmndi)."""
