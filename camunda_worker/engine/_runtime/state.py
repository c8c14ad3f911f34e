"""The engine's state and the transitions shared by job and process commands.

Nothing here locks or awaits: the :class:`~camunda_worker.engine._runtime.core.Engine` holds its lock
around every call. Retention: finished jobs (completed, canceled, BPMN error caught), ended
process instances and resolved incidents are kept for inspection and search, the oldest dropped
beyond ``retention`` records of each kind, so memory stays flat however many jobs pass.
"""

from __future__ import annotations

import bisect
import json
import math
from collections import deque
from collections.abc import Mapping
from typing import Any

from camunda_worker.engine._model.definitions import ProcessDefinition
from camunda_worker.engine._runtime.clock import Clock
from camunda_worker.engine._runtime.errors import invalid_argument
from camunda_worker.engine._runtime.instances import (
    INCIDENT_RESOLVED,
    ElementInstance,
    IncidentRecord,
    ProcessInstanceRecord,
)
from camunda_worker.engine._runtime.jobs import ACTIVATABLE, NO_KEY, JobRecord, ReadyQueues
from camunda_worker.engine._runtime.lines import ServerLine
from camunda_worker.engine._runtime.scopes import visible
from camunda_worker.engine._runtime.timers import TimerQueue
from camunda_worker.engine._runtime.views import EngineStats

__all__ = ["DEFAULT_TENANT", "FIRST_KEY", "EngineState", "copy_variables"]

DEFAULT_TENANT = "<default>"
#: Keys start where a Zeebe partition 1 starts counting (1 << 51), so they look familiar.
FIRST_KEY = 2_251_799_813_685_249
_KEY_TIMES = 100_000  # when keys were made, at most this many times (the oldest forgotten)
_LAST = 2**63


class _NotJSONError(Exception):
    """A value a JSON document cannot hold; ``args[0]`` says why, in words."""


def _as_json(value: Any) -> Any:
    # What Python writes as JSON in its own way (a tuple, an IntEnum, a str subclass...), as
    # the JSON it writes; anything else is refused.
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        text.encode()
    except RecursionError:
        raise
    except UnicodeEncodeError:
        raise _NotJSONError("holds a string with a lone surrogate (not valid Unicode)") from None
    except (TypeError, ValueError) as error:
        raise _NotJSONError(f"is not a JSON value ({error})") from None
    return json.loads(text)


def _copy_value(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {name: _copy_value(item) for name, item in value.items()}
    if kind is list:
        return [_copy_value(item) for item in value]
    if kind is str:
        if not value.isascii():
            _as_json(value)  # a lone surrogate cannot be encoded as UTF-8
        return value
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        shown = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
        raise _NotJSONError(f"holds {shown}, which is not a JSON number")
    return _as_json(value)


def copy_variables(variables: Mapping[str, Any] | None) -> dict[str, Any]:
    """Copy variables (JSON values) so callers cannot change the engine's state afterwards.

    Faster than ``copy.deepcopy``: objects and arrays are copied, everything else is shared
    (JSON scalars are immutable). What JSON writes in its own way (a tuple, an ``IntEnum``) is
    held as the JSON it is.

    Raises:
        EngineError: 400 ``INVALID_ARGUMENT`` for a value JSON cannot carry (a set, NaN, a
            lone surrogate, nesting deeper than the engine copies): a cluster refuses such a
            request, and held, it would make every activation answer with its job unencodable.
    """
    if not variables:
        return {}
    copied = dict(variables)
    for name, value in copied.items():
        kind = type(value)
        if kind is int or kind is bool or value is None:
            continue
        try:
            copied[name] = _copy_value(value)
        except _NotJSONError as error:
            raise invalid_argument(f"variable {str(name)!r} {error.args[0]}") from None
        except RecursionError:
            raise invalid_argument(
                f"variable {str(name)!r} nests more levels deep than the engine reads"
            ) from None
    return copied


class EngineState:
    """All records of one engine plus the transitions every command needs."""

    def __init__(self, clock: Clock, line: ServerLine, retention: int) -> None:
        self.clock = clock
        self.line: ServerLine = line
        self.retention = retention
        self._key = FIRST_KEY
        self.jobs: dict[int, JobRecord] = {}
        self.instances: dict[int, ProcessInstanceRecord] = {}
        self.incidents: dict[int, IncidentRecord] = {}
        self.definitions: dict[int, ProcessDefinition] = {}
        self.versions: dict[tuple[str, str], list[ProcessDefinition]] = {}
        self.ready = ReadyQueues(self.jobs)
        self.timers = TimerQueue(self.jobs)
        self.stats = EngineStats()
        #: Job types that got activatable jobs since the engine last served waiting polls.
        self.dirty_types: set[str] = set()
        self._finished_jobs: deque[int] = deque()
        self._ended_instances: deque[int] = deque()
        self._resolved_incidents: deque[int] = deque()
        #: ``(first key, time)`` each time keys were made at a new clock time, oldest first.
        self._key_times: list[tuple[int, int]] = []
        #: Whether the current command's keys have their time noted; each command resets it
        #: (an attribute, not a method: it is set on the hot path of every command).
        self.time_noted = False
        #: The current command's time, read from the clock once (see :meth:`command_ms`); each
        #: command resets it to ``None``.
        self.command_time: int | None = None

    def next_key(self) -> int:
        """A new unique key (keys increase); the first of a command notes the clock's time."""
        key = self._key
        self._key += 1
        if not self.time_noted:
            self._note_time(key)
        return key

    def _note_time(self, key: int) -> None:
        self.time_noted = True
        now = self.command_ms()
        times = self._key_times
        if not times or times[-1][1] != now:
            times.append((key, now))
            if len(times) > _KEY_TIMES:
                del times[: _KEY_TIMES // 2]

    def key_time(self, key: int) -> int | None:
        """When a key was made (epoch ms, as of the command that made it), if still known."""
        times = self._key_times
        index = bisect.bisect_right(times, (key, _LAST))
        return times[index - 1][1] if index else None

    def now(self) -> int:
        """The engine clock's time in epoch milliseconds."""
        return self.clock.now_ms()

    def command_ms(self) -> int:
        """The current command's time: the clock read once per command, at its first need.

        What a command stamps on its records (creation, update and end times, deadlines, the
        time of its keys) is one instant, as a broker stamps one record batch; and the clock
        is read once instead of once per record.
        """
        now = self.command_time
        if now is None:
            now = self.command_time = self.clock.now_ms()
        return now

    def add_job(self, job: JobRecord) -> None:
        """Store a new job and make it activatable."""
        self.jobs[job.key] = job
        self.stats.jobs_created += 1
        self.make_activatable(job)

    def make_activatable(self, job: JobRecord) -> None:
        """Let workers activate the job (again)."""
        job.status = ACTIVATABLE
        job.deadline_ms = None
        self.ready.push(job)
        self.dirty_types.add(job.job_type)

    def finish_job(self, job: JobRecord, status: str, state: str) -> None:
        """End a job for good: later commands on it answer 404 NOT_FOUND, as in Camunda."""
        self.ready.discard(job)
        self.timers.invalidate(job)
        now = self.command_ms()
        job.status = status
        job.state = state
        job.deadline_ms = None
        job.updated_ms = now
        job.end_ms = now
        self._retain(self._finished_jobs, job.key, self.jobs)

    def job_variables(self, job: JobRecord) -> dict[str, Any]:
        """The variables an activation of the job sees now (a new top-level dict)."""
        if job.process_instance_key == NO_KEY:
            return dict(job.variables or {})
        instance = self.instances.get(job.process_instance_key)
        if instance is None:
            return {}
        element = instance.active.get(job.element_instance_key)
        if element is None or (element.variables is None and element.parent is instance.root):
            return dict(instance.variables)  # nothing between the task and the root
        return visible(element)

    def raise_incident(
        self,
        error_type: str,
        message: str,
        *,
        job: JobRecord | None = None,
        instance: ProcessInstanceRecord | None = None,
        element: ElementInstance | None = None,
    ) -> IncidentRecord:
        """Record an incident on a job and/or an element instance of a process instance."""
        incident = IncidentRecord(
            key=self.next_key(),
            error_type=error_type,
            error_message=message,
            created_ms=self.now(),
            process_instance_key=instance.key if instance is not None else NO_KEY,
            process_definition_id=(
                instance.definition.process_id
                if instance is not None
                else (job.process_definition_id if job is not None else "")
            ),
            element_id=element.node_id if element is not None else (job.element_id if job else ""),
            element_instance_key=element.key if element is not None else NO_KEY,
            job_key=job.key if job is not None else None,
            tenant_id=instance.tenant_id
            if instance is not None
            else (job.tenant_id if job else ""),
        )
        if instance is not None and instance.parent_instance_key is not None:
            incident.root_process_instance_key = instance.root_instance_key
        self.incidents[incident.key] = incident
        self.stats.incidents_created += 1
        if job is not None:
            job.incident_key = incident.key
        if element is not None:
            element.incident_key = incident.key
        if instance is not None:
            if instance.incident_keys is None:
                instance.incident_keys = set()
            instance.incident_keys.add(incident.key)
        return incident

    def resolve_incident_record(self, incident: IncidentRecord) -> None:
        """Mark an incident resolved and detach it from its job, element and instance."""
        incident.state = INCIDENT_RESOLVED
        instance = self.instances.get(incident.process_instance_key)
        if instance is not None:
            if instance.incident_keys is not None:
                instance.incident_keys.discard(incident.key)
            element = instance.active.get(incident.element_instance_key)
            if element is not None and element.incident_key == incident.key:
                element.incident_key = None
        job = self.jobs.get(incident.job_key) if incident.job_key is not None else None
        if job is not None and job.incident_key == incident.key:
            job.incident_key = None
        self._retain(self._resolved_incidents, incident.key, self.incidents)

    def end_instance(self, instance: ProcessInstanceRecord, state: str) -> None:
        """End a process instance (``COMPLETED`` or ``TERMINATED``) and wake who awaits it."""
        instance.state = state
        instance.end_ms = self.command_ms()
        instance.joins.clear()
        instance.root.live = 0
        for incident_key in list(instance.incident_keys or ()):
            self.resolve_incident_record(self.incidents[incident_key])
        if instance.waiters is not None:
            for waiter in instance.waiters:
                waiter.wake()
            instance.waiters = None
        self._retain(self._ended_instances, instance.key, self.instances)

    def _retain(self, history: deque[int], key: int, records: dict[int, Any]) -> None:
        history.append(key)
        while len(history) > self.retention:
            records.pop(history.popleft(), None)
