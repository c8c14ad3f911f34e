"""Cron time cycles: Spring's six-field expressions as Zeebe reads them (``_model/cron.py``).

Property-based: the next firing is after "now", on a whole second, matches every field, is the
first one (none in between) and moves forward with "now". Examples from Spring's
``CronExpression`` documentation (which Zeebe forks) pin the Quartz-style day fields, and the
engine runs cron timer start events and boundary events on its ManualClock.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camunda_worker.engine import Engine, ManualClock
from camunda_worker.engine._model.cron import CronError, parse_cron
from camunda_worker.engine._model.timers import parse_cycle
from camunda_worker.engine._runtime.errors import EngineError

from .models.corpus import (
    END,
    START,
    chain,
    end,
    event_start,
    event_sub_process,
    process,
    service,
    timer_boundary,
    timer_start,
)
from .models.modeler import modeler_xml

# 2025-01-01T00:00:00Z, a Wednesday (the ManualClock's start).
WEDNESDAY = 1_735_689_600_000
DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def _utc(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)


@st.composite
def numeric_field(draw: st.DrawFn, low: int, high: int) -> tuple[str, set[int]]:
    """A field's text and the values it stands for, built independently of the parser."""
    kind = draw(st.sampled_from(["any", "one", "range", "step", "list"]))
    if kind == "any":
        return "*", set(range(low, high + 1))
    if kind == "one":
        value = draw(st.integers(low, high))
        return str(value), {value}
    if kind == "range":
        first = draw(st.integers(low, high))
        last = draw(st.integers(first, high))
        return f"{first}-{last}", set(range(first, last + 1))
    if kind == "step":
        first = draw(st.integers(low, high))
        step = draw(st.integers(1, high - low + 1))
        text = f"*/{step}" if first == low and draw(st.booleans()) else f"{first}/{step}"
        return text, set(range(first, high + 1, step))
    values = draw(st.sets(st.integers(low, high), min_size=1, max_size=4))
    return ",".join(str(value) for value in sorted(values)), values


@st.composite
def month_field(draw: st.DrawFn) -> tuple[str, set[int]]:
    if draw(st.booleans()):
        return draw(numeric_field(1, 12))
    first = draw(st.integers(1, 12))
    last = draw(st.integers(first, 12))
    return f"{MONTHS[first - 1]}-{MONTHS[last - 1].lower()}", set(range(first, last + 1))


@st.composite
def week_field(draw: st.DrawFn) -> tuple[str, set[int]]:
    """A day-of-week field and its ISO weekdays (Monday 1 ... Sunday 7; cron's 0 is Sunday)."""
    kind = draw(st.sampled_from(["any", "?", "names", "numbers"]))
    if kind in ("any", "?"):
        return ("*" if kind == "any" else "?"), set(range(1, 8))
    if kind == "names":
        first = draw(st.integers(1, 7))
        last = draw(st.integers(first, 7))
        return f"{DAYS[first - 1]}-{DAYS[last - 1]}", set(range(first, last + 1))
    values = draw(st.sets(st.integers(0, 7), min_size=1, max_size=3))
    return ",".join(map(str, sorted(values))), {7 if value == 0 else value for value in values}


@st.composite
def cron(draw: st.DrawFn) -> tuple[str, dict[str, set[int]]]:
    seconds = draw(numeric_field(0, 59))
    minutes = draw(numeric_field(0, 59))
    hours = draw(numeric_field(0, 23))
    days = draw(st.one_of(st.just(("?", set(range(1, 32)))), numeric_field(1, 28)))
    months = draw(month_field())
    weekdays = draw(week_field())
    text = " ".join(part[0] for part in (seconds, minutes, hours, days, months, weekdays))
    return text, {
        "second": seconds[1],
        "minute": minutes[1],
        "hour": hours[1],
        "day": days[1],
        "month": months[1],
        "weekday": weekdays[1],
    }


moments = st.integers(WEDNESDAY - 400 * 86_400_000, WEDNESDAY + 400 * 86_400_000)


@given(cron(), moments)
def test_the_next_firing_is_after_now_and_matches_every_field(
    expression: tuple[str, dict[str, set[int]]], now_ms: int
) -> None:
    text, fields = expression
    schedule = parse_cron(text)
    found = schedule.next_after(now_ms)
    assert found is not None  # days 1-28 exist in every month, every weekday in every month
    assert found > now_ms
    assert found % 1000 == 0
    moment = _utc(found)
    assert moment.second in fields["second"]
    assert moment.minute in fields["minute"]
    assert moment.hour in fields["hour"]
    assert moment.day in fields["day"]
    assert moment.month in fields["month"]
    assert moment.isoweekday() in fields["weekday"]
    assert schedule.matches(found)


@given(cron(), moments, st.integers(0, 10**6))
def test_the_next_firing_is_the_first_and_moves_forward_with_now(
    expression: tuple[str, dict[str, set[int]]], now_ms: int, fraction: int
) -> None:
    schedule = parse_cron(expression[0])
    found = schedule.next_after(now_ms)
    assert found is not None
    # Any moment between now and that firing has the same next firing: none in between.
    between = now_ms + fraction % (found - now_ms)
    assert schedule.next_after(between) == found
    # From the firing itself, the next one is strictly later (the cycle moves on).
    following = schedule.next_after(found)
    assert following is not None
    assert following > found


@given(cron(), moments, moments)
def test_the_next_firing_is_monotonic_in_now(
    expression: tuple[str, dict[str, set[int]]], first: int, second: int
) -> None:
    schedule = parse_cron(expression[0])
    earlier, later = sorted((first, second))
    assert (schedule.next_after(earlier) or 0) <= (schedule.next_after(later) or 0)


@given(cron(), moments)
def test_a_cron_cycle_repeats_for_ever(
    expression: tuple[str, dict[str, set[int]]], now_ms: int
) -> None:
    cycle = parse_cycle(expression[0])
    assert cycle.repetitions is None
    assert cycle.first_after(now_ms) > now_ms


@pytest.mark.parametrize(
    ("text", "firings"),
    [
        # The examples of Spring's CronExpression, from Wednesday 2025-01-01T00:00:00Z.
        ("0 0 * * * *", ["2025-01-01T01:00", "2025-01-01T02:00"]),
        ("*/10 * * * * *", ["2025-01-01T00:00:10", "2025-01-01T00:00:20"]),
        (
            "0 0 8-10 * * *",
            ["2025-01-01T08:00", "2025-01-01T09:00", "2025-01-01T10:00", "2025-01-02T08:00"],
        ),
        ("0 0 6,19 * * *", ["2025-01-01T06:00", "2025-01-01T19:00", "2025-01-02T06:00"]),
        ("0 0/30 8-10 * * *", ["2025-01-01T08:00", "2025-01-01T08:30", "2025-01-01T09:00"]),
        ("0 0 9-17 * * MON-FRI", ["2025-01-01T09:00", "2025-01-01T10:00"]),
        ("0 0 0 25 12 ?", ["2025-12-25T00:00", "2026-12-25T00:00"]),
        ("0 0 0 L * *", ["2025-01-31T00:00", "2025-02-28T00:00", "2025-03-31T00:00"]),
        ("0 0 0 L-3 * *", ["2025-01-28T00:00", "2025-02-25T00:00"]),
        # 2025-02-01 is a Saturday: the first weekday is Monday the 3rd.
        ("0 0 0 1W * *", ["2025-02-03T00:00", "2025-03-03T00:00", "2025-04-01T00:00"]),
        # 2025-05-31 is a Saturday, 2025-08-31 a Sunday: the Friday before.
        ("0 0 0 LW 5,8 *", ["2025-05-30T00:00", "2025-08-29T00:00"]),
        # 2025-06-15 is a Sunday: the Monday after.
        ("0 0 0 15W 6 *", ["2025-06-16T00:00", "2026-06-15T00:00"]),
        ("0 0 0 * * 5L", ["2025-01-31T00:00", "2025-02-28T00:00", "2025-03-28T00:00"]),
        ("0 0 0 * * THUL", ["2025-01-30T00:00", "2025-02-27T00:00"]),
        ("0 0 0 ? * 5#2", ["2025-01-10T00:00", "2025-02-14T00:00"]),
        ("0 0 0 ? * MON#1", ["2025-01-06T00:00", "2025-02-03T00:00"]),
        # Both day fields must match (Spring's rule): Friday the 13th.
        ("0 0 0 13 * FRI", ["2025-06-13T00:00", "2026-02-13T00:00"]),
        ("@yearly", ["2026-01-01T00:00", "2027-01-01T00:00"]),
        ("@annually", ["2026-01-01T00:00"]),
        ("@monthly", ["2025-02-01T00:00", "2025-03-01T00:00"]),
        ("@weekly", ["2025-01-05T00:00", "2025-01-12T00:00"]),
        ("@daily", ["2025-01-02T00:00"]),
        ("@MIDNIGHT", ["2025-01-02T00:00"]),
        ("@hourly", ["2025-01-01T01:00"]),
    ],
)
def test_the_documented_examples(text: str, firings: list[str]) -> None:
    schedule = parse_cron(text)
    now = WEDNESDAY
    for expected in firings:
        found = schedule.next_after(now)
        assert found is not None
        assert _utc(found).isoformat().removesuffix("+00:00").removesuffix(":00") == expected
        now = found


def test_an_expression_that_never_matches_has_no_next_firing() -> None:
    assert parse_cron("0 0 0 30 2 *").next_after(WEDNESDAY) is None
    # ...but a 29th of February on a Monday does come, 19 years on.
    found = parse_cron("0 0 0 29 2 MON").next_after(WEDNESDAY)
    assert found is not None
    assert _utc(found).date() == date(2044, 2, 29)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must not be empty"),
        ("0 0 * * *", 'must consist of 6 fields \\(found 5 in "0 0 \\* \\* \\*"\\)'),
        ("0  0 * * * *", "must consist of 6 fields"),
        ("0 0 * * * * 2025", "must consist of 6 fields"),
        ("60 * * * * *", "out of range"),
        ("* * 24 * * *", "out of range"),
        ("* * * 0 * *", "out of range"),
        ("* * * * 13 *", "out of range"),
        ("* * * * * 8", "out of range"),
        ("*/0 * * * * *", "Incrementer delta"),
        ("5-1 * * * * *", "Invalid range"),
        ("a * * * * *", "Invalid value 'a'"),
        ("? * * * * *", "Invalid value '\\?'"),
        ("0 0 0 L-0 * *", "should be < 0"),
        ("0 0 0 3L * *", "before 'L'"),
        ("0 0 0 W * *", "No day-of-month before 'W'"),
        ("0 0 0 * * L", "No day-of-week before 'L'"),
        ("0 0 0 * * #2", "No day-of-week before '#'"),
        ("0 0 0 * * MON#", "No ordinal after '#'"),
        ("0 0 0 * * MON#0", "must be positive"),
        ("@every", "must consist of 6 fields"),
    ],
)
def test_what_spring_refuses_is_refused(text: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        parse_cron(text)


def test_a_cron_expression_is_only_read_in_a_time_cycle() -> None:
    engine = Engine(clock=ManualClock())
    body = process(
        "cron-catch",
        START
        + service("work", "work")
        + timer_boundary("late", "work", "timeDuration", "0 0 9 * * *")
        + END
        + chain("f", "start", "work", "end"),
    )
    with pytest.raises(EngineError, match="Invalid duration format '0 0 9 \\* \\* \\*'"):
        engine.deploy([("cron-catch.bpmn", modeler_xml("cron-catch", body).encode())])


def test_an_invalid_cron_start_event_is_refused_at_deployment() -> None:
    engine = Engine(clock=ManualClock())
    body = process(
        "cron-start",
        timer_start("tick", "timeCycle", "0 0 9 * * FUN") + END + chain("f", "tick", "end"),
    )
    with pytest.raises(EngineError) as raised:
        engine.deploy([("cron-start.bpmn", modeler_xml("cron-start", body).encode())])
    assert raised.value.status == 400
    assert "tick (bpmn:startEvent)" in raised.value.detail
    assert "Invalid time cycle format '0 0 9 * * FUN'" in raised.value.detail


def test_a_cron_start_event_starts_an_instance_at_each_firing() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    body = process(
        "every-minute",
        timer_start("tick", "timeCycle", '="0 * * * * *"') + END + chain("f", "tick", "end"),
    )
    engine.deploy([("every-minute.bpmn", modeler_xml("every-minute", body).encode())])
    clock.advance(59_999)
    assert engine.process_instances(process_definition_id="every-minute") == []
    clock.advance(1)
    assert len(engine.process_instances(process_definition_id="every-minute")) == 1
    clock.advance(5 * 60_000)
    instances = engine.process_instances(process_definition_id="every-minute")
    assert [view.state for view in instances] == ["COMPLETED"] * 6


def test_a_cron_that_never_matches_fires_once_at_once() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    body = process(
        "never", timer_start("tick", "timeCycle", "0 0 0 30 2 *") + END + chain("f", "tick", "end")
    )
    engine.deploy([("never.bpmn", modeler_xml("never", body).encode())])
    clock.advance(1)
    clock.advance(366 * 86_400_000)
    assert len(engine.process_instances(process_definition_id="never")) == 1


def test_a_feel_cron_that_is_no_cron_is_an_incident() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    body = process(
        "bad-cron",
        START
        + service("work", "work")
        + timer_boundary("nudge", "work", "timeCycle", "=schedule", interrupting=False)
        + END
        + chain("f", "start", "work", "end"),
    )
    engine.deploy([("bad-cron.bpmn", modeler_xml("bad-cron", body).encode())])
    created = engine.create_process_instance(
        process_definition_id="bad-cron", variables={"schedule": "0 0 25 * * *"}
    )
    view = engine.process_instance(str(created["processInstanceKey"]))
    assert [incident.error_type for incident in view.incidents] == ["EXTRACT_VALUE_ERROR"]
    assert "out of range" in view.incidents[0].error_message


def test_a_cron_starts_a_non_interrupting_event_sub_process_at_each_firing() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    body = process(
        "esp-cron",
        START
        + service("work", "work")
        + END
        + chain("f", "start", "work", "end")
        + event_sub_process(
            "hourly",
            event_start("tick", "timer", interrupting=False).replace(
                'id="tick_def"  />',
                'id="tick_def"><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">'
                "0 0 * * * *</bpmn:timeCycle></bpmn:timerEventDefinition>",
            ),
            service("report", "report")
            + end("reported")
            + chain("e", "tick", "report", "reported"),
        ),
    )
    engine.deploy([("esp-cron.bpmn", modeler_xml("esp-cron", body).encode())])
    created = engine.create_process_instance(process_definition_id="esp-cron")
    clock.advance(30 * 60_000)
    assert engine.jobs(job_type="report") == []
    clock.advance(30 * 60_000)  # 01:00
    assert len(engine.jobs(job_type="report")) == 1
    clock.advance(2 * 3_600_000)  # 02:00, 03:00
    assert len(engine.jobs(job_type="report")) == 3
    view = engine.process_instance(str(created["processInstanceKey"]))
    assert view.state == "ACTIVE"
