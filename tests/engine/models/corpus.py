"""The corpus's models, compactly: each becomes ``<name>.bpmn`` through :mod:`.modeler`.

Bodies are the root elements of a ``bpmn:definitions`` (errors, messages, processes) with the
``bpmn:`` prefix; the Modeler's incoming/outgoing references and the diagram are added by
:func:`.modeler.modeler_xml`.
"""

from __future__ import annotations

import itertools

__all__ = ["MODELS"]


def service(node_id: str, job_type: str, *, name: str = "", extra: str = "") -> str:
    """A service task with a task definition and more extension elements (``extra``)."""
    label = f' name="{name}"' if name else f' name="{node_id}"'
    return (
        f'<bpmn:serviceTask id="{node_id}"{label}><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}" />{extra}'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def io(
    *, inputs: tuple[tuple[str, str], ...] = (), outputs: tuple[tuple[str, str], ...] = ()
) -> str:
    """A ``zeebe:ioMapping`` (source, target pairs; ``&``, ``<``, ``"`` escaped by the caller)."""
    parts = [f'<zeebe:input source="{s}" target="{t}" />' for s, t in inputs]
    parts += [f'<zeebe:output source="{s}" target="{t}" />' for s, t in outputs]
    return "<zeebe:ioMapping>" + "".join(parts) + "</zeebe:ioMapping>"


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    """A sequence flow, with a condition when given."""
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def chain(prefix: str, *node_ids: str) -> str:
    """Sequence flows through the nodes in order, named ``<prefix>1``, ``<prefix>2``..."""
    return "".join(
        flow(f"{prefix}{index}", source, target)
        for index, (source, target) in enumerate(itertools.pairwise(node_ids), 1)
    )


def process(process_id: str, body: str, *, name: str = "") -> str:
    """An executable process."""
    return (
        f'<bpmn:process id="{process_id}" name="{name or process_id}" isExecutable="true">'
        f"{body}</bpmn:process>"
    )


def error(error_id: str, code: str) -> str:
    """A ``bpmn:error`` with a code."""
    return f'<bpmn:error id="{error_id}" name="{code}" errorCode="{code}" />'


def error_boundary(node_id: str, host: str, error_ref: str | None, *, extra: str = "") -> str:
    """An interrupting error boundary event (catch-all without ``error_ref``)."""
    ref = f' errorRef="{error_ref}"' if error_ref else ""
    extensions = f"<bpmn:extensionElements>{extra}</bpmn:extensionElements>" if extra else ""
    return (
        f'<bpmn:boundaryEvent id="{node_id}" name="{node_id}" attachedToRef="{host}">'
        f'{extensions}<bpmn:errorEventDefinition id="{node_id}_def"{ref} /></bpmn:boundaryEvent>'
    )


def error_end(node_id: str, error_ref: str) -> str:
    """An error end event."""
    return (
        f'<bpmn:endEvent id="{node_id}" name="{node_id}">'
        f'<bpmn:errorEventDefinition id="{node_id}_def" errorRef="{error_ref}" /></bpmn:endEvent>'
    )


def terminate_end(node_id: str) -> str:
    """A terminate end event."""
    return (
        f'<bpmn:endEvent id="{node_id}" name="{node_id}">'
        f'<bpmn:terminateEventDefinition id="{node_id}_def" /></bpmn:endEvent>'
    )


def sub_process(node_id: str, body: str, *, extra: str = "") -> str:
    """An embedded sub-process."""
    extensions = f"<bpmn:extensionElements>{extra}</bpmn:extensionElements>" if extra else ""
    return f'<bpmn:subProcess id="{node_id}" name="{node_id}">{extensions}{body}</bpmn:subProcess>'


def timer_catch(node_id: str, kind: str, value: str) -> str:
    """An intermediate timer catch event."""
    return (
        f'<bpmn:intermediateCatchEvent id="{node_id}" name="{node_id}">'
        f'<bpmn:timerEventDefinition id="{node_id}_def"><bpmn:{kind} xsi:type="bpmn:tFormalExpression">'
        f"{value}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )


def timer_boundary(
    node_id: str, host: str, kind: str, value: str, *, interrupting: bool = True
) -> str:
    """A timer boundary event."""
    cancel = "" if interrupting else ' cancelActivity="false"'
    return (
        f'<bpmn:boundaryEvent id="{node_id}" name="{node_id}"{cancel} attachedToRef="{host}">'
        f'<bpmn:timerEventDefinition id="{node_id}_def"><bpmn:{kind} xsi:type="bpmn:tFormalExpression">'
        f"{value}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )


def timer_start(node_id: str, kind: str, value: str) -> str:
    """A timer start event."""
    return (
        f'<bpmn:startEvent id="{node_id}" name="{node_id}">'
        f'<bpmn:timerEventDefinition id="{node_id}_def"><bpmn:{kind} xsi:type="bpmn:tFormalExpression">'
        f"{value}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:startEvent>"
    )


def message(message_id: str, name: str, correlation_key: str | None = None) -> str:
    """A ``bpmn:message`` with a ``zeebe:subscription`` correlation key (when given)."""
    if correlation_key is None:
        return f'<bpmn:message id="{message_id}" name="{name}" />'
    return (
        f'<bpmn:message id="{message_id}" name="{name}"><bpmn:extensionElements>'
        f'<zeebe:subscription correlationKey="{correlation_key}" />'
        "</bpmn:extensionElements></bpmn:message>"
    )


def message_catch(node_id: str, message_ref: str, *, extra: str = "") -> str:
    """An intermediate message catch event."""
    extensions = f"<bpmn:extensionElements>{extra}</bpmn:extensionElements>" if extra else ""
    return (
        f'<bpmn:intermediateCatchEvent id="{node_id}" name="{node_id}">{extensions}'
        f'<bpmn:messageEventDefinition id="{node_id}_def" messageRef="{message_ref}" />'
        "</bpmn:intermediateCatchEvent>"
    )


def message_boundary(
    node_id: str, host: str, message_ref: str, *, interrupting: bool = True
) -> str:
    """A message boundary event."""
    cancel = "" if interrupting else ' cancelActivity="false"'
    return (
        f'<bpmn:boundaryEvent id="{node_id}" name="{node_id}"{cancel} attachedToRef="{host}">'
        f'<bpmn:messageEventDefinition id="{node_id}_def" messageRef="{message_ref}" />'
        "</bpmn:boundaryEvent>"
    )


def message_start(node_id: str, message_ref: str) -> str:
    """A message start event."""
    return (
        f'<bpmn:startEvent id="{node_id}" name="{node_id}">'
        f'<bpmn:messageEventDefinition id="{node_id}_def" messageRef="{message_ref}" />'
        "</bpmn:startEvent>"
    )


def signal(signal_id: str, name: str) -> str:
    """A ``bpmn:signal``."""
    return f'<bpmn:signal id="{signal_id}" name="{name}" />'


def signal_boundary(node_id: str, host: str, signal_ref: str, *, interrupting: bool = True) -> str:
    """A signal boundary event."""
    cancel = "" if interrupting else ' cancelActivity="false"'
    return (
        f'<bpmn:boundaryEvent id="{node_id}" name="{node_id}"{cancel} attachedToRef="{host}">'
        f'<bpmn:signalEventDefinition id="{node_id}_def" signalRef="{signal_ref}" />'
        "</bpmn:boundaryEvent>"
    )


def signal_event(kind: str, node_id: str, signal_ref: str, extra: str = "") -> str:
    """A signal event of a kind (``startEvent``, ``intermediateCatchEvent``, ``endEvent``...)."""
    return (
        f'<bpmn:{kind} id="{node_id}" name="{node_id}"{extra}>'
        f'<bpmn:signalEventDefinition id="{node_id}_def" signalRef="{signal_ref}" /></bpmn:{kind}>'
    )


def event_sub_process(node_id: str, start_event: str, body: str, *, extra: str = "") -> str:
    """An event sub-process (``triggeredByEvent``) with its start event and its other elements."""
    extensions = f"<bpmn:extensionElements>{extra}</bpmn:extensionElements>" if extra else ""
    return (
        f'<bpmn:subProcess id="{node_id}" name="{node_id}" triggeredByEvent="true">'
        f"{extensions}{start_event}{body}</bpmn:subProcess>"
    )


def event_start(node_id: str, definition: str, *, interrupting: bool = True) -> str:
    """The start event of an event sub-process, its definition given as ``kind attr="..."``."""
    flag = "" if interrupting else ' isInterrupting="false"'
    kind, _, attributes = definition.partition(" ")
    return (
        f'<bpmn:startEvent id="{node_id}" name="{node_id}"{flag}>'
        f'<bpmn:{kind}EventDefinition id="{node_id}_def" {attributes} /></bpmn:startEvent>'
    )


def escalation(escalation_id: str, code: str) -> str:
    """A ``bpmn:escalation`` with a code."""
    return f'<bpmn:escalation id="{escalation_id}" name="{code}" escalationCode="{code}" />'


def message_job(kind: str, node_id: str, job_type: str) -> str:
    """A message throw or end event implemented as a job (``zeebe:taskDefinition``)."""
    return (
        f'<bpmn:{kind} id="{node_id}" name="{node_id}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}" /></bpmn:extensionElements>'
        f'<bpmn:messageEventDefinition id="{node_id}_def" /></bpmn:{kind}>'
    )


START = '<bpmn:startEvent id="start" name="start" />'
END = '<bpmn:endEvent id="end" name="end" />'


def start(node_id: str) -> str:
    """A none start event."""
    return f'<bpmn:startEvent id="{node_id}" name="{node_id}" />'


def end(node_id: str) -> str:
    """A none end event."""
    return f'<bpmn:endEvent id="{node_id}" name="{node_id}" />'


def gateway(node_id: str, kind: str = "exclusive", default: str | None = None) -> str:
    """An exclusive or parallel gateway."""
    default_attribute = f' default="{default}"' if default else ""
    return f'<bpmn:{kind}Gateway id="{node_id}" name="{node_id}"{default_attribute} />'


def loop(
    collection: str,
    *,
    element: str = "",
    output: tuple[str, str] | None = None,
    sequential: bool = False,
    condition: str = "",
) -> str:
    """A ``bpmn:multiInstanceLoopCharacteristics`` (``output``: collection, element)."""
    attributes = f' inputCollection="{collection}"'
    if element:
        attributes += f' inputElement="{element}"'
    if output:
        attributes += f' outputCollection="{output[0]}" outputElement="{output[1]}"'
    marker = ' isSequential="true"' if sequential else ""
    completion = (
        f'<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">{condition}'
        "</bpmn:completionCondition>"
        if condition
        else ""
    )
    return (
        f"<bpmn:multiInstanceLoopCharacteristics{marker}><bpmn:extensionElements>"
        f"<zeebe:loopCharacteristics{attributes} /></bpmn:extensionElements>{completion}"
        "</bpmn:multiInstanceLoopCharacteristics>"
    )


def looped_service(node_id: str, job_type: str, characteristics: str, *, extra: str = "") -> str:
    """A multi-instance service task."""
    return (
        f'<bpmn:serviceTask id="{node_id}" name="{node_id}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}" />{extra}</bpmn:extensionElements>'
        f"{characteristics}</bpmn:serviceTask>"
    )


def call_activity(
    node_id: str, process_id: str, *, attributes: str = "", extra: str = "", body: str = ""
) -> str:
    """A call activity (``attributes`` of its ``zeebe:calledElement``, ``body`` after it)."""
    return (
        f'<bpmn:callActivity id="{node_id}" name="{node_id}"><bpmn:extensionElements>'
        f'<zeebe:calledElement processId="{process_id}"{attributes} />{extra}'
        f"</bpmn:extensionElements>{body}</bpmn:callActivity>"
    )


MODELS: dict[str, str] = {
    # --- Straight-through basics.
    "one-task": process(
        "one-task", START + service("work", "work") + END + chain("f", "start", "work", "end")
    ),
    "two-tasks-headers": process(
        "two-tasks-headers",
        START
        + service(
            "charge",
            "charge",
            extra='<zeebe:taskHeaders><zeebe:header key="currency" value="EUR" /></zeebe:taskHeaders>',
        )
        + service("ship", "ship")
        + END
        + chain("f", "start", "charge", "ship", "end"),
    ),
    "no-wait": process(
        "no-wait",
        START
        + '<bpmn:task id="note" name="note" /><bpmn:manualTask id="sign" name="sign" />'
        + '<bpmn:intermediateThrowEvent id="reached" name="reached" />'
        + END
        + chain("f", "start", "note", "sign", "reached", "end"),
    ),
    "exclusive-gateway": process(
        "exclusive-gateway",
        START
        + gateway("decide", default="to-small")
        + service("big", "big")
        + service("small", "small")
        + gateway("merge")
        + END
        + flow("f1", "start", "decide")
        + flow("to-big", "decide", "big", "=amount &gt; 100")
        + flow("to-small", "decide", "small")
        + flow("f2", "big", "merge")
        + flow("f3", "small", "merge")
        + flow("f4", "merge", "end"),
    ),
    "parallel-gateway": process(
        "parallel-gateway",
        START
        + gateway("fork", "parallel")
        + service("pack", "pack")
        + service("bill", "bill")
        + gateway("join", "parallel")
        + END
        + flow("f1", "start", "fork")
        + flow("f2", "fork", "pack")
        + flow("f3", "fork", "bill")
        + flow("f4", "pack", "join")
        + flow("f5", "bill", "join")
        + flow("f6", "join", "end"),
    ),
    "error-boundary": error("Error_NoFunds", "NO_FUNDS")
    + process(
        "error-boundary",
        START
        + service("pay", "pay")
        + error_boundary("no-funds", "pay", "Error_NoFunds")
        + service("notify", "notify")
        + END
        + end("notified")
        + chain("f", "start", "pay", "end")
        + chain("g", "no-funds", "notify", "notified"),
    ),
    # --- Variables: input and output mappings, propagation, local variables.
    "io-input-mappings": process(
        "io-input-mappings",
        START
        + service(
            "charge",
            "charge",
            extra=io(
                inputs=(
                    ("=order.total", "amount"),
                    ("EUR", "currency"),
                    ("=amount + 1", "fee"),
                    ("=order.customer", "payer.name"),
                )
            ),
        )
        + END
        + chain("f", "start", "charge", "end"),
    ),
    "io-output-mappings": process(
        "io-output-mappings",
        START
        + service(
            "lookup",
            "lookup",
            extra=io(
                outputs=(
                    ("=result.id", "orderId"),
                    ("=orderId", "customer.orderRef"),
                )
            ),
        )
        + END
        + chain("f", "start", "lookup", "end"),
    ),
    "io-local-shadow": process(
        "io-local-shadow",
        START
        + service("count", "count", extra=io(inputs=(("=0", "counter"),)))
        + service("after", "after")
        + END
        + chain("f", "start", "count", "after", "end"),
    ),
    "io-fail-local": process(
        "io-fail-local",
        START + service("flaky", "flaky") + END + chain("f", "start", "flaky", "end"),
    ),
    "io-event-mappings": process(
        "io-event-mappings",
        '<bpmn:startEvent id="start" name="start"><bpmn:extensionElements>'
        + io(outputs=(("=1", "stage"),))
        + "</bpmn:extensionElements></bpmn:startEvent>"
        + '<bpmn:intermediateThrowEvent id="mark" name="mark"><bpmn:extensionElements>'
        + io(inputs=(("=stage + 1", "next"),), outputs=(("=next", "stage"),))
        + "</bpmn:extensionElements></bpmn:intermediateThrowEvent>"
        + service("show", "show")
        + END
        + chain("f", "start", "mark", "show", "end"),
    ),
    "error-boundary-output": error("Error_Declined", "DECLINED")
    + process(
        "error-boundary-output",
        START
        + service("pay", "pay")
        + error_boundary(
            "declined", "pay", "Error_Declined", extra=io(outputs=(("=reason", "failureReason"),))
        )
        + END
        + end("failed")
        + chain("f", "start", "pay", "end")
        + chain("g", "declined", "failed"),
    ),
    # --- Embedded sub-processes.
    "sub-process": process(
        "sub-process",
        START
        + sub_process(
            "greeting",
            start("greeting-start")
            + service("greet", "greet")
            + end("greeting-end")
            + chain("s", "greeting-start", "greet", "greeting-end"),
            extra=io(inputs=(("=customer.name", "name"),)),
        )
        + service("log", "log")
        + END
        + chain("f", "start", "greeting", "log", "end"),
    ),
    "sub-process-output": process(
        "sub-process-output",
        START
        + sub_process(
            "compose",
            start("compose-start")
            + service("write", "write")
            + end("compose-end")
            + chain("s", "compose-start", "write", "compose-end"),
            extra=io(inputs=(("=&quot;&quot;", "text"),), outputs=(("=text", "message"),)),
        )
        + END
        + chain("f", "start", "compose", "end"),
    ),
    "sub-process-parallel": process(
        "sub-process-parallel",
        START
        + sub_process(
            "prepare",
            start("prepare-start")
            + gateway("fork", "parallel")
            + service("pack", "pack")
            + service("label", "label")
            + gateway("join", "parallel")
            + end("prepare-end")
            + flow("s1", "prepare-start", "fork")
            + flow("s2", "fork", "pack")
            + flow("s3", "fork", "label")
            + flow("s4", "pack", "join")
            + flow("s5", "label", "join")
            + flow("s6", "join", "prepare-end"),
        )
        + service("ship", "ship")
        + END
        + chain("f", "start", "prepare", "ship", "end"),
    ),
    "sub-process-error-boundary": error("Error_Fail", "FAIL")
    + process(
        "sub-process-error-boundary",
        START
        + sub_process(
            "attempt",
            start("attempt-start")
            + service("risky", "risky")
            + service("safe", "safe")
            + end("attempt-end")
            + chain("s", "attempt-start", "risky", "safe", "attempt-end"),
        )
        + error_boundary("failed", "attempt", "Error_Fail")
        + service("recover", "recover")
        + END
        + end("recovered")
        + chain("f", "start", "attempt", "end")
        + chain("g", "failed", "recover", "recovered"),
    ),
    "sub-process-error-end": error("Error_Bad", "BAD")
    + process(
        "sub-process-error-end",
        START
        + sub_process(
            "check",
            start("check-start")
            + gateway("ok-gw", default="not-ok")
            + end("check-end")
            + error_end("bad", "Error_Bad")
            + flow("s1", "check-start", "ok-gw")
            + flow("is-ok", "ok-gw", "check-end", "=ok = true")
            + flow("not-ok", "ok-gw", "bad"),
        )
        + error_boundary("on-bad", "check", "Error_Bad")
        + service("handle", "handle")
        + END
        + end("handled")
        + chain("f", "start", "check", "end")
        + chain("g", "on-bad", "handle", "handled"),
    ),
    "sub-process-inner-boundary": error("Error_X", "X")
    + process(
        "sub-process-inner-boundary",
        START
        + sub_process(
            "outer",
            start("outer-start")
            + service("work", "work")
            + error_boundary("inner-catch", "work", None)
            + end("outer-end")
            + end("inner-caught")
            + chain("s", "outer-start", "work", "outer-end")
            + chain("c", "inner-catch", "inner-caught"),
        )
        + error_boundary("outer-catch", "outer", "Error_X")
        + service("after", "after")
        + END
        + end("outer-caught")
        + chain("f", "start", "outer", "after", "end")
        + chain("g", "outer-catch", "outer-caught"),
    ),
    "nested-sub-processes": error("Error_Deep", "DEEP")
    + process(
        "nested-sub-processes",
        START
        + sub_process(
            "level1",
            start("level1-start")
            + sub_process(
                "level2",
                start("level2-start")
                + service("deep", "deep")
                + end("level2-end")
                + chain("t", "level2-start", "deep", "level2-end"),
                extra=io(inputs=(("=depth + 1", "depth"),)),
            )
            + end("level1-end")
            + chain("s", "level1-start", "level2", "level1-end"),
            extra=io(inputs=(("=1", "depth"),)),
        )
        + error_boundary("deep-error", "level1", "Error_Deep")
        + END
        + end("escaped")
        + chain("f", "start", "level1", "end")
        + chain("g", "deep-error", "escaped"),
    ),
    "terminate-in-sub-process": process(
        "terminate-in-sub-process",
        START
        + sub_process(
            "race",
            start("race-start")
            + gateway("fork", "parallel")
            + service("slow", "slow")
            + service("fast", "fast")
            + end("slow-end")
            + terminate_end("stop")
            + flow("s1", "race-start", "fork")
            + flow("s2", "fork", "slow")
            + flow("s3", "fork", "fast")
            + flow("s4", "slow", "slow-end")
            + flow("s5", "fast", "stop"),
        )
        + service("after", "after")
        + END
        + chain("f", "start", "race", "after", "end"),
    ),
    "terminate-process": process(
        "terminate-process",
        START
        + gateway("fork", "parallel")
        + service("a", "a")
        + service("b", "b")
        + terminate_end("stop")
        + END
        + flow("f1", "start", "fork")
        + flow("f2", "fork", "a")
        + flow("f3", "fork", "b")
        + flow("f4", "a", "stop")
        + flow("f5", "b", "end"),
    ),
    # --- Timers.
    "timer-catch": process(
        "timer-catch",
        START
        + timer_catch("wait", "timeDuration", "PT10M")
        + service("remind", "remind")
        + END
        + chain("f", "start", "wait", "remind", "end"),
    ),
    "timer-catch-date": process(
        "timer-catch-date",
        START
        + timer_catch("until", "timeDate", "2025-01-02T09:00:00+01:00")
        + END
        + chain("f", "start", "until", "end"),
    ),
    "timer-catch-expression": process(
        "timer-catch-expression",
        START
        + timer_catch("wait", "timeDuration", "=delay")
        + service("after", "after")
        + END
        + chain("f", "start", "wait", "after", "end"),
    ),
    "timer-boundary": process(
        "timer-boundary",
        START
        + service("call", "call")
        + timer_boundary("timeout", "call", "timeDuration", "PT5M")
        + service("escalate", "escalate")
        + END
        + end("escalated")
        + chain("f", "start", "call", "end")
        + chain("g", "timeout", "escalate", "escalated"),
    ),
    "timer-boundary-cycle": process(
        "timer-boundary-cycle",
        START
        + service("work", "work")
        + timer_boundary("nudge", "work", "timeCycle", "R3/PT1M", interrupting=False)
        + service("remind", "remind")
        + END
        + end("reminded")
        + chain("f", "start", "work", "end")
        + chain("g", "nudge", "remind", "reminded"),
    ),
    "timer-boundary-sub-process": process(
        "timer-boundary-sub-process",
        START
        + sub_process(
            "attempt",
            start("attempt-start")
            + service("try", "try")
            + timer_catch("pause", "timeDuration", "PT30M")
            + service("retry", "retry")
            + end("attempt-end")
            + chain("s", "attempt-start", "try", "pause", "retry", "attempt-end"),
        )
        + timer_boundary("deadline", "attempt", "timeDuration", "PT1H")
        + service("give-up", "give-up")
        + END
        + end("gave-up")
        + chain("f", "start", "attempt", "end")
        + chain("g", "deadline", "give-up", "gave-up"),
    ),
    "timer-start-cycle": process(
        "timer-start-cycle",
        timer_start("hourly", "timeCycle", "R2/PT1H")
        + service("report", "report")
        + END
        + chain("f", "hourly", "report", "end"),
    ),
    "timer-start-cron": process(
        "timer-start-cron",
        timer_start("office-hours", "timeCycle", "0 0 9-17 * * MON-FRI")
        + service("report", "report")
        + END
        + chain("f", "office-hours", "report", "end"),
    ),
    "timer-boundary-cron": process(
        "timer-boundary-cron",
        START
        + service("work", "work")
        + timer_boundary("nudge", "work", "timeCycle", '="0 */15 * * * *"', interrupting=False)
        + service("remind", "remind")
        + END
        + end("reminded")
        + chain("f", "start", "work", "end")
        + chain("g", "nudge", "remind", "reminded"),
    ),
    # --- Messages.
    "message-catch": message("Msg_Paid", "payment-received", "=orderId")
    + process(
        "message-catch",
        START
        + message_catch("paid", "Msg_Paid")
        + service("ship", "ship")
        + END
        + chain("f", "start", "paid", "ship", "end"),
    ),
    "receive-task": message("Msg_Approval", "approval", "=request.id")
    + process(
        "receive-task",
        START
        + '<bpmn:receiveTask id="approve" name="approve" messageRef="Msg_Approval">'
        + "<bpmn:extensionElements>"
        + io(outputs=(("=approved", "decision"),))
        + "</bpmn:extensionElements></bpmn:receiveTask>"
        + gateway("approved-gw", default="rejected")
        + service("grant", "grant")
        + END
        + end("denied")
        + flow("f1", "start", "approve")
        + flow("f2", "approve", "approved-gw")
        + flow("granted", "approved-gw", "grant", "=decision = true")
        + flow("rejected", "approved-gw", "denied")
        + flow("f3", "grant", "end"),
    ),
    "message-boundary": message("Msg_Cancel", "order-cancelled", "=orderId")
    + process(
        "message-boundary",
        START
        + service("deliver", "deliver")
        + message_boundary("cancelled", "deliver", "Msg_Cancel")
        + service("refund", "refund")
        + END
        + end("refunded")
        + chain("f", "start", "deliver", "end")
        + chain("g", "cancelled", "refund", "refunded"),
    ),
    "message-boundary-non-interrupting": message("Msg_Update", "order-updated", "=orderId")
    + process(
        "message-boundary-non-interrupting",
        START
        + service("work", "work")
        + message_boundary("updated", "work", "Msg_Update", interrupting=False)
        + service("note", "note")
        + END
        + end("noted")
        + chain("f", "start", "work", "end")
        + chain("g", "updated", "note", "noted"),
    ),
    "message-start": message("Msg_Order", "order-placed")
    + process(
        "message-start",
        message_start("placed", "Msg_Order")
        + service("process", "process")
        + END
        + chain("f", "placed", "process", "end"),
    ),
    "message-in-sub-process": message("Msg_Reply", "reply", "=ticket")
    + process(
        "message-in-sub-process",
        START
        + sub_process(
            "conversation",
            start("conversation-start")
            + message_catch("replied", "Msg_Reply", extra=io(outputs=(("=text", "answer"),)))
            + end("conversation-end")
            + chain("s", "conversation-start", "replied", "conversation-end"),
            extra=io(inputs=(("=case.id", "ticket"),)),
        )
        + END
        + chain("f", "start", "conversation", "end"),
    ),
    # --- Script tasks, expressions in task definitions, link events.
    "script-task": process(
        "script-task",
        START
        + '<bpmn:scriptTask id="total" name="total"><bpmn:extensionElements>'
        + '<zeebe:script expression="=price * quantity" resultVariable="sum" />'
        + "</bpmn:extensionElements></bpmn:scriptTask>"
        + '<bpmn:scriptTask id="tax" name="tax"><bpmn:extensionElements>'
        + '<zeebe:script expression="=sum * 0.2" resultVariable="vat" />'
        + io(outputs=(("=vat", "invoice.vat"),))
        + "</bpmn:extensionElements></bpmn:scriptTask>"
        + service("bill", "bill")
        + END
        + chain("f", "start", "total", "tax", "bill", "end"),
    ),
    "job-type-expression": process(
        "job-type-expression",
        START
        + '<bpmn:serviceTask id="dispatch" name="dispatch"><bpmn:extensionElements>'
        + '<zeebe:taskDefinition type="=channel" retries="=attempts" />'
        + "</bpmn:extensionElements></bpmn:serviceTask>"
        + END
        + chain("f", "start", "dispatch", "end"),
    ),
    "link-events": process(
        "link-events",
        START
        + service("first", "first")
        + '<bpmn:intermediateThrowEvent id="to-page-2" name="to-page-2">'
        + '<bpmn:linkEventDefinition id="l1" name="page-2" /></bpmn:intermediateThrowEvent>'
        + '<bpmn:intermediateCatchEvent id="page-2" name="page-2">'
        + '<bpmn:linkEventDefinition id="l2" name="page-2" /></bpmn:intermediateCatchEvent>'
        + service("second", "second")
        + END
        + chain("f", "start", "first", "to-page-2")
        + chain("g", "page-2", "second", "end"),
    ),
    # --- User tasks.
    "user-task": process(
        "user-task",
        START
        + '<bpmn:userTask id="approve" name="Approve order"><bpmn:extensionElements>'
        + "<zeebe:userTask />"
        + '<zeebe:assignmentDefinition assignee="=owner" candidateGroups="sales, support" />'
        + '<zeebe:taskSchedule dueDate="2025-01-08T17:00:00Z" />'
        + '<zeebe:formDefinition formId="approval-form" />'
        + '<zeebe:priorityDefinition priority="80" />'
        + io(inputs=(("=order.total", "amount"),), outputs=(("=approved", "orderApproved"),))
        + "</bpmn:extensionElements></bpmn:userTask>"
        + service("ship", "ship")
        + END
        + chain("f", "start", "approve", "ship", "end"),
    ),
    "user-task-job-based": process(
        "user-task-job-based",
        START
        + '<bpmn:userTask id="review" name="Review"><bpmn:extensionElements>'
        + '<zeebe:assignmentDefinition assignee="demo" candidateGroups="=teams" />'
        + '<zeebe:formDefinition formKey="camunda-forms:bpmn:Form_1" />'
        + '<zeebe:taskHeaders><zeebe:header key="kind" value="review" /></zeebe:taskHeaders>'
        + "</bpmn:extensionElements></bpmn:userTask>"
        + END
        + chain("f", "start", "review", "end"),
    ),
    "user-task-timeout": process(
        "user-task-timeout",
        START
        + '<bpmn:userTask id="decide" name="Decide"><bpmn:extensionElements>'
        + "<zeebe:userTask /></bpmn:extensionElements></bpmn:userTask>"
        + timer_boundary("too-late", "decide", "timeDuration", "P1D")
        + service("auto-decide", "auto-decide")
        + END
        + end("auto-decided")
        + chain("f", "start", "decide", "end")
        + chain("g", "too-late", "auto-decide", "auto-decided"),
    ),
    # --- Event-based gateway.
    "event-based-gateway": message("Msg_Payment", "payment", "=orderId")
    + process(
        "event-based-gateway",
        START
        + '<bpmn:eventBasedGateway id="wait" name="wait" />'
        + message_catch("paid", "Msg_Payment", extra=io(outputs=(("=amount", "paidAmount"),)))
        + timer_catch("expired", "timeDuration", "PT1H")
        + service("ship", "ship")
        + service("cancel", "cancel")
        + END
        + end("cancelled")
        + flow("f1", "start", "wait")
        + flow("f2", "wait", "paid")
        + flow("f3", "wait", "expired")
        + chain("p", "paid", "ship", "end")
        + chain("e", "expired", "cancel", "cancelled"),
    ),
    # --- FEEL in mappings, timers and conditions.
    "feel-mappings": process(
        "feel-mappings",
        START
        + service(
            "price",
            "price",
            extra=io(
                inputs=(
                    ("=sum(items.price)", "total"),
                    ("=upper case(customer)", "shout"),
                    ("=if total &gt; 10 then &quot;big&quot; else &quot;small&quot;", "size"),
                    ("={first: items[1].name, count: count(items)}", "summary"),
                ),
                outputs=(("=string length(note)", "noteLength"), ("=size", "orderSize")),
            ),
        )
        + timer_catch("cool-down", "timeDuration", "=duration(&quot;PT1H&quot;) * 2")
        + gateway("big-gw", default="small-path")
        + service("premium", "premium")
        + END
        + end("standard")
        + flow("f1", "start", "price")
        + flow("f2", "price", "cool-down")
        + flow("f3", "cool-down", "big-gw")
        + flow(
            "big-path",
            "big-gw",
            "premium",
            "=orderSize = &quot;big&quot; and list contains(tags, &quot;vip&quot;)",
        )
        + flow("small-path", "big-gw", "standard")
        + flow("f4", "premium", "end"),
    ),
    # --- Inclusive gateway (fork).
    "inclusive-gateway": process(
        "inclusive-gateway",
        START
        + gateway("which", "inclusive", default="none-chosen")
        + service("email", "email")
        + service("sms", "sms")
        + service("letter", "letter")
        + END
        + end("nothing")
        + flow("f1", "start", "which")
        + flow("to-email", "which", "email", "=list contains(channels, &quot;email&quot;)")
        + flow("to-sms", "which", "sms", "=list contains(channels, &quot;sms&quot;)")
        + flow("none-chosen", "which", "letter")
        + flow("f2", "email", "end")
        + flow("f3", "sms", "end")
        + flow("f4", "letter", "nothing"),
    ),
    # --- Event sub-processes, joining inclusive gateways, message events as jobs.
    "esp-error-interrupting": error("Error_Declined", "DECLINED")
    + process(
        "esp-error-interrupting",
        START
        + service("charge", "charge")
        + END
        + event_sub_process(
            "on-declined",
            event_start("declined-start", 'error errorRef="Error_Declined"'),
            service("notify", "notify")
            + end("notified")
            + chain("e", "declined-start", "notify", "notified"),
        )
        + chain("f", "start", "charge", "end"),
    ),
    "esp-message-non-interrupting": message("Msg_Status", "status", "=orderId")
    + process(
        "esp-message-non-interrupting",
        START
        + service("work", "work")
        + END
        + event_sub_process(
            "on-status",
            event_start("status-start", 'message messageRef="Msg_Status"', interrupting=False),
            service("report", "report")
            + end("reported")
            + chain("e", "status-start", "report", "reported"),
        )
        + chain("f", "start", "work", "end"),
    ),
    "esp-timer-in-sub-process": process(
        "esp-timer-in-sub-process",
        START
        + sub_process(
            "handle",
            start("handle-start")
            + service("slow", "slow")
            + end("handle-end")
            + chain("s", "handle-start", "slow", "handle-end")
            + event_sub_process(
                "on-timeout",
                '<bpmn:startEvent id="timeout-start" name="timeout-start">'
                '<bpmn:timerEventDefinition id="timeout-start_def">'
                '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT10M</bpmn:timeDuration>'
                "</bpmn:timerEventDefinition></bpmn:startEvent>",
                service("escalate", "escalate")
                + end("timeout-end")
                + chain("e", "timeout-start", "escalate", "timeout-end"),
            ),
        )
        + service("after", "after")
        + END
        + chain("f", "start", "handle", "after", "end"),
    ),
    "esp-timer-cycle-non-interrupting": process(
        "esp-timer-cycle-non-interrupting",
        START
        + service("work", "work")
        + END
        + event_sub_process(
            "reminders",
            '<bpmn:startEvent id="remind-start" name="remind-start" isInterrupting="false">'
            '<bpmn:timerEventDefinition id="remind-start_def">'
            '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R2/PT1M</bpmn:timeCycle>'
            "</bpmn:timerEventDefinition></bpmn:startEvent>",
            service("remind", "remind")
            + end("reminded")
            + chain("e", "remind-start", "remind", "reminded"),
        )
        + chain("f", "start", "work", "end"),
    ),
    "esp-signal": signal("Sig_Cancel", "cancel-all")
    + process(
        "esp-signal",
        START
        + service("wait", "wait")
        + END
        + event_sub_process(
            "on-cancel",
            event_start("cancel-start", 'signal signalRef="Sig_Cancel"'),
            end("cancelled") + chain("e", "cancel-start", "cancelled"),
        )
        + chain("f", "start", "wait", "end"),
    ),
    "esp-escalation": escalation("Esc_Late", "LATE")
    + process(
        "esp-escalation",
        START
        + sub_process(
            "ship",
            start("ship-start")
            + '<bpmn:intermediateThrowEvent id="late" name="late">'
            + '<bpmn:escalationEventDefinition id="late_def" escalationRef="Esc_Late" />'
            + "</bpmn:intermediateThrowEvent>"
            + service("deliver", "deliver")
            + end("ship-end")
            + chain("s", "ship-start", "late", "deliver", "ship-end"),
        )
        + END
        + event_sub_process(
            "on-late",
            event_start("late-start", 'escalation escalationRef="Esc_Late"', interrupting=False),
            service("apologise", "apologise")
            + end("apologised")
            + chain("e", "late-start", "apologise", "apologised"),
        )
        + chain("f", "start", "ship", "end"),
    ),
    "esp-error-end-in-sub-process": error("Error_Invalid", "INVALID")
    + process(
        "esp-error-end-in-sub-process",
        START
        + sub_process(
            "check",
            start("check-start")
            + service("verify", "verify")
            + error_end("invalid", "Error_Invalid")
            + chain("s", "check-start", "verify", "invalid")
            + event_sub_process(
                "on-invalid",
                event_start("fix-start", 'error errorRef="Error_Invalid"'),
                service("repair", "repair")
                + end("fix-end")
                + chain("e", "fix-start", "repair", "fix-end"),
                extra=io(inputs=(("=score * 10", "points"),)),
            ),
        )
        + service("finish", "finish")
        + END
        + chain("f", "start", "check", "finish", "end"),
    ),
    "inclusive-join": process(
        "inclusive-join",
        START
        + gateway("pick", "inclusive")
        + service("pasta", "pasta")
        + service("steak", "steak")
        + service("salad", "salad")
        + gateway("serve", "inclusive")
        + END
        + flow("f1", "start", "pick")
        + flow("to-pasta", "pick", "pasta", "=list contains(courses, &quot;pasta&quot;)")
        + flow("to-steak", "pick", "steak", "=list contains(courses, &quot;steak&quot;)")
        + flow("to-salad", "pick", "salad", "=list contains(courses, &quot;salad&quot;)")
        + flow("f2", "pasta", "serve")
        + flow("f3", "steak", "serve")
        + flow("f4", "salad", "serve")
        + flow("f5", "serve", "end"),
    ),
    "inclusive-join-beside": process(
        "inclusive-join-beside",
        START
        + gateway("fork", "parallel")
        + gateway("pick", "inclusive")
        + service("a", "a")
        + service("b", "b")
        + gateway("merge", "inclusive")
        + end("merged")
        + service("side", "side")
        + end("side-end")
        + flow("f1", "start", "fork")
        + flow("f2", "fork", "pick")
        + flow("f3", "fork", "side")
        + flow("to-a", "pick", "a", "=x")
        + flow("to-b", "pick", "b", "=y")
        + flow("f4", "a", "merge")
        + flow("f5", "b", "merge")
        + flow("f6", "merge", "merged")
        + flow("f7", "side", "side-end"),
    ),
    "message-throw-job": process(
        "message-throw-job",
        START
        + message_job("intermediateThrowEvent", "notify", "notify")
        + message_job("endEvent", "done", "send-done")
        + chain("f", "start", "notify", "done"),
    ),
    # --- Combinations, as real processes mix them.
    "retry-loop": process(
        "retry-loop",
        START
        + '<bpmn:scriptTask id="count" name="count"><bpmn:extensionElements>'
        + '<zeebe:script expression="=if attempt = null then 1 else attempt + 1" resultVariable="attempt" />'
        + "</bpmn:extensionElements></bpmn:scriptTask>"
        + service("try", "try")
        + gateway("done-gw", default="again")
        + END
        + flow("f1", "start", "count")
        + flow("f2", "count", "try")
        + flow("f3", "try", "done-gw")
        + flow("ok", "done-gw", "end", "=success or attempt &gt;= 3")
        + flow("again", "done-gw", "count"),
    ),
    "nested-parallel": process(
        "nested-parallel",
        START
        + gateway("outer-fork", "parallel")
        + gateway("inner-fork", "parallel")
        + service("a", "a")
        + service("b", "b")
        + service("c", "c")
        + gateway("inner-join", "parallel")
        + gateway("outer-join", "parallel")
        + END
        + flow("f1", "start", "outer-fork")
        + flow("f2", "outer-fork", "inner-fork")
        + flow("f3", "outer-fork", "c")
        + flow("f4", "inner-fork", "a")
        + flow("f5", "inner-fork", "b")
        + flow("f6", "a", "inner-join")
        + flow("f7", "b", "inner-join")
        + flow("f8", "inner-join", "outer-join")
        + flow("f9", "c", "outer-join")
        + flow("f10", "outer-join", "end"),
    ),
    "sub-process-reminder": process(
        "sub-process-reminder",
        START
        + sub_process(
            "handle",
            start("handle-start")
            + service("work", "work")
            + end("handle-end")
            + chain("s", "handle-start", "work", "handle-end"),
        )
        + timer_boundary("remind", "handle", "timeCycle", "R/PT1H", interrupting=False)
        + service("nudge", "nudge")
        + END
        + end("nudged")
        + chain("f", "start", "handle", "end")
        + chain("g", "remind", "nudge", "nudged"),
    ),
    "receive-task-timeout": message("Msg_Answer", "answer", "=questionId")
    + process(
        "receive-task-timeout",
        START
        + '<bpmn:receiveTask id="wait-answer" name="wait-answer" messageRef="Msg_Answer" />'
        + timer_boundary("no-answer", "wait-answer", "timeDuration", "P2D")
        + service("remind", "remind")
        + END
        + end("reminded")
        + chain("f", "start", "wait-answer", "end")
        + chain("g", "no-answer", "remind", "reminded"),
    ),
    "user-task-cancel-message": message("Msg_Withdraw", "withdrawn", "=requestId")
    + process(
        "user-task-cancel-message",
        START
        + '<bpmn:userTask id="review" name="review"><bpmn:extensionElements>'
        + '<zeebe:userTask /><zeebe:assignmentDefinition candidateGroups="=[&quot;reviewers&quot;]" />'
        + "</bpmn:extensionElements></bpmn:userTask>"
        + message_boundary("withdraw", "review", "Msg_Withdraw")
        + END
        + end("withdrawn-end")
        + chain("f", "start", "review", "end")
        + chain("g", "withdraw", "withdrawn-end"),
    ),
    "timer-start-date": process(
        "timer-start-date",
        timer_start("new-year", "timeDate", "2025-01-01T06:00:00Z")
        + service("greet", "greet")
        + END
        + chain("f", "new-year", "greet", "end"),
    ),
    "terminate-nested": process(
        "terminate-nested",
        START
        + sub_process(
            "outer",
            start("outer-start")
            + gateway("fork", "parallel")
            + sub_process(
                "inner",
                start("inner-start")
                + service("inner-work", "inner-work")
                + terminate_end("inner-stop")
                + chain("t", "inner-start", "inner-work", "inner-stop"),
            )
            + service("outer-work", "outer-work")
            + end("inner-done")
            + end("outer-done")
            + flow("s1", "outer-start", "fork")
            + flow("s2", "fork", "inner")
            + flow("s3", "fork", "outer-work")
            + flow("s4", "inner", "inner-done")
            + flow("s5", "outer-work", "outer-done"),
        )
        + END
        + chain("f", "start", "outer", "end"),
    ),
    "link-in-sub-process": process(
        "link-in-sub-process",
        START
        + sub_process(
            "paged",
            start("paged-start")
            + '<bpmn:intermediateThrowEvent id="go" name="go">'
            + '<bpmn:linkEventDefinition id="go_def" name="next" /></bpmn:intermediateThrowEvent>'
            + '<bpmn:intermediateCatchEvent id="arrive" name="arrive">'
            + '<bpmn:linkEventDefinition id="arrive_def" name="next" /></bpmn:intermediateCatchEvent>'
            + service("page", "page")
            + end("paged-end")
            + chain("s", "paged-start", "go")
            + chain("t", "arrive", "page", "paged-end"),
        )
        + END
        + chain("f", "start", "paged", "end"),
    ),
    "message-start-then-catch": message("Msg_Open", "case-opened")
    + message("Msg_Close", "case-closed", "=caseId")
    + process(
        "message-start-then-catch",
        message_start("opened", "Msg_Open")
        + message_catch("closed", "Msg_Close")
        + service("archive", "archive")
        + END
        + chain("f", "opened", "closed", "archive", "end"),
    ),
    "event-gateway-in-sub-process": message("Msg_Confirm", "confirm", "=bookingId")
    + error("Error_Lapsed", "LAPSED")
    + process(
        "event-gateway-in-sub-process",
        START
        + sub_process(
            "booking",
            start("booking-start")
            + '<bpmn:eventBasedGateway id="await" name="await" />'
            + message_catch("confirmed", "Msg_Confirm")
            + timer_catch("lapsed", "timeDuration", "PT15M")
            + end("booked")
            + error_end("lapse-error", "Error_Lapsed")
            + flow("s1", "booking-start", "await")
            + flow("s2", "await", "confirmed")
            + flow("s3", "await", "lapsed")
            + flow("s4", "confirmed", "booked")
            + flow("s5", "lapsed", "lapse-error"),
        )
        + error_boundary("on-lapse", "booking", "Error_Lapsed")
        + service("release", "release")
        + END
        + end("released")
        + chain("f", "start", "booking", "end")
        + chain("g", "on-lapse", "release", "released"),
    ),
    "throw-event-mappings": process(
        "throw-event-mappings",
        START
        + '<bpmn:intermediateThrowEvent id="step1" name="step1"><bpmn:extensionElements>'
        + io(outputs=(("=[1, 2, 3]", "numbers"),))
        + "</bpmn:extensionElements></bpmn:intermediateThrowEvent>"
        + '<bpmn:intermediateThrowEvent id="step2" name="step2"><bpmn:extensionElements>'
        + io(outputs=(("=for n in numbers return n * n", "squares"),))
        + "</bpmn:extensionElements></bpmn:intermediateThrowEvent>"
        + '<bpmn:endEvent id="end" name="end"><bpmn:extensionElements>'
        + io(outputs=(("=sum(squares)", "total"),))
        + "</bpmn:extensionElements></bpmn:endEvent>"
        + chain("f", "start", "step1", "step2", "end"),
    ),
    "implicit-ends": process(
        "implicit-ends",
        START
        + gateway("fork", "parallel")
        + service("left", "left")
        + service("right", "right")
        + flow("f1", "start", "fork")
        + flow("f2", "fork", "left")
        + flow("f3", "fork", "right"),
    ),
    "order-fulfilment": error("Error_Declined", "CARD_DECLINED")
    + message("Msg_Payment", "payment-confirmed", "=orderId")
    + process(
        "order-fulfilment",
        START
        + service(
            "validate",
            "validate-order",
            extra=io(inputs=(("=order.items", "items"),), outputs=(("=valid", "orderValid"),)),
        )
        + gateway("valid-gw", default="invalid")
        + sub_process(
            "payment",
            start("payment-start")
            + service(
                "charge", "charge-card", extra=io(inputs=(("=sum(order.items.price)", "amount"),))
            )
            + message_catch("confirmed", "Msg_Payment")
            + end("payment-end")
            + chain("s", "payment-start", "charge", "confirmed", "payment-end"),
        )
        + error_boundary(
            "declined",
            "payment",
            "Error_Declined",
            extra=io(outputs=(("=reason", "declineReason"),)),
        )
        + gateway("split", "parallel")
        + service("ship", "ship-goods")
        + service("invoice", "send-invoice")
        + gateway("join", "parallel")
        + service("notify-declined", "notify-customer")
        + END
        + end("rejected")
        + end("declined-end")
        + flow("f1", "start", "validate")
        + flow("f2", "validate", "valid-gw")
        + flow("valid", "valid-gw", "payment", "=orderValid")
        + flow("invalid", "valid-gw", "rejected")
        + flow("f3", "payment", "split")
        + flow("f4", "split", "ship")
        + flow("f5", "split", "invoice")
        + flow("f6", "ship", "join")
        + flow("f7", "invoice", "join")
        + flow("f8", "join", "end")
        + flow("f9", "declined", "notify-declined")
        + flow("f10", "notify-declined", "declined-end"),
    ),
    "send-and-business-rule-tasks": process(
        "send-and-business-rule-tasks",
        START
        + '<bpmn:businessRuleTask id="rate" name="rate"><bpmn:extensionElements>'
        + '<zeebe:taskDefinition type="rate-risk" retries="1" /></bpmn:extensionElements>'
        + "</bpmn:businessRuleTask>"
        + '<bpmn:sendTask id="mail" name="mail"><bpmn:extensionElements>'
        + '<zeebe:taskDefinition type="send-mail" />'
        + '<zeebe:taskHeaders><zeebe:header key="template" value="welcome" /></zeebe:taskHeaders>'
        + "</bpmn:extensionElements></bpmn:sendTask>"
        + END
        + chain("f", "start", "rate", "mail", "end"),
    ),
    "sub-process-catch-all": process(
        "sub-process-catch-all",
        START
        + sub_process(
            "risky-part",
            start("risky-start")
            + service("step", "step")
            + end("risky-end")
            + chain("s", "risky-start", "step", "risky-end"),
        )
        + error_boundary("any-error", "risky-part", None)
        + service("fallback", "fallback")
        + END
        + end("fell-back")
        + chain("f", "start", "risky-part", "end")
        + chain("g", "any-error", "fallback", "fell-back"),
    ),
    "message-boundary-sub-process": message("Msg_Abort", "abort", "=jobId")
    + process(
        "message-boundary-sub-process",
        START
        + sub_process(
            "processing",
            start("processing-start")
            + gateway("fork", "parallel")
            + service("crunch", "crunch")
            + '<bpmn:userTask id="check" name="check"><bpmn:extensionElements><zeebe:userTask />'
            + "</bpmn:extensionElements></bpmn:userTask>"
            + gateway("join", "parallel")
            + end("processing-end")
            + flow("s1", "processing-start", "fork")
            + flow("s2", "fork", "crunch")
            + flow("s3", "fork", "check")
            + flow("s4", "crunch", "join")
            + flow("s5", "check", "join")
            + flow("s6", "join", "processing-end"),
        )
        + message_boundary("aborted", "processing", "Msg_Abort")
        + END
        + end("aborted-end")
        + chain("f", "start", "processing", "end")
        + chain("g", "aborted", "aborted-end"),
    ),
    # --- Signals.
    "signal-catch": signal("Sig_Alarm", "alarm")
    + process(
        "signal-catch",
        START
        + signal_event("intermediateCatchEvent", "alarmed", "Sig_Alarm")
        + service("evacuate", "evacuate")
        + END
        + chain("f", "start", "alarmed", "evacuate", "end"),
    ),
    "signal-start": signal("Sig_Go", "go")
    + process(
        "signal-start",
        signal_event("startEvent", "went", "Sig_Go")
        + service("run", "run")
        + END
        + chain("f", "went", "run", "end"),
    ),
    "signal-throw": signal("Sig_Done", "batch-done")
    + process(
        "signal-throw",
        START
        + service("batch", "batch")
        + '<bpmn:intermediateThrowEvent id="announce" name="announce">'
        + '<bpmn:signalEventDefinition id="announce_def" signalRef="Sig_Done" />'
        + "</bpmn:intermediateThrowEvent>"
        + signal_event("endEvent", "end", "Sig_Done")
        + chain("f", "start", "batch", "announce", "end"),
    )
    + process(
        "signal-listener",
        START
        + service("prepare", "prepare")
        + signal_boundary("batch-finished", "prepare", "Sig_Done")
        + END
        + end("interrupted")
        + chain("f", "start", "prepare", "end")
        + chain("g", "batch-finished", "interrupted"),
    ),
    # --- Escalations.
    "error-end-expression": error("Err_Failure", "=failure")
    + error("Err_Stock", "OUT_OF_STOCK")
    + process(
        "error-end-expression",
        START
        + sub_process(
            "check",
            start("check-start")
            + service("inspect", "inspect")
            + error_end("fail", "Err_Failure")
            + chain("s", "check-start", "inspect", "fail"),
        )
        + error_boundary("no-stock", "check", "Err_Stock")
        + error_boundary("other", "check", None)
        + END
        + end("restocked")
        + end("escalated")
        + chain("f", "start", "check", "end")
        + flow("g1", "no-stock", "restocked")
        + flow("g2", "other", "escalated"),
    ),
    "escalation-throw-expression": escalation("Esc_Level", "=level")
    + escalation("Esc_Urgent", "URGENT")
    + process(
        "escalation-throw-expression",
        START
        + sub_process(
            "handle",
            start("handle-start")
            + '<bpmn:intermediateThrowEvent id="raise" name="raise">'
            + '<bpmn:escalationEventDefinition id="raise_def" escalationRef="Esc_Level" />'
            + "</bpmn:intermediateThrowEvent>"
            + service("work", "work")
            + end("handle-end")
            + chain("s", "handle-start", "raise", "work", "handle-end"),
        )
        + '<bpmn:boundaryEvent id="urgent" name="urgent" cancelActivity="false" attachedToRef="handle">'
        + '<bpmn:escalationEventDefinition id="urgent_def" escalationRef="Esc_Urgent" />'
        + "</bpmn:boundaryEvent>"
        + service("notify", "notify")
        + END
        + end("notified")
        + chain("f", "start", "handle", "end")
        + chain("g", "urgent", "notify", "notified"),
    ),
    "escalation-events": '<bpmn:escalation id="Esc_Late" name="late" escalationCode="LATE" />'
    + '<bpmn:escalation id="Esc_Abort" name="abort" escalationCode="ABORT" />'
    + process(
        "escalation-events",
        START
        + sub_process(
            "delivery",
            start("delivery-start")
            + '<bpmn:intermediateThrowEvent id="running-late" name="running-late">'
            + '<bpmn:escalationEventDefinition id="rl_def" escalationRef="Esc_Late" />'
            + "</bpmn:intermediateThrowEvent>"
            + service("deliver", "deliver")
            + gateway("ok-gw", default="give-up")
            + end("delivered")
            + '<bpmn:endEvent id="abort" name="abort">'
            + '<bpmn:escalationEventDefinition id="ab_def" escalationRef="Esc_Abort" />'
            + "</bpmn:endEvent>"
            + flow("s1", "delivery-start", "running-late")
            + flow("s2", "running-late", "deliver")
            + flow("s3", "deliver", "ok-gw")
            + flow("fine", "ok-gw", "delivered", "=ok")
            + flow("give-up", "ok-gw", "abort"),
        )
        + '<bpmn:boundaryEvent id="late" name="late" cancelActivity="false" attachedToRef="delivery">'
        + '<bpmn:escalationEventDefinition id="late_def" escalationRef="Esc_Late" /></bpmn:boundaryEvent>'
        + '<bpmn:boundaryEvent id="aborted" name="aborted" attachedToRef="delivery">'
        + '<bpmn:escalationEventDefinition id="aborted_def" escalationRef="Esc_Abort" />'
        + "</bpmn:boundaryEvent>"
        + service("apologise", "apologise")
        + service("refund", "refund")
        + END
        + end("apologised")
        + end("refunded")
        + chain("f", "start", "delivery", "end")
        + chain("g", "late", "apologise", "apologised")
        + chain("h", "aborted", "refund", "refunded"),
    ),
    "error-end-uncaught": error("Error_Oops", "OOPS")
    + process(
        "error-end-uncaught",
        START + error_end("oops", "Error_Oops") + flow("f1", "start", "oops"),
    ),
    # --- Call activities (parent and child processes in one resource).
    "call-activity": process(
        "call-activity",
        START
        + call_activity("call", "call-activity-child")
        + END
        + chain("f", "start", "call", "end"),
    )
    + process(
        "call-activity-child",
        start("child-start")
        + service("child-work", "child-work")
        + end("child-end")
        + chain("c", "child-start", "child-work", "child-end"),
    ),
    "call-activity-mappings": process(
        "call-activity-mappings",
        START
        + call_activity(
            "call",
            "call-activity-mappings-child",
            attributes=' propagateAllParentVariables="false" propagateAllChildVariables="false"',
            extra=io(inputs=(("=order.id", "orderId"),), outputs=(("=status", "orderStatus"),)),
        )
        + END
        + chain("f", "start", "call", "end"),
    )
    + process(
        "call-activity-mappings-child",
        start("child-start")
        + service("ship", "ship")
        + end("child-end")
        + chain("c", "child-start", "ship", "child-end"),
    ),
    "call-activity-timeout": process(
        "call-activity-timeout",
        START
        + call_activity("call", "call-activity-timeout-child")
        + timer_boundary("too-slow", "call", "timeDuration", "PT1H")
        + service("escalate", "escalate")
        + END
        + end("gave-up")
        + chain("f", "start", "call", "end")
        + chain("g", "too-slow", "escalate", "gave-up"),
    )
    + process(
        "call-activity-timeout-child",
        start("child-start")
        + service("slow", "slow")
        + end("child-end")
        + chain("c", "child-start", "slow", "child-end"),
    ),
    "call-activity-not-deployed": process(
        "call-activity-not-deployed",
        START + call_activity("call", "=target") + END + chain("f", "start", "call", "end"),
    ),
    "call-activity-version-tag": process(
        "call-activity-version-tag",
        START
        + call_activity(
            "call",
            "call-activity-version-tag-child",
            attributes=' bindingType="versionTag" versionTag="v2"',
        )
        + END
        + chain("f", "start", "call", "end"),
    )
    + '<bpmn:process id="call-activity-version-tag-child" name="child" isExecutable="true">'
    + '<bpmn:extensionElements><zeebe:versionTag value="v2" /></bpmn:extensionElements>'
    + start("child-start")
    + '<bpmn:scriptTask id="answer" name="answer"><bpmn:extensionElements>'
    + '<zeebe:script expression="=&quot;v2 answered &quot; + question" resultVariable="answer" />'
    + "</bpmn:extensionElements></bpmn:scriptTask>"
    + end("child-end")
    + chain("c", "child-start", "answer", "child-end")
    + "</bpmn:process>",
    # --- Multi-instance activities.
    "multi-instance-parallel": process(
        "multi-instance-parallel",
        START
        + looped_service(
            "check", "check", loop("=items", element="item", output=("results", "=result"))
        )
        + service("report", "report")
        + END
        + chain("f", "start", "check", "report", "end"),
    ),
    "multi-instance-sequential": process(
        "multi-instance-sequential",
        START
        + looped_service(
            "step",
            "step",
            loop("=steps", element="name", sequential=True),
            extra=io(inputs=(("=&quot;step &quot; + name", "label"),)),
        )
        + END
        + chain("f", "start", "step", "end"),
    ),
    "multi-instance-completion-condition": process(
        "multi-instance-completion-condition",
        START
        + looped_service(
            "bid",
            "bid",
            loop(
                "=bidders",
                element="bidder",
                output=("offers", "=offer"),
                condition="= numberOfCompletedInstances &gt;= 2",
            ),
        )
        + END
        + chain("f", "start", "bid", "end"),
    ),
    "multi-instance-empty": process(
        "multi-instance-empty",
        START
        + looped_service("check", "check", loop("=items", output=("results", "=result")))
        + END
        + chain("f", "start", "check", "end"),
    ),
    "multi-instance-script": process(
        "multi-instance-script",
        START
        + '<bpmn:scriptTask id="double" name="double"><bpmn:extensionElements>'
        + '<zeebe:script expression="=n * 2 + loopCounter" resultVariable="doubled" />'
        + "</bpmn:extensionElements>"
        + loop("=numbers", element="n", output=("doubles", "=doubled"))
        + "</bpmn:scriptTask>"
        + END
        + chain("f", "start", "double", "end"),
    ),
    "multi-instance-sub-process": process(
        "multi-instance-sub-process",
        START
        + '<bpmn:subProcess id="per-order" name="per-order">'
        + "<bpmn:extensionElements>"
        + io(inputs=(("=order.id", "orderId"),))
        + "</bpmn:extensionElements>"
        + loop("=orders", element="order", output=("shipped", "=orderId"), sequential=True)
        + start("per-order-start")
        + service("pack", "pack")
        + end("per-order-end")
        + chain("s", "per-order-start", "pack", "per-order-end")
        + "</bpmn:subProcess>"
        + END
        + chain("f", "start", "per-order", "end"),
    ),
    "multi-instance-call-activity": process(
        "multi-instance-call-activity",
        START
        + call_activity(
            "call",
            "multi-instance-call-activity-child",
            extra=io(outputs=(("=price", "quote"),)),
            body=loop("=suppliers", element="supplier", output=("quotes", "=quote")),
        )
        + END
        + chain("f", "start", "call", "end"),
    )
    + process(
        "multi-instance-call-activity-child",
        start("child-start")
        + service("ask", "ask")
        + end("child-end")
        + chain("c", "child-start", "ask", "child-end"),
    ),
    "multi-instance-boundary": process(
        "multi-instance-boundary",
        START
        + looped_service("review", "review", loop("=reviewers", element="reviewer"))
        + timer_boundary("deadline", "review", "timeDuration", "PT1H")
        + service("remind", "remind")
        + END
        + end("expired")
        + chain("f", "start", "review", "end")
        + chain("g", "deadline", "remind", "expired"),
    ),
    "multi-instance-not-a-list": process(
        "multi-instance-not-a-list",
        START
        + looped_service("check", "check", loop("=items"))
        + END
        + chain("f", "start", "check", "end"),
    ),
    "multi-instance-user-task": process(
        "multi-instance-user-task",
        START
        + '<bpmn:userTask id="approve" name="approve"><bpmn:extensionElements>'
        + '<zeebe:userTask /><zeebe:assignmentDefinition assignee="=approver" />'
        + "</bpmn:extensionElements>"
        + loop("=approvers", element="approver", output=("votes", "=vote"), sequential=True)
        + "</bpmn:userTask>"
        + END
        + chain("f", "start", "approve", "end"),
    ),
    "call-activity-error": error("Error_Rejected", "REJECTED")
    + process(
        "call-activity-error",
        START
        + call_activity("call", "call-activity-error-child")
        + error_boundary("rejected", "call", "Error_Rejected")
        + service("apologise", "apologise")
        + END
        + end("apologised")
        + chain("f", "start", "call", "end")
        + chain("g", "rejected", "apologise", "apologised"),
    )
    + process(
        "call-activity-error-child",
        start("child-start")
        + service("vet", "vet")
        + end("child-end")
        + chain("c", "child-start", "vet", "child-end"),
    ),
    "call-activity-escalation": '<bpmn:escalation id="Esc_Late" name="late" escalationCode="LATE" />'
    + process(
        "call-activity-escalation",
        START
        + call_activity("call", "call-activity-escalation-child")
        + '<bpmn:boundaryEvent id="late" name="late" cancelActivity="false" attachedToRef="call">'
        + '<bpmn:escalationEventDefinition id="late_def" escalationRef="Esc_Late" />'
        + "</bpmn:boundaryEvent>"
        + service("apologise", "apologise")
        + END
        + end("apologised")
        + chain("f", "start", "call", "end")
        + chain("g", "late", "apologise", "apologised"),
    )
    + process(
        "call-activity-escalation-child",
        start("child-start")
        + '<bpmn:intermediateThrowEvent id="running-late" name="running-late">'
        + '<bpmn:escalationEventDefinition id="rl_def" escalationRef="Esc_Late" />'
        + "</bpmn:intermediateThrowEvent>"
        + service("deliver", "deliver")
        + end("child-end")
        + chain("c", "child-start", "running-late", "deliver", "child-end"),
    ),
    "multi-instance-receive-task": message("Msg_Approval", "approval", "=reviewer")
    + process(
        "multi-instance-receive-task",
        START
        + '<bpmn:receiveTask id="await" name="await" messageRef="Msg_Approval">'
        + loop("=reviewers", element="reviewer", output=("approvals", "=ok"))
        + "</bpmn:receiveTask>"
        + END
        + chain("f", "start", "await", "end"),
    ),
}
