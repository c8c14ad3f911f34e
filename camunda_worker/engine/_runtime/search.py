"""Search filters and cursor pages over wire documents (jobs, process instances).

A filter maps wire field names to a value (exact match) or to an advanced filter object with
``$eq``, ``$neq``, ``$exists``, ``$in``, ``$notIn``, ``$like`` (``*`` and ``?`` wildcards),
``$gt``, ``$gte``, ``$lt``, ``$lte`` (dates compare as instants). Results are sorted by key,
ascending, unless a ``sort`` gives fields (``ASC`` or ``DESC``; absent values last, ties by key).
Pages go forward with the ``after`` cursor of the previous page's ``endCursor``, backward with
``before`` (its ``startCursor``), or by offset with ``from``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from camunda_worker.engine._runtime.errors import invalid_argument
from camunda_worker.engine._runtime.lines import ServerLine, page

__all__ = ["search"]

T = TypeVar("T")
_DATE = re.compile(r"^\d{4}-\d\d-\d\dT")
_OPERATORS = frozenset(
    {"$eq", "$neq", "$exists", "$in", "$notIn", "$like", "$gt", "$gte", "$lt", "$lte"}
)


def search(
    line: ServerLine,
    records: Iterable[T],
    key_of: Callable[[T], int],
    shape: Callable[[T], dict[str, Any]],
    filter: Mapping[str, Any] | None,
    limit: int,
    after: str | None,
    *,
    before: str | None = None,
    offset: int = 0,
    sort: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Filter, sort and page records into a search answer ``{"items": [...], "page": {...}}``.

    Args:
        line: the server line to shape items and page as.
        records: the records to search.
        key_of: a record's key.
        shape: a record's wire document.
        filter: the wire filter, or ``None`` for all.
        limit: the page size (1 to 10,000).
        after: the cursor to continue after, or ``None`` for the first page.
        before: the cursor to page back from (the ``limit`` items before it).
        offset: how many matching items to skip (``page.from``).
        sort: ``{"field": ..., "order": "ASC" | "DESC"}`` criteria, first one first.

    Raises:
        EngineError: 400 for a malformed cursor, a bad limit or an unsupported filter.
    """
    if not 1 <= limit <= 10_000:
        raise invalid_argument(
            f"The value for page.limit is '{limit}' but must be between 1 and 10000"
        )
    start_after = _decode_cursor(after) if after is not None else None
    end_before = _decode_cursor(before) if before is not None else None
    conditions = dict(filter or {})
    matched: list[tuple[int, dict[str, Any]]] = []
    for record in records:
        document = shape(record)
        for field in conditions:
            if field not in document:
                raise invalid_argument(
                    f"Filtering by '{field}' is not supported by the in-memory engine"
                )
        if all(_matches(document[field], expected) for field, expected in conditions.items()):
            matched.append((key_of(record), document))
    matched.sort(key=lambda pair: pair[0])
    for criterion in reversed(sort):
        matched = _sorted(matched, str(criterion.get("field")), criterion.get("order") == "DESC")
    total = len(matched)
    if start_after is not None:
        matched = matched[_position(matched, start_after, bool(sort)) :]
    elif end_before is not None:
        matched = matched[: _position(matched, end_before, bool(sort), before=True)][-limit:]
    elif offset:
        matched = matched[offset:]
    chosen = matched[:limit]
    first = chosen[0][0] if chosen else None
    last = chosen[-1][0] if chosen else None
    return {"items": [document for _, document in chosen], "page": page(line, total, first, last)}


def _sorted(
    matched: list[tuple[int, dict[str, Any]]], field: str, descending: bool
) -> list[tuple[int, dict[str, Any]]]:
    # Stable, so earlier criteria (applied last) win and ties keep the key order.
    present = [pair for pair in matched if pair[1].get(field) is not None]
    missing = [pair for pair in matched if pair[1].get(field) is None]
    present.sort(key=lambda pair: _sort_value(pair[1][field]), reverse=descending)
    return present + missing


def _sort_value(value: Any) -> Any:
    if isinstance(value, str) and value.isdigit():
        return (0, int(value), "")  # keys are strings of digits: compare them as numbers
    if isinstance(value, (bool, int, float)):
        return (0, value, "")
    return (1, 0, str(_comparable(value)))


def _position(
    matched: list[tuple[int, dict[str, Any]]], key: int, sorted_: bool, *, before: bool = False
) -> int:
    # Where a cursor's item is (after it, or at it for ``before``); by key when it is gone.
    for index, (candidate, _) in enumerate(matched):
        if candidate == key:
            return index if before else index + 1
    if sorted_:
        return 0 if not before else len(matched)
    for index, (candidate, _) in enumerate(matched):
        if candidate > key:
            return index
    return len(matched)


def _decode_cursor(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor, validate=True).decode("ascii"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_argument(f"The cursor '{cursor}' is not valid") from None


def _matches(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, Mapping) or not any(name.startswith("$") for name in expected):
        return bool(_comparable(actual) == _comparable(expected))
    for name, operand in expected.items():
        if name not in _OPERATORS:
            raise invalid_argument(f"The filter operator '{name}' is not supported")
        if not _operator(name, actual, operand):
            return False
    return True


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}


def _operator(name: str, actual: Any, operand: Any) -> bool:
    if name == "$exists":
        return (actual is not None) == bool(operand)
    if name in ("$in", "$notIn"):
        if not isinstance(operand, list):
            raise invalid_argument(f"The value of '{name}' must be an array")
        found = _comparable(actual) in [_comparable(value) for value in operand]
        return found if name == "$in" else not found
    if name == "$like":
        return isinstance(actual, str) and _like(str(operand)).fullmatch(actual) is not None
    left, right = _comparable(actual), _comparable(operand)
    if name in ("$eq", "$neq"):
        return bool(left == right) == (name == "$eq")
    return _ordered(name, left, right)


def _ordered(name: str, left: Any, right: Any) -> bool:
    if left is None or right is None or type(left) is not type(right):
        return False
    try:
        return bool(_ORDERINGS[name](left, right))
    except TypeError:
        return False


def _comparable(value: Any) -> Any:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _like(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)
