"""Rows of every record kind, from the engine's live state: what searches and gets read.

A row is ``(key, wire document, extras)``: the document as the kind's search lists it, and the
values its virtual filters read (:mod:`.query_filters`). Builders run under the engine's lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from camunda_worker.engine._runtime.instances import ACTIVE
from camunda_worker.engine._runtime.lines import incident_result, job_search_item, process_instance
from camunda_worker.engine._runtime.process_commands import ProcessCommands
from camunda_worker.engine._runtime.read_models import (
    element_instance,
    message_subscription,
    process_definition,
    user_task,
    variable,
)
from camunda_worker.engine._runtime.search import Row

__all__ = ["RecordRows"]

T = TypeVar("T")


class RecordRows:
    """Builds the rows of each record kind from one engine's state.

    Args:
        machine: the engine's state machine.
    """

    def __init__(self, machine: ProcessCommands) -> None:
        self._machine = machine
        # Variables have no keys in the state: each (scope, name) gets one when first listed.
        self._variable_keys: dict[tuple[int, str], int] = {}

    def of(self, kind: str, only: int | None = None) -> list[Row]:
        """The rows of a kind; ``only``: just the record with that key (a get)."""
        return _BUILDERS[kind](self, only)

    def _job_rows(self, only: int | None) -> list[Row]:
        line = self._machine.line
        jobs = _pick(self._machine.jobs, only)
        return [(job.key, job_search_item(line, job), {}) for job in jobs]

    def _instance_rows(self, only: int | None) -> list[Row]:
        machine = self._machine
        line = machine.line
        retries_left: set[int] = set()
        if only is None:  # a get reads no filter
            retries_left = {
                job.process_instance_key
                for job in machine.jobs.values()
                if job.has_failed_with_retries_left
            }
        rows: list[Row] = []
        for instance in _pick(machine.instances, only):
            messages = [
                machine.incidents[key].error_message
                for key in instance.incident_keys or ()
                if key in machine.incidents
            ]
            active = [
                (element.node_id, element.incident_key is not None)
                for element in instance.active.values()
                if element is not instance.root
            ]
            extras = {
                "variables": dict(instance.variables),
                "active": active,
                "entered": frozenset(instance.path),
                "errorMessages": messages,
                "hasRetriesLeft": instance.key in retries_left,
            }
            rows.append((instance.key, process_instance(line, instance), extras))
        return rows

    def _incident_rows(self, only: int | None) -> list[Row]:
        machine = self._machine
        line = machine.line
        rows: list[Row] = []
        for incident in _pick(machine.incidents, only):
            instance = machine.instances.get(incident.process_instance_key)
            job = machine.jobs.get(incident.job_key) if incident.job_key is not None else None
            definition_key = (
                instance.definition.key
                if instance is not None
                else (job.process_definition_key if job is not None else -1)
            )
            document = incident_result(line, incident, definition_key)
            rows.append((incident.key, document, {"instance": document["processInstanceKey"]}))
        return rows

    def _element_rows(self, only: int | None) -> list[Row]:
        machine = self._machine
        line = machine.line
        rows: list[Row] = []
        for instance in machine.instances.values():
            if instance.state != ACTIVE:
                continue
            nodes = instance.definition.model.nodes
            for element in instance.active.values():
                node = nodes.get(element.node_id)
                if node is None or element is instance.root:
                    continue
                parent = element.parent.key if element.parent is not None else instance.key
                document = element_instance(
                    line,
                    key=element.key,
                    element_id=node.id,
                    element_name=node.name or node.id,
                    # A multi-instance body has its activity's id, not its type.
                    kind="multiInstanceBody" if element.body is not None else node.kind,
                    instance_key=instance.key,
                    definition=instance.definition,
                    tenant_id=instance.tenant_id,
                    start_ms=machine.key_time(element.key) or instance.start_ms,
                    incident_key=element.incident_key,
                    root_key=instance.root_instance_key,
                )
                rows.append((element.key, document, {"scopeKey": str(parent)}))
        rows.extend(self._finished_task_rows())
        return rows

    def _finished_task_rows(self) -> list[Row]:
        # Tasks whose job or user task ended: their element instances, completed or terminated.
        machine = self._machine
        line = machine.line
        ended: list[tuple[int, int, str, int, int | None, str]] = [
            (
                job.element_instance_key,
                job.process_instance_key,
                job.element_id,
                job.created_ms,
                job.end_ms,
                "COMPLETED" if job.state == "COMPLETED" else "TERMINATED",
            )
            for job in machine.jobs.values()
            if job.end_ms is not None
        ]
        ended.extend(
            (
                task.element_instance_key,
                task.process_instance_key,
                task.element_id,
                task.created_ms,
                task.completed_ms,
                task.state if task.state == "COMPLETED" else "TERMINATED",
            )
            for task in machine.user_tasks.values()
            if task.state != "CREATED"
        )
        rows: list[Row] = []
        for key, instance_key, element_id, start_ms, end_ms, state in ended:
            instance = machine.instances.get(instance_key)
            if instance is None or key in instance.active:
                continue
            node = instance.definition.model.nodes.get(element_id)
            if node is None:
                continue
            document = element_instance(
                line,
                key=key,
                element_id=element_id,
                element_name=node.name or node.id,
                kind=node.kind,
                instance_key=instance_key,
                definition=instance.definition,
                tenant_id=instance.tenant_id,
                start_ms=start_ms,
                incident_key=None,
                state=state,
                end_ms=end_ms if end_ms is not None else instance.end_ms,
                root_key=instance.root_instance_key,
            )
            rows.append((key, document, {"scopeKey": str(instance_key)}))
        return rows

    def _variable_rows(self, only: int | None) -> list[Row]:
        machine = self._machine
        line = machine.line
        keys = self._variable_keys
        rows: list[Row] = []
        for instance in machine.instances.values():
            scopes: list[tuple[int, Mapping[str, Any]]] = [(instance.key, instance.variables)]
            scopes.extend(
                (element.key, element.variables)
                for element in instance.active.values()
                if element.variables and element is not instance.root
            )
            for scope_key, variables in scopes:
                for name, value in variables.items():
                    key = keys.get((scope_key, name))
                    if key is None:
                        key = keys[(scope_key, name)] = machine.next_key()
                    document = variable(
                        line,
                        key=key,
                        name=name,
                        value=value,
                        scope_key=scope_key,
                        instance_key=instance.key,
                        tenant_id=instance.tenant_id,
                        root_key=instance.root_instance_key,
                    )
                    rows.append((key, document, {"scopeKey": str(scope_key)}))
        if len(keys) > 2 * len(rows) + 1_000:  # forget the keys of variables gone for good
            listed = {row[0] for row in rows}
            self._variable_keys = {pair: key for pair, key in keys.items() if key in listed}
        return rows

    def _user_task_rows(self, only: int | None) -> list[Row]:
        machine = self._machine
        line = machine.line
        rows: list[Row] = []
        for task in _pick(machine.user_tasks, only):
            instance = machine.instances.get(task.process_instance_key)
            element = instance.active.get(task.element_instance_key) if instance else None
            extras = {
                "candidateGroups": task.candidate_groups,
                "candidateUsers": task.candidate_users,
                "processInstanceVariables": dict(instance.variables) if instance else {},
                "localVariables": dict(element.variables or {}) if element else {},
            }
            name = instance.definition.model.name if instance is not None else None
            root = instance.root_instance_key if instance is not None else None
            rows.append((task.key, user_task(line, task, name, root), extras))
        return rows

    def _definition_rows(self, only: int | None) -> list[Row]:
        machine = self._machine
        line = machine.line
        latest = {versions[-1].key for versions in machine.versions.values() if versions}
        return [
            (
                definition.key,
                process_definition(line, definition),
                {"latest": definition.key in latest},
            )
            for definition in _pick(machine.definitions, only)
        ]

    def _subscription_rows(self, only: int | None) -> list[Row]:
        machine = self._machine
        line = machine.line
        rows: list[Row] = []
        for subscription in machine.messages.subscriptions():
            instance = machine.instances.get(subscription.process_instance_key)
            if instance is None:
                continue
            updated = machine.key_time(subscription.key)
            document = message_subscription(
                line, subscription, instance.definition, updated, instance.root_instance_key
            )
            rows.append((subscription.key, document, {}))
        return rows


def _pick(records: Mapping[int, T], only: int | None) -> Iterable[T]:
    if only is None:
        return records.values()
    record = records.get(only)
    return () if record is None else (record,)


_BUILDERS: dict[str, Callable[[RecordRows, int | None], list[Row]]] = {
    "jobs": RecordRows._job_rows,
    "processInstances": RecordRows._instance_rows,
    "incidents": RecordRows._incident_rows,
    "elementInstances": RecordRows._element_rows,
    "variables": RecordRows._variable_rows,
    "userTasks": RecordRows._user_task_rows,
    "processDefinitions": RecordRows._definition_rows,
    "messageSubscriptions": RecordRows._subscription_rows,
}
