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

from collections.abc import Mapping, Sequence
from typing import Any

from camunda_worker.engine._runtime.clock import Clock, SystemClock
from camunda_worker.engine._runtime.commands import EngineBase, parse_key
from camunda_worker.engine._runtime.errors import invalid_argument, not_found
from camunda_worker.engine._runtime.instances import ElementInstance
from camunda_worker.engine._runtime.lines import ServerLine
from camunda_worker.engine._runtime.query_filters import VIRTUAL
from camunda_worker.engine._runtime.query_rows import RecordRows
from camunda_worker.engine._runtime.read_models import call_hierarchy_entry
from camunda_worker.engine._runtime.search import Query, Row, run_query
from camunda_worker.engine._runtime.search_lag import ObservingLock, SearchLag

__all__ = ["KINDS", "EngineQueries"]

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
        self._record_rows = RecordRows(self._machine)
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
        return {kind: {row[0]: row for row in self._record_rows.of(kind)} for kind in KINDS}

    def _rows(self, kind: str) -> list[Row]:
        lag = self._lag
        if lag is None:
            return self._record_rows.of(kind)
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
            return run_query(self._machine.line, self._rows(kind), query, VIRTUAL.get(kind))

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
                row = next(
                    (row for row in self._record_rows.of(kind, number) if row[0] == number), None
                )
            if row is not None:
                document = dict(row[1])
                if kind == "variables":
                    document.pop("isTruncated", None)
                return document
        raise not_found(f"{_NAMES[kind]} with key '{number}' not found")

    def search_instance_incidents(self, process_instance_key: str, **query: Any) -> dict[str, Any]:
        """Search the incidents of a process instance and of the instances it called.

        Raises:
            EngineError: 404 when the instance is unknown.
        """
        self.get_record("processInstances", process_instance_key)
        conditions = dict(query.pop("filter", None) or {})
        conditions["$instances"] = self.called_instances(int(process_instance_key))
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
        """The call hierarchy of a process instance: the root first, down to the instance itself.

        Ancestors dropped by the retention end the list early (at the oldest one still held).
        """
        found = self.get_record("processInstances", process_instance_key)
        key: int | None = int(found["processInstanceKey"])
        chain: list[dict[str, Any]] = []
        with self._lock:
            instances = self._machine.instances
            while key is not None and (instance := instances.get(key)) is not None:
                chain.append(call_hierarchy_entry(key, instance.definition))
                key = instance.parent_instance_key
        if not chain:
            raise not_found(f"Process instance with key '{process_instance_key}' not found")
        return chain[::-1]

    def called_instances(self, process_instance_key: int) -> list[str]:
        """The keys of a process instance and of every instance it called, at any depth."""
        with self._lock:
            children: dict[int, list[int]] = {}
            for instance in self._machine.instances.values():
                if instance.parent_instance_key is not None:
                    children.setdefault(instance.parent_instance_key, []).append(instance.key)
        found, todo = [], [process_instance_key]
        while todo:
            key = todo.pop()
            found.append(str(key))
            todo.extend(children.get(key, ()))
        return found

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
