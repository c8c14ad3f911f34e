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
