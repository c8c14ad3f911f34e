"""The corpus: Modeler-style models under ``models/``, each run to its end state.

Every run deploys one model, starts an instance, plays the steps a worker (or a test) would
take, and checks the path the tokens took (``visited_element_ids``), the final root-scope
variables, the instance's state and what is still active. The ``.bpmn`` files are generated from
``models/corpus.py`` by ``models/modeler.py``; a test checks they are up to date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from camunda_worker.engine import Engine, ManualClock

from .models.corpus import MODELS
from .models.modeler import modeler_xml

MODELS_DIR = Path(__file__).parent / "models"

Step = tuple[Any, ...]


@attrs.frozen
class Run:
    """One run of a model: the steps, and the end state they lead to."""

    model: str
    path: tuple[str, ...]
    variables: dict[str, Any]
    start: dict[str, Any] = attrs.field(factory=dict)
    steps: tuple[Step, ...] = ()
    state: str = "COMPLETED"
    active: tuple[str, ...] = ()
    incident: str | None = None
    process_id: str | None = None
    #: For a process started by its timer start event: how far to advance the clock first.
    started_by_timer_ms: int | None = None
    #: Steps before the instance is created (or, with ``create=False``, starts it).
    before: tuple[Step, ...] = ()
    create: bool = True

    @property
    def id(self) -> str:
        return self.model


def complete(job_type: str, variables: dict[str, Any] | None = None) -> Step:
    return ("complete", job_type, variables or {})


def fail(job_type: str, retries: int, variables: dict[str, Any] | None = None) -> Step:
    return ("fail", job_type, retries, variables or {})


def throw(job_type: str, code: str, variables: dict[str, Any] | None = None) -> Step:
    return ("error", job_type, code, variables or {})


def sees(job_type: str, variables: dict[str, Any]) -> Step:
    """The next activation of a job of this type hands over exactly these variables."""
    return ("sees", job_type, variables)


def no_job(job_type: str) -> Step:
    return ("no_job", job_type)


def advance(**duration: int) -> Step:
    """Move the engine's manual clock (``advance(minutes=5)``)."""
    units = {"milliseconds": 1, "seconds": 1000, "minutes": 60_000, "hours": 3_600_000}
    return ("advance", sum(units[unit] * value for unit, value in duration.items()))


def publish(
    name: str, key: str = "", variables: dict[str, Any] | None = None, ttl_ms: int = 0
) -> Step:
    """Publish a message."""
    return ("publish", name, key, variables or {}, ttl_ms)


def complete_user_task(element_id: str, variables: dict[str, Any] | None = None) -> Step:
    """Complete the open Camunda user task of this element."""
    return ("user_task", element_id, variables or {})


def broadcast(name: str, variables: dict[str, Any] | None = None) -> Step:
    """Broadcast a signal."""
    return ("broadcast", name, variables or {})


def create(process_id: str, variables: dict[str, Any] | None = None) -> Step:
    """Start another instance (of a process deployed with the model)."""
    return ("create", process_id, variables or {})


def instance_of(process_id: str, state: str) -> Step:
    """The (single) instance of this process is in this state."""
    return ("instance", process_id, state)


def jobs(job_type: str, count: int) -> Step:
    """Exactly ``count`` jobs of this type are activatable now."""
    return ("jobs", job_type, count)


RUNS = [
    Run(
        "one-task",
        ("start", "work", "end"),
        {"done": True},
        steps=(complete("work", {"done": True}),),
    ),
    Run(
        "two-tasks-headers",
        ("start", "charge", "ship", "end"),
        {"amount": 5, "charged": 5, "tracking": "T"},
        start={"amount": 5},
        steps=(complete("charge", {"charged": 5}), complete("ship", {"tracking": "T"})),
    ),
    Run("no-wait", ("start", "note", "sign", "reached", "end"), {"x": 1}, start={"x": 1}),
    Run(
        "exclusive-gateway",
        ("start", "decide", "big", "merge", "end"),
        {"amount": 500},
        start={"amount": 500},
        steps=(no_job("small"), complete("big")),
    ),
    Run(
        "exclusive-gateway",
        ("start", "decide", "small", "merge", "end"),
        {"amount": 5},
        start={"amount": 5},
        steps=(no_job("big"), complete("small")),
    ),
    Run(
        "parallel-gateway",
        ("start", "fork", "pack", "bill", "join", "join", "end"),
        {"packed": 1, "billed": 1},
        steps=(complete("bill", {"billed": 1}), complete("pack", {"packed": 1})),
    ),
    Run(
        "error-boundary",
        ("start", "pay", "no-funds", "notify", "notified"),
        {"why": "broke"},
        steps=(throw("pay", "NO_FUNDS", {"why": "broke"}), complete("notify")),
    ),
    Run(
        "io-input-mappings",
        ("start", "charge", "end"),
        {"order": {"total": 10, "customer": "Ann"}, "receipt": "R1"},
        start={"order": {"total": 10, "customer": "Ann"}},
        steps=(
            sees(
                "charge",
                {
                    "order": {"total": 10, "customer": "Ann"},
                    "amount": 10,
                    "currency": "EUR",
                    "fee": 11,
                    "payer": {"name": "Ann"},
                },
            ),
            complete("charge", {"receipt": "R1"}),
        ),
    ),
    Run(
        "io-output-mappings",
        ("start", "lookup", "end"),
        {"customer": {"name": "Ann", "orderRef": "A-1"}, "orderId": "A-1"},
        start={"customer": {"name": "Ann"}},
        steps=(complete("lookup", {"result": {"id": "A-1"}, "noise": True}),),
    ),
    Run(
        # A completion variable named like an input-mapped local updates the local only.
        "io-local-shadow",
        ("start", "count", "after", "end"),
        {"counter": 1, "other": 2},
        start={"counter": 1},
        steps=(
            sees("count", {"counter": 0}),
            complete("count", {"counter": 5, "other": 2}),
            sees("after", {"counter": 1, "other": 2}),
            complete("after"),
        ),
    ),
    Run(
        "io-fail-local",
        ("start", "flaky", "end"),
        {"result": "ok"},
        steps=(
            fail("flaky", 2, {"attempt": 1}),
            sees("flaky", {"attempt": 1}),
            complete("flaky", {"result": "ok"}),
        ),
    ),
    Run(
        "io-event-mappings",
        ("start", "mark", "show", "end"),
        {"stage": 2},
        steps=(sees("show", {"stage": 2}), complete("show")),
    ),
    Run(
        "error-boundary-output",
        ("start", "pay", "declined", "failed"),
        {"failureReason": "card expired"},
        steps=(throw("pay", "DECLINED", {"reason": "card expired", "extra": 1}),),
    ),
    Run(
        "sub-process",
        ("start", "greeting", "greeting-start", "greet", "greeting-end", "log", "end"),
        {"customer": {"name": "Ann"}, "greeting": "Hello Ann"},
        start={"customer": {"name": "Ann"}},
        steps=(
            sees("greet", {"customer": {"name": "Ann"}, "name": "Ann"}),
            complete("greet", {"greeting": "Hello Ann"}),
            sees("log", {"customer": {"name": "Ann"}, "greeting": "Hello Ann"}),
            complete("log"),
        ),
    ),
    Run(
        "sub-process-output",
        ("start", "compose", "compose-start", "write", "compose-end", "end"),
        {"message": "hi"},
        steps=(sees("write", {"text": ""}), complete("write", {"text": "hi"})),
    ),
    Run(
        "sub-process-parallel",
        (
            "start",
            "prepare",
            "prepare-start",
            "fork",
            "pack",
            "label",
            "join",
            "join",
            "prepare-end",
            "ship",
            "end",
        ),
        {"labelled": 1, "packed": 1},
        steps=(
            complete("label", {"labelled": 1}),
            no_job("ship"),
            complete("pack", {"packed": 1}),
            complete("ship"),
        ),
    ),
    Run(
        "sub-process-error-boundary",
        ("start", "attempt", "attempt-start", "risky", "failed", "recover", "recovered"),
        {"reason": "boom"},
        steps=(throw("risky", "FAIL", {"reason": "boom"}), no_job("safe"), complete("recover")),
    ),
    Run(
        "sub-process-error-end",
        ("start", "check", "check-start", "ok-gw", "bad", "on-bad", "handle", "handled"),
        {"ok": False},
        start={"ok": False},
        steps=(complete("handle"),),
    ),
    Run(
        "sub-process-error-end",
        ("start", "check", "check-start", "ok-gw", "check-end", "end"),
        {"ok": True},
        start={"ok": True},
    ),
    Run(
        # The task's own (catch-all) boundary event wins over the sub-process's.
        "sub-process-inner-boundary",
        ("start", "outer", "outer-start", "work", "inner-catch", "inner-caught", "after", "end"),
        {},
        steps=(throw("work", "X"), complete("after")),
    ),
    Run(
        "nested-sub-processes",
        (
            "start",
            "level1",
            "level1-start",
            "level2",
            "level2-start",
            "deep",
            "deep-error",
            "escaped",
        ),
        {},
        steps=(sees("deep", {"depth": 2}), throw("deep", "DEEP")),
    ),
    Run(
        "nested-sub-processes",
        (
            "start",
            "level1",
            "level1-start",
            "level2",
            "level2-start",
            "deep",
            "level2-end",
            "level1-end",
            "end",
        ),
        {"result": 7},
        steps=(complete("deep", {"result": 7}),),
    ),
    Run(
        "terminate-in-sub-process",
        ("start", "race", "race-start", "fork", "slow", "fast", "stop", "after", "end"),
        {},
        steps=(complete("fast"), no_job("slow"), complete("after")),
    ),
    Run(
        "terminate-process",
        ("start", "fork", "a", "b", "stop"),
        {},
        steps=(complete("a"), no_job("b")),
    ),
    Run(
        "timer-catch",
        ("start", "wait", "remind", "end"),
        {},
        steps=(
            advance(minutes=9, seconds=59),
            no_job("remind"),
            advance(seconds=1),
            complete("remind"),
        ),
    ),
    Run(
        # 2025-01-02T09:00+01:00 is 32 hours after the ManualClock's 2025-01-01T00:00Z.
        "timer-catch-date",
        ("start", "until"),
        {},
        state="ACTIVE",
        active=("until",),
        steps=(advance(hours=31, minutes=59),),
    ),
    Run(
        "timer-catch-date",
        ("start", "until", "end"),
        {},
        steps=(advance(hours=32),),
    ),
    Run(
        "timer-catch-expression",
        ("start", "wait", "after", "end"),
        {"delay": "PT2H"},
        start={"delay": "PT2H"},
        steps=(advance(hours=1), no_job("after"), advance(hours=1), complete("after")),
    ),
    Run(
        "timer-boundary",
        ("start", "call", "end"),
        {},
        steps=(advance(minutes=4), complete("call"), advance(minutes=10), no_job("escalate")),
    ),
    Run(
        "timer-boundary",
        ("start", "call", "timeout", "escalate", "escalated"),
        {},
        steps=(advance(minutes=5), no_job("call"), complete("escalate")),
    ),
    Run(
        "timer-boundary-cycle",
        (
            "start",
            "work",
            "nudge",
            "remind",
            "nudge",
            "remind",
            "nudge",
            "remind",
            "reminded",
            "end",
        ),
        {},
        steps=(
            advance(minutes=1),
            jobs("remind", 1),
            advance(minutes=10),
            jobs("remind", 3),
            complete("remind"),
            jobs("work", 1),
            complete("work"),
        ),
        state="ACTIVE",
        active=("remind", "remind"),
    ),
    Run(
        "timer-boundary-sub-process",
        ("start", "attempt", "attempt-start", "try", "deadline", "give-up", "gave-up"),
        {},
        steps=(
            advance(minutes=59),
            jobs("try", 1),
            advance(minutes=1),
            no_job("try"),
            complete("give-up"),
        ),
    ),
    Run(
        "timer-boundary-sub-process",
        ("start", "attempt", "attempt-start", "try", "pause", "retry", "attempt-end", "end"),
        {},
        steps=(
            complete("try"),
            advance(minutes=30),
            complete("retry"),
            advance(hours=2),
            no_job("give-up"),
        ),
    ),
    Run(
        "timer-start-cycle",
        ("hourly", "report", "end"),
        {},
        started_by_timer_ms=3_600_000,
        steps=(complete("report"),),
    ),
    Run(
        # A cron cycle: the ManualClock's 2025-01-01 is a Wednesday; nothing before 09:00 UTC.
        "timer-start-cron",
        ("office-hours", "report", "end"),
        {},
        before=(advance(hours=8, minutes=59, seconds=59),),
        started_by_timer_ms=1_000,
        steps=(complete("report"),),
    ),
    Run(
        # A cron cycle as a FEEL expression: every quarter hour while the work is open.
        "timer-boundary-cron",
        ("start", "work", "nudge", "remind", "nudge", "remind", "nudge", "remind", "end"),
        {},
        steps=(
            advance(minutes=14),
            jobs("remind", 0),
            advance(minutes=1),
            jobs("remind", 1),
            advance(minutes=30),
            jobs("remind", 3),
            complete("work"),
            advance(minutes=15),
            jobs("remind", 3),
        ),
        state="ACTIVE",
        active=("remind", "remind", "remind"),
    ),
    Run(
        # The error end event's code is an expression: the job's result picks the boundary.
        "error-end-expression",
        ("start", "check", "check-start", "inspect", "fail", "no-stock", "restocked"),
        {"failure": "OUT_OF_STOCK"},
        steps=(complete("inspect", {"failure": "OUT_OF_STOCK"}),),
    ),
    Run(
        "error-end-expression",
        ("start", "check", "check-start", "inspect", "fail", "other", "escalated"),
        {"failure": "FRAUD"},
        steps=(complete("inspect", {"failure": "FRAUD"}),),
    ),
    Run(
        # A code that is not a string: an incident on the end event.
        "error-end-expression",
        ("start", "check", "check-start", "inspect", "fail"),
        {"failure": 5},
        steps=(complete("inspect", {"failure": 5}),),
        state="ACTIVE",
        active=("check", "fail"),
        incident="EXTRACT_VALUE_ERROR",
    ),
    Run(
        "escalation-throw-expression",
        (
            "start",
            "handle",
            "handle-start",
            "raise",
            "urgent",
            "work",
            "notify",
            "notified",
            "handle-end",
            "end",
        ),
        {"level": "URGENT"},
        start={"level": "URGENT"},
        steps=(complete("notify"), complete("work")),
    ),
    Run(
        "escalation-throw-expression",
        ("start", "handle", "handle-start", "raise", "work", "handle-end", "end"),
        {},
        start={"level": "LOW"},
        steps=(no_job("notify"), complete("work")),
    ),
    Run(
        "message-catch",
        ("start", "paid", "ship", "end"),
        {"orderId": "o-1", "paid": 10},
        start={"orderId": "o-1"},
        steps=(
            publish("payment-received", "o-2", {"paid": 99}),
            no_job("ship"),
            publish("payment-received", "o-1", {"paid": 10}),
            complete("ship"),
        ),
    ),
    Run(
        # Published before the instance waits: buffered for its time to live.
        "message-catch",
        ("start", "paid", "ship", "end"),
        {"orderId": "o-1", "paid": 10},
        start={"orderId": "o-1"},
        before=(publish("payment-received", "o-1", {"paid": 10}, ttl_ms=60_000),),
        steps=(complete("ship"),),
    ),
    Run(
        # The buffered message expired before the instance subscribed.
        "message-catch",
        ("start", "paid"),
        {"orderId": "o-1"},
        start={"orderId": "o-1"},
        before=(publish("payment-received", "o-1", {"paid": 10}, ttl_ms=1_000), advance(seconds=1)),
        state="ACTIVE",
        active=("paid",),
    ),
    Run(
        "receive-task",
        ("start", "approve", "approved-gw", "grant", "end"),
        {"request": {"id": 7}, "decision": True},
        start={"request": {"id": 7}},
        steps=(publish("approval", "7", {"approved": True, "by": "Ann"}), complete("grant")),
    ),
    Run(
        "receive-task",
        ("start", "approve", "approved-gw", "denied"),
        {"request": {"id": 7}, "decision": False},
        start={"request": {"id": 7}},
        steps=(publish("approval", "7", {"approved": False}),),
    ),
    Run(
        "message-boundary",
        ("start", "deliver", "cancelled", "refund", "refunded"),
        {"orderId": "A", "reason": "late"},
        start={"orderId": "A"},
        steps=(
            publish("order-cancelled", "A", {"reason": "late"}),
            no_job("deliver"),
            complete("refund"),
        ),
    ),
    Run(
        "message-boundary",
        ("start", "deliver", "end"),
        {"orderId": "A"},
        start={"orderId": "A"},
        steps=(complete("deliver"), publish("order-cancelled", "A"), no_job("refund")),
    ),
    Run(
        "message-boundary-non-interrupting",
        ("start", "work", "updated", "note", "updated", "note", "noted", "end"),
        {"orderId": "A", "change": 2},
        start={"orderId": "A"},
        steps=(
            publish("order-updated", "A", {"change": 1}),
            publish("order-updated", "A", {"change": 2}),
            jobs("note", 2),
            jobs("work", 1),
            complete("note"),
            complete("work"),
            publish("order-updated", "A", {"change": 3}),
            jobs("note", 1),
        ),
        state="ACTIVE",
        active=("note",),
    ),
    Run(
        "message-start",
        ("placed", "process", "end"),
        {"item": "book"},
        start={"item": "book"},
        create=False,
        before=(publish("order-placed", "", {"item": "book"}),),
        steps=(complete("process"),),
    ),
    Run(
        "message-in-sub-process",
        ("start", "conversation", "conversation-start", "replied", "conversation-end", "end"),
        {"case": {"id": "T-9"}, "answer": "yes"},
        start={"case": {"id": "T-9"}},
        steps=(publish("reply", "T-9", {"text": "yes"}),),
    ),
    Run(
        "script-task",
        ("start", "total", "tax", "bill", "end"),
        {"price": 5, "quantity": 3, "sum": 15, "invoice": {"vat": 3.0}},
        start={"price": 5, "quantity": 3},
        steps=(
            sees("bill", {"price": 5, "quantity": 3, "sum": 15, "invoice": {"vat": 3.0}}),
            complete("bill"),
        ),
    ),
    Run(
        "job-type-expression",
        ("start", "dispatch", "end"),
        {"channel": "email", "attempts": 7},
        start={"channel": "email", "attempts": 7},
        steps=(jobs("email", 1), complete("email")),
    ),
    Run(
        "link-events",
        ("start", "first", "to-page-2", "page-2", "second", "end"),
        {},
        steps=(complete("first"), complete("second")),
    ),
    Run(
        "user-task",
        ("start", "approve", "ship", "end"),
        {"owner": "ann", "order": {"total": 3}, "orderApproved": True},
        start={"owner": "ann", "order": {"total": 3}},
        steps=(complete_user_task("approve", {"approved": True}), complete("ship")),
    ),
    Run(
        "user-task-job-based",
        ("start", "review", "end"),
        {"teams": ["a", "b"], "ok": 1},
        start={"teams": ["a", "b"]},
        steps=(complete("io.camunda.zeebe:userTask", {"ok": 1}),),
    ),
    Run(
        "user-task-timeout",
        ("start", "decide", "too-late", "auto-decide", "auto-decided"),
        {},
        steps=(advance(hours=24), complete("auto-decide")),
    ),
    Run(
        "event-based-gateway",
        ("start", "wait", "paid", "ship", "end"),
        {"orderId": "o", "paidAmount": 5},
        start={"orderId": "o"},
        steps=(
            advance(minutes=59),
            publish("payment", "o", {"amount": 5}),
            advance(hours=2),
            no_job("cancel"),
            complete("ship"),
        ),
    ),
    Run(
        "event-based-gateway",
        ("start", "wait", "expired", "cancel", "cancelled"),
        {"orderId": "o"},
        start={"orderId": "o"},
        steps=(
            advance(hours=1),
            publish("payment", "o", {"amount": 5}),
            no_job("ship"),
            complete("cancel"),
        ),
    ),
    Run(
        "feel-mappings",
        ("start", "price", "cool-down", "big-gw", "premium", "end"),
        {"noteLength": 5, "orderSize": "big"},
        start={
            "items": [{"name": "a", "price": 8}, {"name": "b", "price": 4.5}],
            "customer": "ann",
            "tags": ["vip"],
        },
        steps=(
            sees(
                "price",
                {
                    "items": [{"name": "a", "price": 8}, {"name": "b", "price": 4.5}],
                    "customer": "ann",
                    "tags": ["vip"],
                    "total": 12.5,
                    "shout": "ANN",
                    "size": "big",
                    "summary": {"first": "a", "count": 2},
                },
            ),
            complete("price", {"note": "hello"}),
            advance(hours=1, minutes=59),
            no_job("premium"),
            advance(minutes=1),
            complete("premium"),
        ),
    ),
    Run(
        "inclusive-gateway",
        ("start", "which", "email", "sms", "end", "end"),
        {"channels": ["sms", "email"]},
        start={"channels": ["sms", "email"]},
        steps=(
            jobs("email", 1),
            jobs("sms", 1),
            no_job("letter"),
            complete("email"),
            complete("sms"),
        ),
    ),
    Run(
        "inclusive-gateway",
        ("start", "which", "letter", "nothing"),
        {"channels": []},
        start={"channels": []},
        steps=(no_job("email"), complete("letter")),
    ),
    # Event sub-processes, joining inclusive gateways, message events as jobs.
    Run(
        "esp-error-interrupting",
        ("start", "charge", "on-declined", "declined-start", "notify", "notified"),
        {"reason": "card"},
        steps=(throw("charge", "DECLINED", {"reason": "card"}), complete("notify")),
    ),
    Run(
        # Non-interrupting: each message starts one more instance beside the task.
        "esp-message-non-interrupting",
        (
            "start",
            "work",
            "on-status",
            "status-start",
            "report",
            "on-status",
            "status-start",
            "report",
            "reported",
            "reported",
            "end",
        ),
        {"asked": 2},
        start={"orderId": "o1"},
        steps=(
            publish("status", "other"),
            no_job("report"),
            publish("status", "o1", {"asked": 1}),
            publish("status", "o1", {"asked": 2}),
            jobs("report", 2),
            jobs("work", 1),
            complete("report"),
            complete("report"),
            complete("work"),
        ),
    ),
    Run(
        # Interrupting, inside a sub-process: the sub-process completes after the event
        # sub-process does, and the process goes on.
        "esp-timer-in-sub-process",
        (
            "start",
            "handle",
            "handle-start",
            "slow",
            "on-timeout",
            "timeout-start",
            "escalate",
            "timeout-end",
            "after",
            "end",
        ),
        {},
        steps=(
            advance(minutes=9),
            jobs("slow", 1),
            advance(minutes=1),
            no_job("slow"),
            complete("escalate"),
            complete("after"),
        ),
    ),
    Run(
        "esp-timer-cycle-non-interrupting",
        (
            "start",
            "work",
            "reminders",
            "remind-start",
            "remind",
            "reminders",
            "remind-start",
            "remind",
            "reminded",
            "reminded",
            "end",
        ),
        {},
        steps=(
            advance(minutes=1),
            jobs("remind", 1),
            advance(minutes=1),
            jobs("remind", 2),
            advance(minutes=5),
            jobs("remind", 2),
            complete("remind"),
            complete("remind"),
            complete("work"),
        ),
    ),
    Run(
        "esp-timer-cycle-non-interrupting",
        ("start", "work", "end"),
        {},
        steps=(complete("work"), advance(minutes=5), no_job("remind")),
    ),
    Run(
        "esp-signal",
        ("start", "wait", "on-cancel", "cancel-start", "cancelled"),
        {"why": "x"},
        steps=(jobs("wait", 1), broadcast("cancel-all", {"why": "x"}), no_job("wait")),
    ),
    Run(
        # Thrown in a sub-process, caught by the process's non-interrupting event sub-process:
        # the process completes once both are done.
        "esp-escalation",
        (
            "start",
            "ship",
            "ship-start",
            "late",
            "on-late",
            "late-start",
            "deliver",
            "apologise",
            "ship-end",
            "end",
            "apologised",
        ),
        {},
        steps=(complete("deliver"), jobs("apologise", 1), complete("apologise")),
    ),
    Run(
        # The error end event's event sub-process in the same sub-process; its input mapping
        # stays local to it.
        "esp-error-end-in-sub-process",
        (
            "start",
            "check",
            "check-start",
            "verify",
            "invalid",
            "on-invalid",
            "fix-start",
            "repair",
            "fix-end",
            "finish",
            "end",
        ),
        {"fixed": True},
        start={"score": 1},
        steps=(
            complete("verify"),
            sees("repair", {"score": 1, "points": 10}),
            complete("repair", {"fixed": True}),
            sees("finish", {"score": 1, "fixed": True}),
            complete("finish"),
        ),
    ),
    Run(
        "inclusive-join",
        ("start", "pick", "pasta", "salad", "serve", "serve", "end"),
        {},
        start={"courses": ["pasta", "salad"]},
        steps=(
            no_job("steak"),
            complete("pasta"),
            jobs("salad", 1),
            instance_of("inclusive-join", "ACTIVE"),
            complete("salad"),
        ),
    ),
    Run(
        "inclusive-join",
        ("start", "pick", "steak", "serve", "end"),
        {},
        start={"courses": ["steak"]},
        steps=(complete("steak"),),
    ),
    Run(
        # The join does not wait for the parallel branch: no path leads from it to the join.
        "inclusive-join-beside",
        ("start", "fork", "pick", "side", "a", "merge", "merged", "side-end"),
        {},
        start={"x": True, "y": False},
        steps=(complete("a"), jobs("side", 1), complete("side")),
    ),
    Run(
        "message-throw-job",
        ("start", "notify", "done"),
        {"sent": True},
        steps=(complete("notify", {"sent": True}), jobs("send-done", 1), complete("send-done")),
    ),
    Run(
        "retry-loop",
        (
            "start",
            "count",
            "try",
            "done-gw",
            "count",
            "try",
            "done-gw",
            "count",
            "try",
            "done-gw",
            "end",
        ),
        {"attempt": 3, "success": False},
        steps=(
            complete("try", {"success": False}),
            complete("try", {"success": False}),
            sees("try", {"attempt": 3, "success": False}),
            complete("try"),
        ),
    ),
    Run(
        "nested-parallel",
        (
            "start",
            "outer-fork",
            "inner-fork",
            "c",
            "a",
            "b",
            "outer-join",
            "inner-join",
            "inner-join",
            "outer-join",
            "end",
        ),
        {},
        steps=(complete("c"), complete("a"), no_job("x"), complete("b")),
    ),
    Run(
        "sub-process-reminder",
        (
            "start",
            "handle",
            "handle-start",
            "work",
            "remind",
            "nudge",
            "remind",
            "nudge",
            "handle-end",
            "end",
        ),
        {},
        steps=(
            advance(hours=2),
            jobs("nudge", 2),
            complete("work"),
            advance(hours=5),
            jobs("nudge", 2),
        ),
        state="ACTIVE",
        active=("nudge", "nudge"),
    ),
    Run(
        "receive-task-timeout",
        ("start", "wait-answer", "no-answer", "remind", "reminded"),
        {"questionId": "q"},
        start={"questionId": "q"},
        steps=(advance(hours=47), publish("other", "q"), advance(hours=1), complete("remind")),
    ),
    Run(
        "receive-task-timeout",
        ("start", "wait-answer", "end"),
        {"questionId": "q", "answer": 42},
        start={"questionId": "q"},
        steps=(publish("answer", "q", {"answer": 42}), advance(hours=72), no_job("remind")),
    ),
    Run(
        "user-task-cancel-message",
        ("start", "review", "withdraw", "withdrawn-end"),
        {"requestId": "r"},
        start={"requestId": "r"},
        steps=(publish("withdrawn", "r"),),
    ),
    Run(
        "timer-start-date",
        ("new-year", "greet", "end"),
        {},
        create=False,
        before=(advance(hours=6),),
        steps=(complete("greet"),),
    ),
    Run(
        "terminate-nested",
        (
            "start",
            "outer",
            "outer-start",
            "fork",
            "inner",
            "outer-work",
            "inner-start",
            "inner-work",
            "inner-stop",
            "inner-done",
            "outer-done",
            "end",
        ),
        {},
        steps=(complete("inner-work"), jobs("outer-work", 1), complete("outer-work")),
    ),
    Run(
        "link-in-sub-process",
        ("start", "paged", "paged-start", "go", "arrive", "page", "paged-end", "end"),
        {},
        steps=(complete("page"),),
    ),
    Run(
        "message-start-then-catch",
        ("opened", "closed", "archive", "end"),
        {"caseId": "C1", "resolution": "fixed"},
        start={"caseId": "C1"},
        create=False,
        before=(
            publish("case-opened", "", {"caseId": "C1"}),
            publish("case-closed", "C1", {"resolution": "fixed"}),
        ),
        steps=(complete("archive"),),
    ),
    Run(
        "event-gateway-in-sub-process",
        (
            "start",
            "booking",
            "booking-start",
            "await",
            "lapsed",
            "lapse-error",
            "on-lapse",
            "release",
            "released",
        ),
        {"bookingId": "b"},
        start={"bookingId": "b"},
        steps=(advance(minutes=15), publish("confirm", "b"), complete("release")),
    ),
    Run(
        "throw-event-mappings",
        ("start", "step1", "step2", "end"),
        {"numbers": [1, 2, 3], "squares": [1, 4, 9], "total": 14},
    ),
    Run(
        "implicit-ends",
        ("start", "fork", "left", "right"),
        {},
        steps=(complete("right"), jobs("left", 1), complete("left")),
    ),
    Run(
        "order-fulfilment",
        (
            "start",
            "validate",
            "valid-gw",
            "payment",
            "payment-start",
            "charge",
            "confirmed",
            "payment-end",
            "split",
            "ship",
            "invoice",
            "join",
            "join",
            "end",
        ),
        {
            "orderId": "o-7",
            "order": {"items": [{"price": 3}, {"price": 4}]},
            "orderValid": True,
            "tracking": "T-1",
        },
        start={"orderId": "o-7", "order": {"items": [{"price": 3}, {"price": 4}]}},
        steps=(
            sees(
                "validate-order",
                {
                    "orderId": "o-7",
                    "order": {"items": [{"price": 3}, {"price": 4}]},
                    "items": [{"price": 3}, {"price": 4}],
                },
            ),
            complete("validate-order", {"valid": True}),
            sees(
                "charge-card",
                {
                    "orderId": "o-7",
                    "order": {"items": [{"price": 3}, {"price": 4}]},
                    "orderValid": True,
                    "amount": 7,
                },
            ),
            complete("charge-card"),
            publish("payment-confirmed", "o-7"),
            complete("ship-goods", {"tracking": "T-1"}),
            complete("send-invoice"),
        ),
    ),
    Run(
        "order-fulfilment",
        (
            "start",
            "validate",
            "valid-gw",
            "payment",
            "payment-start",
            "charge",
            "declined",
            "notify-declined",
            "declined-end",
        ),
        {"orderId": "o-8", "order": {"items": []}, "orderValid": True, "declineReason": "expired"},
        start={"orderId": "o-8", "order": {"items": []}},
        steps=(
            complete("validate-order", {"valid": True}),
            throw("charge-card", "CARD_DECLINED", {"reason": "expired", "code": 51}),
            complete("notify-customer"),
        ),
    ),
    Run(
        "order-fulfilment",
        ("start", "validate", "valid-gw", "rejected"),
        {"orderId": "o-9", "order": {"items": []}, "orderValid": False},
        start={"orderId": "o-9", "order": {"items": []}},
        steps=(complete("validate-order", {"valid": False}),),
    ),
    Run(
        "send-and-business-rule-tasks",
        ("start", "rate", "mail", "end"),
        {"risk": "low"},
        steps=(complete("rate-risk", {"risk": "low"}), complete("send-mail")),
    ),
    Run(
        "sub-process-catch-all",
        ("start", "risky-part", "risky-start", "step", "any-error", "fallback", "fell-back"),
        {"detail": "x"},
        steps=(throw("step", "ANYTHING", {"detail": "x"}), complete("fallback")),
    ),
    Run(
        "message-boundary-sub-process",
        (
            "start",
            "processing",
            "processing-start",
            "fork",
            "crunch",
            "check",
            "aborted",
            "aborted-end",
        ),
        {"jobId": "j"},
        start={"jobId": "j"},
        steps=(jobs("crunch", 1), publish("abort", "j"), no_job("crunch")),
    ),
    Run(
        "signal-catch",
        ("start", "alarmed", "evacuate", "end"),
        {"level": 3},
        steps=(
            broadcast("other"),
            no_job("evacuate"),
            broadcast("alarm", {"level": 3}),
            complete("evacuate"),
        ),
    ),
    Run(
        "signal-start",
        ("went", "run", "end"),
        {"speed": 1},
        start={"speed": 1},
        create=False,
        before=(broadcast("go", {"speed": 1}),),
        steps=(complete("run"),),
    ),
    Run(
        # The throw event and the end event both broadcast: the listener's boundary takes the first.
        "signal-throw",
        ("start", "batch", "announce", "end"),
        {},
        steps=(
            create("signal-listener"),
            jobs("prepare", 1),
            complete("batch"),
            no_job("prepare"),
            instance_of("signal-listener", "COMPLETED"),
        ),
    ),
    Run(
        "escalation-events",
        (
            "start",
            "delivery",
            "delivery-start",
            "running-late",
            "late",
            "deliver",
            "apologise",
            "ok-gw",
            "delivered",
            "end",
            "apologised",
        ),
        {"ok": True},
        steps=(jobs("apologise", 1), complete("deliver", {"ok": True}), complete("apologise")),
    ),
    Run(
        "escalation-events",
        (
            "start",
            "delivery",
            "delivery-start",
            "running-late",
            "late",
            "deliver",
            "apologise",
            "ok-gw",
            "abort",
            "aborted",
            "refund",
            "refunded",
        ),
        {"ok": False},
        steps=(complete("deliver", {"ok": False}), complete("refund")),
        state="ACTIVE",
        active=("apologise",),
    ),
    Run(
        "error-end-uncaught",
        ("start", "oops"),
        {},
        state="ACTIVE",
        active=("oops",),
        incident="UNHANDLED_ERROR_EVENT",
    ),
    # --- Call activities.
    Run(
        "call-activity",
        ("start", "call", "end"),
        {"result": 7},
        start={"order": 1},
        steps=(
            instance_of("call-activity-child", "ACTIVE"),
            sees("child-work", {"order": 1}),
            complete("child-work", {"result": 7}),
            instance_of("call-activity-child", "COMPLETED"),
        ),
    ),
    Run(
        # Only the input mappings reach the child, only the output mappings come back.
        "call-activity-mappings",
        ("start", "call", "end"),
        {"orderStatus": "shipped"},
        start={"order": {"id": "A1", "secret": "x"}, "status": "old"},
        steps=(
            sees("ship", {"orderId": "A1"}),
            complete("ship", {"status": "shipped", "noise": 1}),
        ),
    ),
    Run(
        # The timer interrupts the call activity: the child instance is terminated with it.
        "call-activity-timeout",
        ("start", "call", "too-slow", "escalate", "gave-up"),
        {},
        steps=(
            jobs("slow", 1),
            advance(hours=1),
            no_job("slow"),
            instance_of("call-activity-timeout-child", "TERMINATED"),
            complete("escalate"),
        ),
    ),
    Run(
        "call-activity-not-deployed",
        ("start", "call"),
        {},
        start={"target": "nowhere"},
        state="ACTIVE",
        active=("call",),
        incident="CALLED_ELEMENT_ERROR",
    ),
    Run(
        "call-activity-version-tag",
        ("start", "call", "end"),
        {"answer": "v2 answered why"},
        start={"question": "why"},
        steps=(instance_of("call-activity-version-tag-child", "COMPLETED"),),
    ),
    # --- Multi-instance activities: the body is entered once, then each inner instance.
    Run(
        "multi-instance-parallel",
        ("start", "check", "check", "check", "check", "report", "end"),
        {"results": ["a", "b", "c"]},
        start={"items": [1, 2, 3]},
        steps=(
            jobs("check", 3),
            sees(
                "check",
                {
                    "items": [1, 2, 3],
                    "results": [None, None, None],  # the body's, visible inside it
                    "item": 1,
                    "loopCounter": 1,
                    "result": None,
                },
            ),
            complete("check", {"result": "a"}),
            complete("check", {"result": "b"}),
            no_job("report"),
            complete("check", {"result": "c"}),
            complete("report"),
        ),
    ),
    Run(
        "multi-instance-sequential",
        ("start", "step", "step", "step", "end"),
        {},
        start={"steps": ["a", "b"]},
        steps=(
            jobs("step", 1),
            sees("step", {"steps": ["a", "b"], "name": "a", "loopCounter": 1, "label": "step a"}),
            complete("step"),
            jobs("step", 1),
            sees("step", {"steps": ["a", "b"], "name": "b", "loopCounter": 2, "label": "step b"}),
            complete("step"),
        ),
    ),
    Run(
        # Two offers complete the body: the third inner instance is terminated.
        "multi-instance-completion-condition",
        ("start", "bid", "bid", "bid", "bid", "end"),
        {"offers": [10, 12, None]},
        start={"bidders": ["x", "y", "z"]},
        steps=(
            complete("bid", {"offer": 10}),
            jobs("bid", 2),
            complete("bid", {"offer": 12}),
            no_job("bid"),
        ),
    ),
    Run(
        "multi-instance-empty",
        ("start", "check", "end"),
        {"results": []},
        start={"items": []},
    ),
    Run(
        "multi-instance-script",
        ("start", "double", "double", "double", "double", "end"),
        {"doubles": [3, 6, 9]},
        start={"numbers": [1, 2, 3]},
    ),
    Run(
        "multi-instance-sub-process",
        (
            "start",
            "per-order",
            "per-order",
            "per-order-start",
            "pack",
            "per-order-end",
            "per-order",
            "per-order-start",
            "pack",
            "per-order-end",
            "end",
        ),
        {"shipped": ["o1", "o2"]},
        start={"orders": [{"id": "o1"}, {"id": "o2"}]},
        steps=(
            sees(
                "pack",
                {
                    "orders": [{"id": "o1"}, {"id": "o2"}],
                    "shipped": [None, None],
                    "order": {"id": "o1"},
                    "loopCounter": 1,
                    "orderId": "o1",
                },
            ),
            complete("pack"),
            complete("pack"),
        ),
    ),
    Run(
        "multi-instance-call-activity",
        ("start", "call", "call", "call", "end"),
        {"quotes": [5, 7]},
        start={"suppliers": ["s1", "s2"]},
        steps=(
            sees(
                "ask",
                {
                    "suppliers": ["s1", "s2"],
                    "quotes": [None, None],
                    "supplier": "s1",
                    "loopCounter": 1,
                    "quote": None,
                },
            ),
            complete("ask", {"price": 5}),
            complete("ask", {"price": 7}),
        ),
    ),
    Run(
        # The boundary event is the body's: it terminates every inner instance.
        "multi-instance-boundary",
        ("start", "review", "review", "review", "deadline", "remind", "expired"),
        {},
        start={"reviewers": ["a", "b"]},
        steps=(jobs("review", 2), advance(hours=1), no_job("review"), complete("remind")),
    ),
    Run(
        "multi-instance-not-a-list",
        ("start", "check"),
        {},
        start={"items": "abc"},
        state="ACTIVE",
        active=("check",),
        incident="EXTRACT_VALUE_ERROR",
    ),
    Run(
        "multi-instance-user-task",
        ("start", "approve", "approve", "approve", "end"),
        {"votes": ["yes", "no"]},
        start={"approvers": ["ann", "bob"]},
        steps=(
            complete_user_task("approve", {"vote": "yes"}),
            complete_user_task("approve", {"vote": "no"}),
        ),
    ),
    Run(
        # The child does not catch the error: the call activity's boundary event does.
        "call-activity-error",
        ("start", "call", "rejected", "apologise", "apologised"),
        {"reason": "late"},
        steps=(
            throw("vet", "REJECTED", {"reason": "late"}),
            instance_of("call-activity-error-child", "TERMINATED"),
            complete("apologise"),
        ),
    ),
    Run(
        # Each inner receive task subscribes with its own item as the correlation key.
        "multi-instance-receive-task",
        ("start", "await", "await", "await", "end"),
        {"approvals": [True, False]},
        start={"reviewers": ["ann", "bob"]},
        steps=(
            publish("approval", "bob", {"ok": False}),
            publish("approval", "carl", {"ok": True}),
            publish("approval", "ann", {"ok": True}),
        ),
    ),
    Run(
        # The child's escalation reaches the call activity's non-interrupting boundary event.
        "call-activity-escalation",
        ("start", "call", "late", "apologise", "end", "apologised"),
        {},
        steps=(
            jobs("apologise", 1),
            complete("deliver"),
            instance_of("call-activity-escalation-child", "COMPLETED"),
            complete("apologise"),
        ),
    ),
]


def _activate(engine: Engine, job_type: str) -> dict[str, Any]:
    jobs = engine.activate_ready_jobs(
        job_type=job_type, max_jobs_to_activate=1, timeout_ms=60_000, worker="corpus"
    )
    assert jobs, f"no activatable job of type {job_type!r}"
    return jobs[0]


def _play(engine: Engine, clock: ManualClock, step: Step) -> None:
    kind, job_type = step[0], step[1]
    if kind == "advance":
        clock.advance(step[1])
    elif kind == "publish":
        engine.publish_message(
            name=step[1], correlation_key=step[2], variables=step[3], time_to_live_ms=step[4]
        )
    elif kind == "no_job":
        assert engine.jobs(job_type=job_type, lifecycle="ACTIVATABLE") == []
    elif kind == "user_task":
        [task] = [
            task for task in engine.user_tasks(state="CREATED") if task.element_id == job_type
        ]
        engine.complete_user_task(task.key, step[2])
    elif kind == "broadcast":
        engine.broadcast_signal(signal_name=step[1], variables=step[2])
    elif kind == "create":
        engine.create_process_instance(process_definition_id=step[1], variables=step[2])
    elif kind == "instance":
        assert [view.state for view in engine.process_instances(process_definition_id=step[1])] == [
            step[2]
        ]
    elif kind == "jobs":
        assert len(engine.jobs(job_type=job_type, lifecycle="ACTIVATABLE")) == step[2]
    elif kind == "sees":
        job = _activate(engine, job_type)
        assert job["variables"] == step[2]
        engine.fail_job(str(job["jobKey"]), retries=job["retries"])  # hand it back untouched
    elif kind == "complete":
        engine.complete_job(str(_activate(engine, job_type)["jobKey"]), step[2])
    elif kind == "fail":
        job_key = str(_activate(engine, job_type)["jobKey"])
        engine.fail_job(job_key, retries=step[2], variables=step[3])
    elif kind == "error":
        job_key = str(_activate(engine, job_type)["jobKey"])
        engine.throw_job_error(job_key, error_code=step[2], variables=step[3])
    else:  # pragma: no cover - a typo in a run
        raise AssertionError(kind)


@pytest.mark.parametrize("run", RUNS, ids=[run.id for run in RUNS])
def test_the_model_runs_to_its_end_state(run: Run) -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    xml = (MODELS_DIR / f"{run.model}.bpmn").read_bytes()
    engine.deploy([(f"{run.model}.bpmn", xml)])
    for step in run.before:
        _play(engine, clock, step)
    if not run.create:
        key = engine.process_instances()[0].key
    elif run.started_by_timer_ms is None:
        created = engine.create_process_instance(
            process_definition_id=run.process_id or run.model, variables=run.start
        )
        key = str(created["processInstanceKey"])
    else:
        assert engine.process_instances() == []
        clock.advance(run.started_by_timer_ms)
        key = engine.process_instances()[0].key
    for step in run.steps:
        _play(engine, clock, step)
    view = engine.process_instance(key)
    assert view.visited_element_ids == run.path
    assert dict(view.variables) == {**run.start, **run.variables}
    assert view.state == run.state
    assert view.active_element_ids == tuple(sorted(run.active))
    assert [incident.error_type for incident in view.incidents] == (
        [run.incident] if run.incident else []
    )
    if run.state != "ACTIVE":
        live = [job for job in engine.jobs(process_instance_key=key) if job.end_ms is None]
        assert live == [], "an ended instance leaves no job behind"


def test_every_model_has_a_run() -> None:
    assert {run.model for run in RUNS} == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_model_files_are_what_the_corpus_generates(name: str) -> None:
    path = MODELS_DIR / f"{name}.bpmn"
    assert path.read_text(encoding="utf-8") == modeler_xml(name, MODELS[name]), (
        "regenerate with: python -m tests.engine.models.modeler"
    )
