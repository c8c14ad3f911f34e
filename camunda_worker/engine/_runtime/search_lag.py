"""A search lag: searches see a change only some time after the command that made it.

A cluster answers searches from a secondary store its exporter fills shortly after each
command, so a search right after a command may not see it yet. :class:`SearchLag` plays that
exporter: after every engine call (:class:`ObservingLock`) it compares the searchable rows with
the ones it saw last and notes each change with the clock's time; a search at time ``t`` sees
the changes noted at ``t - lag_ms`` or before. Time is the engine's clock, so with a
:class:`~camunda_worker.engine.ManualClock` a test moves past the lag with ``advance()``.

Each engine call then costs a pass over the searchable records: a lag is for test suites, not
for throughput.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from types import TracebackType

from camunda_worker.engine._runtime.search import Row

__all__ = ["ObservingLock", "SearchLag"]


class ObservingLock:
    """The engine's lock, calling ``observe`` (still holding it) before each release.

    Args:
        lock: the lock wrapped (the engine's own: both guard the same state).
        observe: called under the lock at the end of every ``with`` block.
    """

    def __init__(self, lock: AbstractContextManager[bool], observe: Callable[[], None]) -> None:
        self._inner = lock
        self._observe = observe

    def __enter__(self) -> bool:
        return self._inner.__enter__()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._observe()
        finally:
            self._inner.__exit__(kind, error, traceback)


class SearchLag:
    """What searches see: the rows as they were ``lag_ms`` ago on the engine's clock.

    Args:
        lag_ms: the lag in milliseconds (> 0).
    """

    def __init__(self, lag_ms: int) -> None:
        self.lag_ms = lag_ms
        self._seen: dict[str, dict[int, Row]] = {}
        # (time, kind, key, row or None for a record gone), oldest first.
        self._pending: deque[tuple[int, str, int, Row | None]] = deque()
        self._visible: dict[str, dict[int, Row]] = {}

    def observe(self, now_ms: int, rows: Mapping[str, dict[int, Row]]) -> None:
        """Note every change since the last call as made at ``now_ms``."""
        pending = self._pending
        for kind, current in rows.items():
            before = self._seen.get(kind, {})
            for key, row in current.items():
                old = before.get(key)
                if old is None or old[1] != row[1] or old[2] != row[2]:
                    pending.append((now_ms, kind, key, row))
            pending.extend((now_ms, kind, key, None) for key in before.keys() - current.keys())
            self._seen[kind] = current
        self._catch_up(now_ms)  # what is due is applied now: the queue holds only the lag

    def rows(self, kind: str, now_ms: int) -> list[Row]:
        """The rows of a kind a search at ``now_ms`` sees, by key."""
        self._catch_up(now_ms)
        return list(self._visible.get(kind, {}).values())

    def row(self, kind: str, key: int, now_ms: int) -> Row | None:
        """The row of one record a get at ``now_ms`` sees, if any."""
        self._catch_up(now_ms)
        return self._visible.get(kind, {}).get(key)

    def _catch_up(self, now_ms: int) -> None:
        horizon = now_ms - self.lag_ms
        pending = self._pending
        while pending and pending[0][0] <= horizon:
            _, changed_kind, key, row = pending.popleft()
            visible = self._visible.setdefault(changed_kind, {})
            if row is None:
                visible.pop(key, None)
            else:
                visible[key] = row
