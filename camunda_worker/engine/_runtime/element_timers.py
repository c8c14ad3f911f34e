"""Timers of BPMN timer events: intermediate catch events, boundary events, timer start events.

One heap of ``(due_ms, sequence, timer_key)``; a timer is forgotten (and its heap entry skipped)
when the element instance it belongs to ends, or when a newer version of its process replaces a
timer start event. Due times are epoch milliseconds of the engine's clock.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from camunda_worker.engine._model.conditions import feel_type_name
from camunda_worker.engine._model.cron import CronSchedule
from camunda_worker.engine._model.definitions import TimerDefinition
from camunda_worker.engine._model.feel import Now
from camunda_worker.engine._model.timers import (
    Duration,
    TimerValueError,
    parse_cycle,
    parse_date,
    parse_duration,
)
from camunda_worker.engine._runtime.jobs import NO_KEY

__all__ = ["ElementTimer", "ElementTimers", "resolve_timer"]


@attrs.define(slots=True, eq=False)
class ElementTimer:
    """One armed timer of a timer event.

    Attributes:
        key: the timer key.
        due_ms: when it fires.
        node_id: the timer event's element id.
        definition_key: the process definition it belongs to.
        process_instance_key: its process instance (``-1`` for a timer start event).
        element_key: the element instance it belongs to: the catch event's, or the activity a
            boundary event is attached to (``-1`` for a timer start event).
        repetitions: for a cycle, how many more times it fires after this one (``None``: for
            ever); ``0`` for a one-off timer.
        interval: for a cycle, the time between two firings (or its cron schedule).
    """

    key: int
    due_ms: int
    node_id: str
    definition_key: int
    process_instance_key: int = NO_KEY
    element_key: int = NO_KEY
    repetitions: int | None = 0
    interval: Duration | CronSchedule | None = None


class ElementTimers:
    """The armed timers of timer events, earliest first.

    Attributes:
        timers: the live timers by key.
        on_earlier: called (under the engine's lock) when a timer is armed that is due before
            ``watch_ms`` (or while ``watch_ms`` is ``None``): the real-time task's wake-up.
        watch_ms: when whoever set ``on_earlier`` next wakes up anyway.
    """

    def __init__(self) -> None:
        self.timers: dict[int, ElementTimer] = {}
        self._heap: list[tuple[int, int, int]] = []
        self._sequence = itertools.count()
        self._by_element: dict[int, list[int]] = {}
        self.on_earlier: Callable[[], None] | None = None
        self.watch_ms: int | None = None

    def schedule(self, timer: ElementTimer) -> None:
        """Arm a timer."""
        if self.on_earlier is not None and (self.watch_ms is None or timer.due_ms < self.watch_ms):
            self.watch_ms = timer.due_ms
            self.on_earlier()
        self.timers[timer.key] = timer
        heapq.heappush(self._heap, (timer.due_ms, next(self._sequence), timer.key))
        if timer.element_key != NO_KEY:
            self._by_element.setdefault(timer.element_key, []).append(timer.key)
        if len(self._heap) > 1024 and len(self._heap) > 2 * len(self.timers):
            self._heap = [entry for entry in self._heap if entry[2] in self.timers]
            heapq.heapify(self._heap)

    def cancel_element(self, element_key: int) -> None:
        """Forget the timers of an element instance that ended."""
        keys = self._by_element.pop(element_key, None)
        if keys:
            for key in keys:
                self.timers.pop(key, None)

    def cancel_nodes(self, element_key: int, node_ids: list[str]) -> None:
        """Forget the timers of some events of an element instance (by the events' ids)."""
        for key in list(self._by_element.get(element_key, ())):
            timer = self.timers.get(key)
            if timer is not None and timer.node_id in node_ids:
                self.cancel(timer)

    def cancel(self, timer: ElementTimer) -> None:
        """Forget one timer."""
        self.timers.pop(timer.key, None)
        keys = self._by_element.get(timer.element_key)
        if keys and timer.key in keys:
            keys.remove(timer.key)
            if not keys:
                del self._by_element[timer.element_key]

    def next_due_ms(self) -> int | None:
        """When the earliest live timer is due, or ``None`` without one."""
        heap = self._heap
        while heap and heap[0][2] not in self.timers:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now_ms: int) -> ElementTimer | None:
        """Remove and return the earliest live timer due at ``now_ms``, if any."""
        due = self.next_due_ms()
        if due is None or due > now_ms:
            return None
        _, _, key = heapq.heappop(self._heap)
        timer = self.timers[key]
        self.cancel(timer)
        return timer

    def of_definition(self, definition_key: int) -> list[ElementTimer]:
        """The live timer start event timers of a process definition."""
        return [
            timer
            for timer in self.timers.values()
            if timer.definition_key == definition_key and timer.process_instance_key == NO_KEY
        ]

    def __len__(self) -> int:
        return len(self.timers)


def resolve_timer(
    definition: TimerDefinition, variables: Mapping[str, Any], now_ms: int, now: Now = None
) -> tuple[int, int | None, Duration | CronSchedule | None]:
    """When a timer event's timer is first due, and how it repeats.

    Returns:
        ``(due_ms, repetitions after the first, interval)``; ``(due, 0, None)`` for a duration
        or a date.

    Raises:
        TimerValueError: when the value (or the expression's result) is not a valid timer value
            of its kind.
    """
    value = definition.value.evaluate(variables, now=now)
    if not isinstance(value, str):
        msg = (
            f"Expected result of the expression '{definition.value.text}' to be a "
            f"{_WHAT[definition.kind]} string, but was '{feel_type_name(value)}'"
        )
        raise TimerValueError(msg)
    if definition.kind == "timeDuration":
        return parse_duration(value).after(now_ms), 0, None
    if definition.kind == "timeDate":
        return parse_date(value), 0, None
    cycle = parse_cycle(value)
    if isinstance(cycle.interval, CronSchedule) and cycle.interval.next_after(now_ms) is None:
        return now_ms, 0, None  # a cron that never matches fires once, at once, as in Zeebe
    due = cycle.first_after(now_ms)
    repetitions = None if cycle.repetitions is None else max(cycle.repetitions - 1, 0)
    return due, repetitions, cycle.interval


_WHAT = {"timeDuration": "duration", "timeDate": "date-time", "timeCycle": "time cycle"}
