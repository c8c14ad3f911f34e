"""Timer events: ISO 8601 values, deployment checks, incidents, start events, real time.

The corpus (``test_models.py``) runs the timer models to their end states; these tests cover
the parsing (property-based), the refusals and the edges.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camunda_worker.engine import Engine, ManualClock
from camunda_worker.engine._model.timers import (
    TimerValueError,
    parse_cycle,
    parse_date,
    parse_duration,
)
from camunda_worker.engine._runtime.clock import DEFAULT_MANUAL_EPOCH_MS
from camunda_worker.engine._runtime.errors import EngineError

from .models.corpus import END, START, chain, process, service, timer_catch, timer_start
from .models.modeler import modeler_xml

HOUR = 3_600_000


@given(
    days=st.integers(0, 400),
    hours=st.integers(0, 48),
    minutes=st.integers(0, 120),
    seconds=st.integers(0, 120),
)
def test_a_duration_is_its_parts_in_milliseconds(
    days: int, hours: int, minutes: int, seconds: int
) -> None:
    text = f"P{days}DT{hours}H{minutes}M{seconds}S"
    expected = ((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000
    assert parse_duration(text).after(0) == expected


@given(months=st.integers(0, 40), start=st.datetimes(datetime(2000, 1, 1), datetime(2090, 1, 1)))
def test_months_are_calendar_months_clamped_to_the_month_end(months: int, start: datetime) -> None:
    moment = start.replace(tzinfo=timezone.utc, microsecond=0)
    due = datetime.fromtimestamp(
        parse_duration(f"P{months}M").after(int(moment.timestamp() * 1000)) / 1000, tz=timezone.utc
    )
    assert (due.year * 12 + due.month) - (moment.year * 12 + moment.month) == months
    assert due.day == moment.day or (due.day < moment.day and (due + timedelta(days=1)).day == 1)


@given(
    st.datetimes(datetime(1971, 1, 1), datetime(2200, 1, 1)).map(lambda d: d.replace(microsecond=0))
)
def test_a_date_round_trips_through_iso_8601(moment: datetime) -> None:
    aware = moment.replace(tzinfo=timezone.utc)
    assert parse_date(aware.isoformat()) == int(aware.timestamp() * 1000)
    assert parse_date(aware.strftime("%Y-%m-%dT%H:%M:%SZ")) == int(aware.timestamp() * 1000)


def test_dates_with_offsets_and_zones() -> None:
    utc = parse_date("2030-06-01T10:00:00Z")
    assert parse_date("2030-06-01T12:00:00+02:00") == utc
    assert parse_date("2030-06-01T12:00:00[Europe/Berlin]") == utc  # summer time: +02:00
    assert parse_date("2030-06-01") == parse_date("2030-06-01T00:00:00Z")


@given(repetitions=st.one_of(st.none(), st.integers(1, 50)), minutes=st.integers(1, 600))
def test_a_cycle_has_its_repetitions_and_interval(repetitions: int | None, minutes: int) -> None:
    cycle = parse_cycle(f"R{'' if repetitions is None else repetitions}/PT{minutes}M")
    assert (cycle.repetitions, cycle.interval.after(0), cycle.start_ms) == (
        repetitions,
        minutes * 60_000,
        None,
    )


def test_a_cycle_with_a_start_date() -> None:
    cycle = parse_cycle("R2/2030-01-01T09:00:00Z/P1D")
    assert cycle.start_ms == parse_date("2030-01-01T09:00:00Z")
    assert cycle.interval.after(0) == 24 * HOUR


@pytest.mark.parametrize("text", ["", "P", "PT", "10M", "PT10X", "P1.5D", "PT-1M", "abc", "P1DT"])
def test_invalid_durations_are_refused(text: str) -> None:
    with pytest.raises(TimerValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("R3", "Invalid time cycle format"),
        ("Rx/PT1M", "Invalid time cycle format"),
        ("R3/PT0S", "must be positive"),
        ("0 0 9 * * FUN", "Invalid time cycle format '0 0 9 \\* \\* FUN'"),
        ("0 0 9 * *", "must consist of 6 fields"),
    ],
)
def test_invalid_cycles_are_refused(text: str, message: str) -> None:
    with pytest.raises(TimerValueError, match=message):
        parse_cycle(text)


def _deploy(engine: Engine, name: str, body: str) -> None:
    engine.deploy([(f"{name}.bpmn", modeler_xml(name, body).encode())])


@pytest.mark.parametrize(
    ("element", "message"),
    [
        (timer_catch("wait", "timeDuration", "PT10X"), "Invalid duration format 'PT10X'"),
        (timer_catch("wait", "timeCycle", "R2/PT1M"), "must have a timeDuration or a timeDate"),
        (timer_catch("wait", "timeDate", "tomorrow"), "Invalid date-time format 'tomorrow'"),
        (timer_catch("wait", "timeDuration", "=a +"), "cannot be parsed|ends too early"),
    ],
)
def test_invalid_timer_events_are_refused_at_deployment(element: str, message: str) -> None:
    engine = Engine(clock=ManualClock())
    with pytest.raises(EngineError) as raised:
        _deploy(
            engine,
            "bad",
            process("bad", START + element + END + chain("f", "start", "wait", "end")),
        )
    assert raised.value.status == 400
    assert "wait (bpmn:intermediateCatchEvent)" in raised.value.detail
    assert any(part in raised.value.detail for part in message.split("|")), raised.value.detail


def test_a_timer_expression_that_is_no_duration_is_an_incident() -> None:
    engine = Engine(clock=ManualClock())
    body = START + timer_catch("wait", "timeDuration", "=delay") + END
    _deploy(engine, "p", process("p", body + chain("f", "start", "wait", "end")))
    key = engine.create_process_instance(process_definition_id="p", variables={"delay": 5})[
        "processInstanceKey"
    ]
    [incident] = engine.incidents()
    assert (incident.error_type, incident.element_id) == ("EXTRACT_VALUE_ERROR", "wait")
    assert "to be a duration string, but was 'NUMBER'" in incident.error_message
    engine.set_variables(str(key), {"delay": "PT1M"})
    engine.resolve_incident(incident.key)
    engine.clock.advance(60_000)  # type: ignore[attr-defined]
    assert engine.process_instance(str(key)).state == "COMPLETED"


def test_a_timer_start_cycle_fires_its_repetitions_and_a_new_version_replaces_it() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    body = timer_start("tick", "timeCycle", "R3/PT1H") + END + chain("f", "tick", "end")
    _deploy(engine, "ticker", process("ticker", body))
    clock.advance(2 * HOUR)
    assert [view.version for view in engine.process_instances()] == [1, 1]
    _deploy(
        engine, "ticker", process("ticker", body + "<bpmn:documentation>v2</bpmn:documentation>")
    )
    clock.advance(10 * HOUR)
    versions = [view.version for view in engine.process_instances()]
    assert versions == [1, 1, 2, 2, 2]  # v1's last repetition never fires; v2 fires 3 times


def test_an_unchanged_redeployment_keeps_the_start_timer() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    body = timer_start("at", "timeDate", "2025-01-01T05:00:00Z") + END + chain("f", "at", "end")
    for _ in range(2):
        _deploy(engine, "once", process("once", body))
    clock.advance(6 * HOUR)
    assert len(engine.process_instances()) == 1


def test_a_process_with_only_a_timer_start_cannot_be_created_by_command() -> None:
    engine = Engine(clock=ManualClock())
    body = timer_start("at", "timeDate", "2030-01-01T00:00:00Z") + END + chain("f", "at", "end")
    _deploy(engine, "timed", process("timed", body))
    with pytest.raises(EngineError) as raised:
        engine.create_process_instance(process_definition_id="timed")
    assert raised.value.status == 400
    assert "none start event" in raised.value.detail


def test_cancelling_an_instance_forgets_its_timers() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    body = START + timer_catch("wait", "timeDuration", "PT1M") + service("after", "after") + END
    _deploy(engine, "p", process("p", body + chain("f", "start", "wait", "after", "end")))
    key = engine.create_process_instance(process_definition_id="p")["processInstanceKey"]
    engine.cancel_process_instance(str(key))
    clock.advance(HOUR)
    assert engine.jobs() == []
    assert engine.process_instance(str(key)).state == "TERMINATED"


def test_the_manual_clock_starts_where_the_corpus_dates_expect() -> None:
    assert parse_date("2025-01-01T00:00:00Z") == DEFAULT_MANUAL_EPOCH_MS


@pytest.mark.asyncio
async def test_in_real_time_a_waiting_long_poll_gets_the_job_a_timer_creates() -> None:
    engine = Engine()  # the system clock, as ``camunda-worker engine`` runs
    body = START + timer_catch("wait", "timeDuration", "PT0.2S") + service("after", "after") + END
    _deploy(engine, "p", process("p", body + chain("f", "start", "wait", "after", "end")))
    engine.create_process_instance(process_definition_id="p")
    jobs = await asyncio.wait_for(
        engine.activate_jobs(
            job_type="after",
            max_jobs_to_activate=1,
            timeout_ms=10_000,
            worker="w",
            request_timeout_ms=20_000,
        ),
        timeout=30,
    )
    assert [job["elementId"] for job in jobs] == ["after"]
