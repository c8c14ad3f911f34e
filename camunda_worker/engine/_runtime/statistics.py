"""Statistics of element instances, FEEL expression evaluation and forms, on the read side.

What Operate shows per element (active, incidents, completed, canceled), the expression
evaluation endpoint, and the form endpoints (the engine deploys no forms).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from camunda_worker.engine._model import feel
from camunda_worker.engine._runtime.errors import invalid_argument
from camunda_worker.engine._runtime.instances import ProcessInstanceRecord
from camunda_worker.engine._runtime.queries import EngineQueries
from camunda_worker.engine._runtime.state import copy_variables

__all__ = ["EngineStatistics"]


class EngineStatistics(EngineQueries):
    """Element statistics, expression evaluation and forms."""

    def element_statistics(
        self,
        *,
        process_instance_key: str | None = None,
        process_definition_key: str | None = None,
        filter: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Counts of element instances by element: active, canceled, incidents, completed.

        Of one process instance, or of the instances of one process definition that match a
        process instance ``filter``. ``completed`` counts the times tokens left an element;
        ``canceled`` the tasks (jobs and user tasks) canceled with their instance.
        """
        conditions = dict(filter or {})
        if process_instance_key is not None:
            self.get_record("processInstances", process_instance_key)
            conditions["processInstanceKey"] = process_instance_key
        if process_definition_key is not None:
            self.get_record("processDefinitions", process_definition_key)
            conditions["processDefinitionKey"] = process_definition_key
        found = self.search_records("processInstances", conditions, limit=10_000)
        keys = {int(item["processInstanceKey"]) for item in found["items"]}
        with self._lock:
            counts = self._count_elements(keys)
        return {"items": [{"elementId": element_id, **counts[element_id]} for element_id in counts]}

    def _count_elements(self, keys: set[int]) -> dict[str, dict[str, int]]:
        # Under the lock: per element id, how many element instances are in each state.
        machine = self._machine
        counts: dict[str, dict[str, int]] = {}

        def count(element_id: str, what: str) -> None:
            entry = counts.setdefault(
                element_id, {"active": 0, "canceled": 0, "incidents": 0, "completed": 0}
            )
            entry[what] += 1

        canceled: dict[int, list[str]] = {}
        finished: list[Any] = [*machine.jobs.values(), *machine.user_tasks.values()]
        for task in finished:
            if task.state == "CANCELED" and task.process_instance_key in keys:
                canceled.setdefault(task.process_instance_key, []).append(task.element_id)
        for key in sorted(keys):
            instance = machine.instances.get(key)
            if instance is None:
                continue
            left: dict[str, int] = {}
            for node_id in instance.path:
                left[node_id] = left.get(node_id, 0) + 1
            for element_id in canceled.get(key, ()):
                left[element_id] = left.get(element_id, 0) - 1
                count(element_id, "canceled")
            _count_active(instance, left, count)
            for node_id, times in left.items():
                for _ in range(max(times, 0)):
                    count(node_id, "completed")
        return counts

    def evaluate_expression(
        self, expression: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Evaluate a FEEL expression (``POST /expression/evaluation``).

        Args:
            expression: ``=`` and a FEEL expression (without ``=``: a static string).
            variables: the variables it sees.

        Returns:
            The ``ExpressionEvaluationResult``: the expression, its result and the warnings.

        Raises:
            EngineError: 400 for an expression that does not parse or fails.
        """
        stripped = expression.strip()
        if not stripped.startswith("="):
            static: dict[str, Any] = {
                "expression": expression,
                "result": expression,
                "warnings": [],
            }
            if self._machine.line == "8.10":
                static["referencedSecrets"] = []
            return static
        try:
            now = datetime.datetime.fromtimestamp(
                self.clock.now_ms() / 1000, tz=datetime.timezone.utc
            )
            result = feel.parse(stripped[1:]).evaluate_result(copy_variables(variables), now=now)
        except (feel.FeelSyntaxError, feel.FeelEvaluationError) as error:
            raise invalid_argument(
                f"Failed to evaluate expression '{expression}': {error}"
            ) from None
        answer = {
            "expression": expression,
            "result": result.value,
            "warnings": [{"message": str(warning)} for warning in result.warnings],
        }
        if self._machine.line == "8.10":
            answer["referencedSecrets"] = []  # the engine has no secrets
        return answer

    def has_form(self, kind: str, key: str) -> bool:
        """Whether a user task or process definition has a deployed form (never: no forms).

        Raises:
            EngineError: 404 when the user task or definition is unknown.
        """
        self.get_record(kind, key)
        return False


def _count_active(
    instance: ProcessInstanceRecord, left: dict[str, int], count: Callable[[str, str], None]
) -> None:
    # The active element instances of one instance, off the times its elements were left. A
    # multi-instance body's token is on the path too; a cluster counts its inner instances
    # only (the body when it holds an incident).
    for node_id, bodies in instance.bodies.items():
        left[node_id] = left.get(node_id, 0) - bodies
    for element in instance.active.values():
        if element is instance.root:
            continue
        if element.body is None:
            left[element.node_id] = left.get(element.node_id, 0) - 1
            count(element.node_id, "incidents" if element.incident_key else "active")
        elif element.incident_key:
            count(element.node_id, "incidents")
