"""What a test sees when a wait fails: the instance's state, its jobs, incidents and workers.

A timeout that only says "timed out" sends the reader to a debugger; this report says where the
token waits, which job nobody activated (no worker for its type?), which failed and why, and
which worker stopped with what error.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from camunda_worker.engine import IncidentView, JobView, ProcessInstanceView
    from camunda_worker.worker import JobWorker

__all__ = ["describe_engine", "describe_instance", "describe_workers"]

_MAX_LISTED = 20
_REPR = reprlib.Repr()
_REPR.maxstring = 120
_REPR.maxother = 120
_REPR.maxdict = 12
_REPR.maxlist = 12
_REPR.maxlevel = 3


def _headline(text: str | None) -> str:
    if not text:
        return ""
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= 200 else line[:197] + "..."


def _incident_line(incident: IncidentView) -> str:
    job = f" (job {incident.job_key})" if incident.job_key else ""
    return (
        f"    - {incident.key}: {incident.error_type} on {incident.element_id}{job}: "
        f"{_headline(incident.error_message)}"
    )


def _job_line(job: JobView) -> str:
    parts = [f"    - {job.key} type {job.type!r} on {job.element_id}: {job.state}"]
    if job.lifecycle != job.state:
        parts.append(f" ({job.lifecycle})")
    parts.append(f", {job.retries} retries")
    if job.lifecycle == "ACTIVATABLE" and not job.worker:
        parts.append(f", never activated: is a worker for {job.type!r} running?")
    elif job.worker:
        parts.append(f", worker {job.worker!r}")
    if job.error_code:
        parts.append(f", BPMN error {job.error_code!r}")
    if job.error_message:
        parts.append(f": {_headline(job.error_message)}")
    return "".join(parts)


def _limited(lines: Sequence[str]) -> list[str]:
    if len(lines) <= _MAX_LISTED:
        return list(lines)
    return [*lines[:_MAX_LISTED], f"    ... and {len(lines) - _MAX_LISTED} more"]


def describe_instance(instance: ProcessInstanceView, jobs: Sequence[JobView]) -> list[str]:
    """Lines describing one process instance, its incidents and its jobs."""
    lines = [
        f"  process: {instance.process_definition_id} (version {instance.version}), "
        f"state {instance.state}",
        f"  waiting in: {', '.join(instance.active_element_ids) or '-'}",
        f"  variables: {_REPR.repr(dict(instance.variables))}",
    ]
    if instance.incidents:
        lines.append("  incidents:")
        lines.extend(_limited([_incident_line(i) for i in instance.incidents]))
    lines.append("  jobs:" if jobs else "  jobs: none")
    lines.extend(_limited([_job_line(job) for job in jobs]))
    return lines


def describe_engine(
    instances: Sequence[ProcessInstanceView],
    jobs: Sequence[JobView],
    incidents: Sequence[IncidentView],
) -> list[str]:
    """Lines describing the whole engine: active instances, unfinished jobs, open incidents."""
    active = [i for i in instances if i.state == "ACTIVE"]
    lines = [f"  process instances: {len(instances)} ({len(active)} active)"]
    lines.extend(
        _limited(
            [
                f"    - {i.key} {i.process_definition_id}: {i.state}, waiting in "
                f"{', '.join(i.active_element_ids) or '-'}"
                for i in active
            ]
        )
    )
    unfinished = [job for job in jobs if job.lifecycle not in ("COMPLETED", "CANCELED")]
    lines.append("  unfinished jobs:" if unfinished else "  unfinished jobs: none")
    lines.extend(_limited([_job_line(job) for job in unfinished]))
    lines.append("  incidents:" if incidents else "  incidents: none")
    lines.extend(_limited([_incident_line(i) for i in incidents]))
    return lines


def describe_workers(workers: Iterable[JobWorker]) -> list[str]:
    """Lines describing the workers a test started: state, counters, the error that stopped one."""
    lines = []
    for worker in workers:
        stats = worker.stats
        line = (
            f"    - {worker.job_type!r} ({worker.strategy}): {worker.state.value}, "
            f"{stats.activated} activated, {stats.completed} completed, {stats.failed} failed, "
            f"{stats.errors_thrown} BPMN errors"
        )
        if worker.error is not None:
            line += f"; stopped by {type(worker.error).__name__}: {_headline(str(worker.error))}"
        lines.append(line)
    if not lines:
        return []
    return ["  workers:", *lines]
