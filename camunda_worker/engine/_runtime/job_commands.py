"""Job commands: create, activate, complete, fail, throw a BPMN error, update; timers.

The checks and their wording follow the broker (Zeebe): a command on an unknown or finished job
is rejected ``NOT_FOUND`` ("Expected to complete job with key '1', but no such job was found");
on a job that is neither activatable nor activated (back-off pending, incident, BPMN error thrown)
``INVALID_STATE`` ("... but it is in state 'FAILED'"). Like Camunda, completing, failing or
throwing an error does not check which worker activated the job: a worker whose activation timed
out can still complete the job, also after another worker activated it again, unless that second
activation was made with a lease (8.10 ``withLease``): then only the lease token holder may.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from camunda_worker.engine._runtime.errors import rejected
from camunda_worker.engine._runtime.jobs import (
    ACTIVATABLE,
    ACTIVATED,
    CANCELED,
    COMPLETED,
    ERROR_THROWN,
    FAILED,
    NO_KEY,
    JobRecord,
)
from camunda_worker.engine._runtime.lines import activated_job
from camunda_worker.engine._runtime.state import EngineState, copy_variables
from camunda_worker.engine._runtime.waiters import Activation

__all__ = ["JobCommands"]

_NO_RETRIES_LEFT = "No more retries left."
_LEASE_MISSING = (
    "Expected to process job with key '{key}', but a matching lease token must be provided "
    "because the job is currently leased"
)
_LEASE_MISMATCH = (
    "Expected to process job with key '{key}', but the supplied lease token does not match. "
    "The job may have been re-activated by another worker."
)


class JobCommands(EngineState, abc.ABC):
    """The job half of the engine's state machine (``ProcessCommands`` adds the other half)."""

    @abc.abstractmethod
    def task_completed(self, job: JobRecord, variables: dict[str, Any]) -> None:
        """Apply the job's variables to its task and move the instance on (see ProcessCommands)."""

    @abc.abstractmethod
    def error_thrown(self, job: JobRecord, variables: dict[str, Any]) -> bool:
        """Route the job's BPMN error to a boundary event; ``False`` when nothing catches it."""

    @abc.abstractmethod
    def set_task_local(self, job: JobRecord, variables: dict[str, Any]) -> None:
        """Set variables in the local scope of the job's task (see ProcessCommands)."""

    def create_job(
        self,
        job_type: str,
        *,
        variables: Mapping[str, Any] | None,
        retries: int,
        custom_headers: Mapping[str, str] | None,
        tenant_id: str,
    ) -> JobRecord:
        """Create a standalone job (no process instance), activatable at once."""
        now = self.now()
        job = JobRecord(
            key=self.next_key(),
            job_type=job_type,
            retries=retries,
            tenant_id=tenant_id,
            custom_headers=dict(custom_headers or {}),
            created_ms=now,
            updated_ms=now,
            variables=copy_variables(variables),
        )
        self.add_job(job)
        return job

    def activate(
        self,
        job_type: str,
        max_jobs: int,
        timeout_ms: int,
        worker: str,
        fetch_variable: Sequence[str] | None,
        tenant_ids: Iterable[str] | None,
        with_lease: bool,
    ) -> list[Activation]:
        """Activate up to ``max_jobs`` activatable jobs of a type for one worker."""
        jobs = self.ready.pop(job_type, tenant_ids, max_jobs)
        if not jobs:
            return []
        now = self.command_ms()
        deadline = now + timeout_ms
        activations = []
        for job in jobs:
            previous_worker, previous_lease = job.worker, job.lease_token
            job.status = ACTIVATED
            job.worker = worker
            job.deadline_ms = deadline
            job.updated_ms = now
            job.activation += 1
            job.lease_token = str(uuid.uuid4()) if with_lease else None
            self.timers.schedule(job, deadline)
            variables = self.job_variables(job)
            if fetch_variable:
                variables = {name: variables[name] for name in fetch_variable if name in variables}
            document = activated_job(self.line, job, variables)
            activations.append(
                Activation(job, job.activation, document, previous_worker, previous_lease)
            )
        self.stats.jobs_activated += len(activations)
        return activations

    def give_back(self, activations: Iterable[Activation]) -> None:
        """Undo activations a request never delivered: the jobs become activatable again."""
        for activation in activations:
            job = activation.job
            if job.status != ACTIVATED or job.activation != activation.activation:
                continue
            self.timers.invalidate(job)
            job.worker = activation.previous_worker
            job.lease_token = activation.previous_lease
            self.make_activatable(job)
            self.stats.jobs_activated -= 1

    def _job_for(self, key: int, command: str, intent: str, lease_token: str | None) -> JobRecord:
        job = self.jobs.get(key)
        if job is None or job.finished:
            reason = f"Expected to {intent} job with key '{key}', but no such job was found"
            raise rejected(command, "NOT_FOUND", reason)
        if job.status not in (ACTIVATABLE, ACTIVATED):
            reason = f"Expected to {intent} job with key '{key}', but it is in state '{job.status}'"
            raise rejected(command, "INVALID_STATE", reason)
        if job.lease_token is not None and lease_token != job.lease_token:
            template = _LEASE_MISSING if lease_token is None else _LEASE_MISMATCH
            raise rejected(command, "INVALID_STATE", template.format(key=key))
        return job

    def complete(
        self, key: int, variables: Mapping[str, Any] | None, lease_token: str | None
    ) -> None:
        """Complete a job; its variables reach the process instance (see :mod:`.scopes`)."""
        job = self._job_for(key, "COMPLETE", "complete", lease_token)
        values = copy_variables(variables)
        job.result_variables = values
        if job.process_instance_key == NO_KEY:
            job.variables = {**(job.variables or {}), **values}
        self.finish_job(job, COMPLETED, "COMPLETED")
        self.stats.jobs_completed += 1
        if job.process_instance_key != NO_KEY:
            self.task_completed(job, values)

    def fail(
        self,
        key: int,
        *,
        retries: int,
        error_message: str | None,
        retry_back_off_ms: int,
        variables: Mapping[str, Any] | None,
        lease_token: str | None,
    ) -> None:
        """Fail a job: activatable again (after the back-off) with retries left, else an incident."""
        job = self._job_for(key, "FAIL", "fail", lease_token)
        values = copy_variables(variables)
        self.ready.discard(job)
        self.timers.invalidate(job)
        now = self.now()
        job.retries = retries
        job.error_message = error_message or ""
        job.result_variables = values
        if values:
            if job.process_instance_key == NO_KEY:
                job.local_variables = {**(job.local_variables or {}), **values}
            else:
                self.set_task_local(job, values)
        job.state = "FAILED"
        job.deadline_ms = None
        job.updated_ms = now
        job.has_failed_with_retries_left = retries > 0
        self.stats.jobs_failed += 1
        if retries > 0 and retry_back_off_ms > 0:
            job.status = FAILED
            self.timers.schedule(job, now + retry_back_off_ms)
        elif retries > 0:
            self.make_activatable(job)
        else:
            job.status = FAILED
            instance = self.instances.get(job.process_instance_key)
            element = instance.active.get(job.element_instance_key) if instance else None
            message = error_message or _NO_RETRIES_LEFT
            self.raise_incident(
                "JOB_NO_RETRIES", message, job=job, instance=instance, element=element
            )

    def throw_error(
        self,
        key: int,
        *,
        error_code: str,
        error_message: str | None,
        variables: Mapping[str, Any] | None,
        lease_token: str | None,
    ) -> None:
        """Throw a BPMN error: caught by an error boundary event, or an incident."""
        job = self._job_for(key, "THROW_ERROR", "throw an error for", lease_token)
        self.ready.discard(job)
        self.timers.invalidate(job)
        job.error_code = error_code
        job.error_message = error_message or ""
        job.result_variables = copy_variables(variables)
        job.deadline_ms = None
        job.updated_ms = self.now()
        self.stats.bpmn_errors_thrown += 1
        caught = job.process_instance_key != NO_KEY and self.error_thrown(job, job.result_variables)
        if caught:
            self.finish_job(job, ERROR_THROWN, "ERROR_THROWN")
            return
        job.status = ERROR_THROWN
        job.state = "ERROR_THROWN"
        instance = self.instances.get(job.process_instance_key)
        element = instance.active.get(job.element_instance_key) if instance else None
        message = (
            f"Expected to throw an error event with the code '{error_code}' with message "
            f"'{job.error_message}', but it was not caught. No error events are available in "
            "the scope."
        )
        self.raise_incident(
            "UNHANDLED_ERROR_EVENT", message, job=job, instance=instance, element=element
        )

    def update(self, key: int, *, retries: int | None, timeout_ms: int | None) -> None:
        """Change a job's retries and/or the timeout of its current activation."""
        job = self.jobs.get(key)
        if job is None or job.finished:
            reason = f"Expected to update job with key '{key}', but no such job was found"
            raise rejected("UPDATE", "NOT_FOUND", reason)
        problems = []
        if retries is not None and retries < 1:
            problems.append(
                f"Expected to update retries for job with key '{key}' with a positive amount of "
                f"retries, but the amount given was '{retries}'"
            )
        if timeout_ms is not None and job.status != ACTIVATED:
            problems.append(
                f"Expected to update the timeout of job with key '{key}', but it is not active"
            )
        if problems:
            raise rejected("UPDATE", "INVALID_ARGUMENT", ", ".join(problems))
        now = self.now()
        job.updated_ms = now
        if retries is not None:
            job.retries = retries
            job.state = "RETRIES_UPDATED"
        if timeout_ms is not None:
            job.deadline_ms = now + timeout_ms
            self.timers.schedule(job, job.deadline_ms)
            if self.line == "8.10":
                job.state = "TIMEOUT_UPDATED"

    def process_due(self) -> None:
        """Time out expired activations and end elapsed retry back-offs."""
        if (due := self.timers.next_due_ms()) is None or due > (now := self.command_ms()):
            return
        for job in self.timers.pop_due(now):
            if job.status == ACTIVATED:
                job.state = "TIMED_OUT"
                job.updated_ms = now
                self.stats.jobs_timed_out += 1
                self.make_activatable(job)
            elif job.status == FAILED and job.incident_key is None:
                job.updated_ms = now
                self.make_activatable(job)

    def cancel_job(self, job: JobRecord) -> None:
        """Cancel a job whose element instance was terminated."""
        if not job.finished:
            self.finish_job(job, CANCELED, "CANCELED")
