"""Inspection of an engine for tests: snapshots of jobs, incidents, instances and counters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from camunda_worker.engine._runtime.commands import EngineBase, parse_key
from camunda_worker.engine._runtime.errors import not_found
from camunda_worker.engine._runtime.instances import INCIDENT_ACTIVE, ProcessInstanceRecord
from camunda_worker.engine._runtime.scopes import visible
from camunda_worker.engine._runtime.views import (
    EngineStats,
    IncidentView,
    JobView,
    ProcessInstanceView,
    UserTaskView,
)

__all__ = ["EngineInspection"]


class EngineInspection(EngineBase):
    """Read-only views of the engine's state (plain Python values, deep copies)."""

    def jobs(
        self,
        *,
        job_type: str | None = None,
        state: str | None = None,
        process_instance_key: str | None = None,
        lifecycle: str | None = None,
    ) -> list[JobView]:
        """Snapshots of the jobs held (live and retained finished ones), by key.

        Args:
            job_type: only jobs of this type.
            state: only jobs in this v2 search state (``CREATED``, ``FAILED``, ``COMPLETED``...).
            process_instance_key: only jobs of this process instance.
            lifecycle: only jobs in this broker state (``ACTIVATABLE``, ``ACTIVATED``, ...).
        """
        with self._lock:
            self._tick()
            machine = self._machine
            return [
                JobView.of(job, machine.job_variables(job))
                for job in sorted(machine.jobs.values(), key=lambda job: job.key)
                if (job_type is None or job.job_type == job_type)
                and (state is None or job.state == state)
                and (lifecycle is None or job.status == lifecycle)
                and (
                    process_instance_key is None
                    or str(job.process_instance_key) == str(process_instance_key)
                )
            ]

    def incidents(
        self, *, process_instance_key: str | None = None, include_resolved: bool = False
    ) -> list[IncidentView]:
        """Snapshots of the active incidents (and retained resolved ones if asked), by key."""
        with self._lock:
            self._tick()
            return [
                IncidentView.of(incident)
                for incident in sorted(self._machine.incidents.values(), key=lambda i: i.key)
                if (include_resolved or incident.state == INCIDENT_ACTIVE)
                and (
                    process_instance_key is None
                    or str(incident.process_instance_key) == str(process_instance_key)
                )
            ]

    def process_instance(self, key: str) -> ProcessInstanceView:
        """A snapshot of one process instance (404 ``EngineError`` when unknown or dropped)."""
        instance_key = parse_key("processInstanceKey", key)
        with self._lock:
            self._tick()
            instance = self._machine.instances.get(instance_key)
            if instance is None:
                raise not_found(f"Process instance with key '{instance_key}' not found")
            return self._instance_view(instance)

    def process_instances(
        self, *, process_definition_id: str | None = None, state: str | None = None
    ) -> list[ProcessInstanceView]:
        """Snapshots of the process instances held, by key."""
        with self._lock:
            self._tick()
            return [
                self._instance_view(instance)
                for instance in sorted(self._machine.instances.values(), key=lambda i: i.key)
                if (
                    process_definition_id is None
                    or instance.definition.process_id == process_definition_id
                )
                and (state is None or instance.state == state)
            ]

    def _instance_view(self, instance: ProcessInstanceRecord) -> ProcessInstanceView:
        incidents = tuple(
            IncidentView.of(self._machine.incidents[key])
            for key in sorted(instance.incident_keys or ())
        )
        return ProcessInstanceView.of(instance, incidents)

    def user_tasks(
        self, *, process_instance_key: str | None = None, state: str | None = None
    ) -> list[UserTaskView]:
        """Snapshots of the Camunda user tasks (``zeebe:userTask``), by key.

        Args:
            process_instance_key: only the user tasks of this process instance.
            state: only user tasks in this state (``CREATED``, ``COMPLETED``, ``CANCELED``).
        """
        with self._lock:
            self._tick()
            machine = self._machine
            views = []
            for task in sorted(machine.user_tasks.values(), key=lambda task: task.key):
                if (state is not None and task.state != state) or (
                    process_instance_key is not None
                    and str(task.process_instance_key) != str(process_instance_key)
                ):
                    continue
                instance = machine.instances.get(task.process_instance_key)
                element = instance.active.get(task.element_instance_key) if instance else None
                variables = visible(element) if element is not None else (task.variables or {})
                views.append(UserTaskView.of(task, variables))
            return views

    def complete_user_task(
        self, user_task_key: str, variables: Mapping[str, Any] | None = None
    ) -> None:
        """Complete a Camunda user task, as Tasklist does; the instance moves on.

        Its variables reach the process as a job's would (output mappings, else propagation).

        Raises:
            EngineError: 404 for an unknown, completed or canceled user task.
        """
        key = parse_key("userTaskKey", user_task_key)
        with self._lock:
            self._tick()
            self._machine.complete_user_task(key, variables)
            self._serve_waiters()

    def stats(self) -> EngineStats:
        """Counters since start and the records held now (a snapshot)."""
        with self._lock:
            self._tick()
            machine = self._machine
            return attrs.evolve(
                machine.stats,
                retained_jobs=len(machine.jobs),
                retained_process_instances=len(machine.instances),
                retained_incidents=len(machine.incidents),
                timers=len(machine.timers),
                waiting_polls=len(self._waiters),
            )
