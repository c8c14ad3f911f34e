"""The read side of the engine: searches and gets of every record kind, with an optional lag.

On a cluster, searches read a secondary store the exporter fills a little after each command.
The engine answers from its live state by default; with ``search_lag_ms`` it keeps a
:class:`~camunda_worker.engine._runtime.search_lag.SearchLag` that notes what each command
changed, stamped with the engine's clock, and searches (and gets by key) see a change only once
that much time has passed on the clock.

Record kinds (the names :meth:`EngineQueries.search_records` takes): ``jobs``,
``processInstances``, ``incidents``, ``elementInstances``, ``variables``, ``userTasks``,
``processDefinitions``, ``messageSubscriptions``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from camunda_worker.engine._model import feel
from camunda_worker.engine._runtime.clock import Clock, SystemClock
from camunda_worker.engine._runtime.commands import EngineBase, parse_key
from camunda_worker.engine._runtime.errors import invalid_argument, not_found
from camunda_worker.engine._runtime.instances import ACTIVE, ElementInstance
from camunda_worker.engine._runtime.lines import (
    ServerLine,
    incident_result,
    job_search_item,
    process_instance,
)
from camunda_worker.engine._runtime.read_models import (
    call_hierarchy_entry,
    element_instance,
    message_subscription,
    process_definition,
    user_task,
    variable,
)
from camunda_worker.engine._runtime.search import Query, Row, Virtual, run_query, value_matches
from camunda_worker.engine._runtime.search_lag import ObservingLock, SearchLag
from camunda_worker.engine._runtime.state import copy_variables

__all__ = ["KINDS", "EngineQueries"]

T = TypeVar("T")

KINDS = (
    "jobs",
    "processInstances",
    "incidents",
    "elementInstances",
    "variables",
    "userTasks",
    "processDefinitions",
    "messageSubscriptions",
)
_NAMES = {
    "jobs": "Job",
    "processInstances": "Process instance",
    "incidents": "Incident",
    "elementInstances": "Element instance",
    "variables": "Variable",
    "userTasks": "User task",
    "processDefinitions": "Process definition",
    "messageSubscriptions": "Message subscription",
}


class _PinnedClock:
    """The clock of an engine whose time was pinned over REST (``PUT /clock``)."""

    def __init__(self, epoch_ms: int) -> None:
        self.epoch_ms = epoch_ms

    def now_ms(self) -> int:
        return self.epoch_ms

    def __repr__(self) -> str:
        return f"PinnedClock(epoch_ms={self.epoch_ms})"


class EngineQueries(EngineBase):
    """Searches and gets over every record kind, the clock endpoints and the search lag."""

    def __init__(self, clock: Clock, server_line: ServerLine, retention: int) -> None:
        super().__init__(clock, server_line, retention)
        self._variable_keys: dict[tuple[int, str], int] = {}
        self._unpinned: Clock | None = None
        self._lag: SearchLag | None = None
        self._raw_lock = self._lock

    # The search lag.

    @property
    def search_lag_ms(self) -> int:
        """How long after a command searches see it, in ms of the engine's clock (0: at once)."""
        return self._lag.lag_ms if self._lag is not None else 0

    @search_lag_ms.setter
    def search_lag_ms(self, lag_ms: int) -> None:
        if lag_ms < 0:
            msg = f"search_lag_ms must not be negative, got {lag_ms}"
            raise ValueError(msg)
        with self._raw_lock:
            if not lag_ms:
                self._lag = None
                self._lock = self._raw_lock
                return
            if self._lag is None:
                self._lag = SearchLag(lag_ms)
                self._lag.observe(self._machine.now(), self._all_rows())
                self._lock = ObservingLock(self._raw_lock, self._observe)
            else:
                self._lag.lag_ms = lag_ms

    def _observe(self) -> None:
        # Under the lock, after every engine call: note what changed, at the clock's time.
        lag = self._lag
        if lag is not None:
            lag.observe(self._machine.now(), self._all_rows())

    def _all_rows(self) -> dict[str, dict[int, Row]]:
        return {kind: {row[0]: row for row in self._live_rows(kind, None)} for kind in KINDS}

    def _rows(self, kind: str) -> list[Row]:
        lag = self._lag
        if lag is None:
            return self._live_rows(kind, None)
        return lag.rows(kind, self._machine.now())

    # Searches and gets.

    def search_records(
        self,
        kind: str,
        filter: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, bool]] = (),
        limit: int = 100,
        offset: int | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        """Search the records of a kind as its ``POST /<kind>/search`` endpoint does.

        Args:
            kind: ``jobs``, ``processInstances``, ``incidents``, ``elementInstances``,
                ``variables``, ``userTasks``, ``processDefinitions`` or
                ``messageSubscriptions``.
            filter: the wire filter (field names and values as on the wire).
            sort: ``(field, descending)`` pairs, most significant first (then by key).
            limit: the page size (1 to 10,000).
            offset: skip this many matches (offset pagination).
            after: continue after this ``endCursor``.
            before: go back before this ``startCursor``.

        Returns:
            ``{"items": [...], "page": {...}}`` shaped for the engine's server line.

        Raises:
            EngineError: 400 for an unknown filter field, a bad cursor or page.
        """
        query = Query(filter, tuple(sort), limit, offset, after, before)
        with self._lock:
            self._tick()
            return run_query(self._machine.line, self._rows(kind), query, _VIRTUAL.get(kind))

    def get_record(self, kind: str, key: str) -> dict[str, Any]:
        """The wire document of one record, as its ``GET /<kind>/{key}`` endpoint answers.

        Raises:
            EngineError: 404 when no record of that kind has the key (or, with a search lag,
                when the record is not visible yet); 400 for a malformed key.
        """
        number = parse_key(f"{kind[:-1]}Key", key)
        with self._lock:
            self._tick()
            lag = self._lag
            if lag is not None:
                row = lag.row(kind, number, self._machine.now())
            else:
                row = next((row for row in self._live_rows(kind, number) if row[0] == number), None)
            if row is not None:
                document = dict(row[1])
                if kind == "variables":
                    document.pop("isTruncated", None)
                return document
        raise not_found(f"{_NAMES[kind]} with key '{number}' not found")

    def search_instance_incidents(self, process_instance_key: str, **query: Any) -> dict[str, Any]:
        """Search the incidents of one process instance (404 when the instance is unknown)."""
        self.get_record("processInstances", process_instance_key)
        conditions = dict(query.pop("filter", None) or {})
        conditions["processInstanceKey"] = process_instance_key
        return self.search_records("incidents", conditions, **query)

    def search_element_incidents(self, element_instance_key: str, **query: Any) -> dict[str, Any]:
        """Search the incidents of one element instance (404 when it is unknown)."""
        key = parse_key("elementInstanceKey", element_instance_key)
        with self._lock:
            is_instance = key in self._machine.instances
            known = is_instance or any(row[0] == key for row in self._rows("elementInstances"))
        if not known:
            raise not_found(f"Element instance with key '{key}' not found")
        conditions = dict(query.pop("filter", None) or {})
        if is_instance:
            conditions["processInstanceKey"] = str(key)
        else:
            conditions["elementInstanceKey"] = str(key)
        return self.search_records("incidents", conditions, **query)

    def search_user_task_variables(self, user_task_key: str, **query: Any) -> dict[str, Any]:
        """Search the variables a user task sees: its element's scope and the scopes above it."""
        task = self.get_record("userTasks", user_task_key)
        conditions = dict(query.pop("filter", None) or {})
        with self._lock:
            scopes = self._scope_chain(
                int(task["processInstanceKey"]), int(task["elementInstanceKey"])
            )
        conditions["$scopes"] = scopes
        return self.search_records("variables", conditions, **query)

    def _scope_chain(self, instance_key: int, element_key: int) -> list[str]:
        instance = self._machine.instances.get(instance_key)
        element = instance.active.get(element_key) if instance is not None else None
        if element is None:
            return [str(instance_key)]
        chain = []
        current: ElementInstance | None = element
        while current is not None:
            chain.append(str(current.key))
            current = current.parent
        return chain

    def search_user_task_effective_variables(
        self, user_task_key: str, **query: Any
    ) -> dict[str, Any]:
        """The variables a user task sees, one per name: the nearest scope's wins."""
        task = self.get_record("userTasks", user_task_key)
        conditions = dict(query.pop("filter", None) or {})
        with self._lock:
            scopes = self._scope_chain(
                int(task["processInstanceKey"]), int(task["elementInstanceKey"])
            )
            rows = [row for row in self._rows("variables") if row[2]["scopeKey"] in scopes]
        nearest: dict[str, Row] = {}
        for row in sorted(rows, key=lambda row: scopes.index(row[2]["scopeKey"])):
            nearest.setdefault(row[1]["name"], row)
        keys = [str(row[0]) for row in nearest.values()]
        conditions["variableKey"] = {"$in": keys}
        return self.search_records("variables", conditions, **query)

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
            for element in instance.active.values():
                if element is not instance.root:
                    left[element.node_id] = left.get(element.node_id, 0) - 1
                    count(element.node_id, "incidents" if element.incident_key else "active")
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

    def process_definition_xml(self, process_definition_key: str) -> str:
        """The BPMN XML a process definition was deployed from (404 when unknown)."""
        self.get_record("processDefinitions", process_definition_key)
        key = int(process_definition_key)
        with self._lock:
            resource = self._machine.resources.get(key)
        if resource is None:
            raise not_found(f"Process definition with key '{key}' not found")
        return resource.decode("utf-8", "replace")

    def call_hierarchy(self, process_instance_key: str) -> list[dict[str, Any]]:
        """The call hierarchy of a process instance: itself (the engine has no call activities)."""
        found = self.get_record("processInstances", process_instance_key)
        key = int(found["processInstanceKey"])
        with self._lock:
            instance = self._machine.instances.get(key)
            if instance is None:
                raise not_found(f"Process instance with key '{key}' not found")
            return [call_hierarchy_entry(key, instance.definition)]

    # The clock endpoints.

    def pin_clock(self, epoch_ms: int) -> None:
        """Pin the engine's clock at a time (``PUT /clock``): it stays there until reset.

        With a :class:`ManualClock` the clock is set (and keeps moving only when told to);
        any other clock is replaced by a pinned one until :meth:`reset_clock`.
        """
        if epoch_ms < 0:
            raise invalid_argument(
                f"The value for timestamp is '{epoch_ms}' but must be not negative"
            )
        setter = getattr(self.clock, "set", None)
        if callable(setter) and not isinstance(self.clock, _PinnedClock):
            setter(epoch_ms)
            return
        with self._lock:
            if self._unpinned is None:
                self._unpinned = self.clock
            pinned = _PinnedClock(epoch_ms)
            self.clock = self._machine.clock = pinned
            self._tick()

    def reset_clock(self) -> None:
        """Reset the engine's clock to the system time (``POST /clock/reset``).

        A pinned clock is replaced by the one the engine had before; a :class:`ManualClock`
        is set to the current system time.
        """
        with self._lock:
            if self._unpinned is not None:
                self.clock = self._machine.clock = self._unpinned
                self._unpinned = None
                self._tick()
                return
        setter = getattr(self.clock, "set", None)
        if callable(setter):
            setter(SystemClock().now_ms())

    # Rows of each kind, from the live state (caller holds the lock).

    def _live_rows(self, kind: str, only: int | None = None) -> list[Row]:
        # ``only``: just the record with that key (a get: no pass over every record).
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
                for key in instance.incident_keys
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
            rows.append((incident.key, incident_result(line, incident, definition_key), {}))
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
                    kind=node.kind,
                    instance_key=instance.key,
                    definition=instance.definition,
                    tenant_id=instance.tenant_id,
                    start_ms=machine.key_time(element.key) or instance.start_ms,
                    incident_key=element.incident_key,
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
                    )
                    rows.append((key, document, {"scopeKey": str(scope_key)}))
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
            rows.append((task.key, user_task(line, task, name), extras))
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
            document = message_subscription(line, subscription, instance.definition, updated)
            rows.append((subscription.key, document, {}))
        return rows


def _pick(records: Mapping[int, T], only: int | None) -> Iterable[T]:
    if only is None:
        return records.values()
    record = records.get(only)
    return () if record is None else (record,)


_BUILDERS: dict[str, Callable[[EngineQueries, int | None], list[Row]]] = {
    "jobs": EngineQueries._job_rows,
    "processInstances": EngineQueries._instance_rows,
    "incidents": EngineQueries._incident_rows,
    "elementInstances": EngineQueries._element_rows,
    "variables": EngineQueries._variable_rows,
    "userTasks": EngineQueries._user_task_rows,
    "processDefinitions": EngineQueries._definition_rows,
    "messageSubscriptions": EngineQueries._subscription_rows,
}


# Virtual filters: fields a filter may name that the documents do not hold.


def _variables_match(variables: Mapping[str, Any], expected: Any) -> bool:
    # [{"name": ..., "value": <JSON text or a string filter>}, ...]: every one must match.
    if not isinstance(expected, list):
        raise invalid_argument("The value of 'variables' must be an array of {name, value}")
    for condition in expected:
        if not isinstance(condition, Mapping) or not isinstance(condition.get("name"), str):
            raise invalid_argument("Each variable filter needs a name")
        name = condition["name"]
        if name not in variables:
            return False
        if "value" in condition:
            text = json.dumps(variables[name], ensure_ascii=False, separators=(",", ":"))
            wanted = condition["value"]
            if isinstance(wanted, str):
                if _canonical(wanted) != text:
                    return False
            elif not value_matches(text, wanted):
                return False
    return True


def _canonical(text: str) -> str:
    # JSON text as the engine writes it ('{"a": 1}' -> '{"a":1}'); not JSON: as it is.
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return text


def _any_matches(values: Iterable[Any], expected: Any) -> bool:
    return any(value_matches(value, expected) for value in values)


def _contains_all(values: Iterable[Any], expected: Any) -> bool:
    if isinstance(expected, list):
        held = set(values)
        return all(tag in held for tag in expected)
    return _any_matches(values, expected)


def _element_state(extras: Mapping[str, Any], expected: Any) -> bool:
    active_ids = {node_id for node_id, _ in extras["active"]}
    states = ["ACTIVE"] if active_ids else []
    if extras["entered"] - active_ids:
        states.append("COMPLETED")
    return _any_matches(states, expected)


def _never(extras: Mapping[str, Any], expected: Any) -> bool:
    # Batch operations do not exist in the engine: only "$exists: false" matches.
    return isinstance(expected, Mapping) and expected.get("$exists") is False


def _incident_hash(extras: Mapping[str, Any], expected: Any) -> bool:
    return _any_matches((_java_hash(message) for message in extras["errorMessages"]), expected)


def _java_hash(text: str) -> int:
    # Java's String.hashCode, which the cluster's incidentErrorHashCode is.
    value = 0
    for unit in text.encode("utf-16-be").hex(" ", 2).split():
        value = (31 * value + int(unit, 16)) & 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


_INSTANCE_VIRTUAL: dict[str, Virtual] = {
    "variables": lambda extras, expected: _variables_match(extras["variables"], expected),
    "errorMessage": lambda extras, expected: _any_matches(extras["errorMessages"], expected),
    "hasRetriesLeft": lambda extras, expected: value_matches(extras["hasRetriesLeft"], expected),
    "elementId": lambda extras, expected: _any_matches(extras["entered"], expected),
    "elementInstanceState": _element_state,
    "hasElementInstanceIncident": lambda extras, expected: _any_matches(
        [bool(any(has for _, has in extras["active"]))], expected
    ),
    "incidentErrorHashCode": _incident_hash,
    "tags": lambda extras, expected: _contains_all((), expected),
    "batchOperationId": _never,
    "batchOperationKey": _never,
}
_USER_TASK_VIRTUAL: dict[str, Virtual] = {
    "candidateGroup": lambda extras, expected: _any_matches(extras["candidateGroups"], expected),
    "candidateUser": lambda extras, expected: _any_matches(extras["candidateUsers"], expected),
    "processInstanceVariables": lambda extras, expected: _variables_match(
        extras["processInstanceVariables"], expected
    ),
    "localVariables": lambda extras, expected: _variables_match(extras["localVariables"], expected),
    "tags": lambda extras, expected: _contains_all((), expected),
}
_VIRTUAL: dict[str, dict[str, Virtual]] = {
    "processInstances": _INSTANCE_VIRTUAL,
    "userTasks": _USER_TASK_VIRTUAL,
    "elementInstances": {
        "elementInstanceScopeKey": lambda extras, expected: value_matches(
            extras["scopeKey"], expected
        ),
    },
    "variables": {
        "$scopes": lambda extras, expected: extras["scopeKey"] in expected,
    },
    "processDefinitions": {
        "isLatestVersion": lambda extras, expected: value_matches(extras["latest"], expected),
    },
}
