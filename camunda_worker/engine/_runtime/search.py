"""Search filters, sorting and pages over wire documents, as the search endpoints answer.

A filter maps wire field names to a value (exact match) or to an advanced filter object with
``$eq``, ``$neq``, ``$exists``, ``$in``, ``$notIn``, ``$like`` (``*`` and ``?`` wildcards),
``$gt``, ``$gte``, ``$lt``, ``$lte`` (dates compare as instants); ``$or`` holds a list of filters
of which one must match. Fields that are not in the document (a process instance's
``variables``, a user task's ``candidateGroup``...) are answered by *virtual* filters of the
record kind. Results are sorted by the requested fields, then by key; pages are a limit, an
offset (``from``), or a cursor forward (``after`` the previous page's ``endCursor``) or backward
(``before`` its ``startCursor``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from camunda_worker.engine._runtime.errors import invalid_argument
from camunda_worker.engine._runtime.lines import ServerLine, page

__all__ = [
    "DEFAULT_LIMIT",
    "Query",
    "Row",
    "Virtual",
    "matches",
    "run_query",
    "search",
    "value_matches",
]

T = TypeVar("T")
DEFAULT_LIMIT = 100
_DATE = re.compile(r"^\d{4}-\d\d-\d\dT")
_OPERATORS = frozenset(
    {"$eq", "$neq", "$exists", "$in", "$notIn", "$like", "$gt", "$gte", "$lt", "$lte"}
)

#: One searchable record: its key, its wire document, and what its virtual filters read.
Row = tuple[int, dict[str, Any], Mapping[str, Any]]
#: A virtual filter: (the row's extras, the filter's value) -> whether the row matches.
Virtual = Callable[[Mapping[str, Any], Any], bool]


@attrs.frozen
class Query:
    """A search request, read from its body.

    Attributes:
        filter: the wire filter (``None``: everything).
        sort: ``(field, descending)`` pairs, most significant first.
        limit: the page size (1 to 10,000).
        offset: the ``from`` of offset pagination.
        after: the cursor to continue after.
        before: the cursor to go back before.
    """

    filter: Mapping[str, Any] | None = None
    sort: tuple[tuple[str, bool], ...] = ()
    limit: int = DEFAULT_LIMIT
    offset: int | None = None
    after: str | None = None
    before: str | None = None


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
    """Filter and page records by key into ``{"items": [...], "page": {...}}``.

    Args:
        line: the server line to shape the page as.
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
    rows: list[Row] = [(key_of(record), shape(record), {}) for record in records]
    return run_query(line, rows, Query(filter=filter, limit=limit, after=after))


def run_query(
    line: ServerLine,
    rows: Iterable[Row],
    query: Query,
    virtual: Mapping[str, Virtual] | None = None,
) -> dict[str, Any]:
    """Filter, sort and page rows into a search answer ``{"items": [...], "page": {...}}``.

    Args:
        line: the server line to shape the page as.
        rows: the records, as ``(key, document, extras)``.
        query: what to search.
        virtual: filters on fields the documents do not hold, by field name.

    Raises:
        EngineError: 400 for a malformed cursor, a bad limit or an unsupported filter.
    """
    if not 1 <= query.limit <= 10_000:
        raise invalid_argument(
            f"The value for page.limit is '{query.limit}' but must be between 1 and 10000"
        )
    if sum(value is not None for value in (query.offset, query.after, query.before)) > 1:
        raise invalid_argument("Only one of [from, after, before] is allowed in page")
    virtual = virtual or {}
    conditions = dict(query.filter or {})
    matched = [row for row in rows if matches(row, conditions, virtual)]
    fields = query.sort
    matched.sort(key=functools.cmp_to_key(_row_order(fields)))
    total = len(matched)
    if query.after is not None:
        position = _decode_cursor(query.after)
        matched = [row for row in matched if _compare(_sort_key(row, fields), position) > 0]
        chosen = matched[: query.limit]
    elif query.before is not None:
        position = _decode_cursor(query.before)
        matched = [row for row in matched if _compare(_sort_key(row, fields), position) < 0]
        chosen = matched[-query.limit :]
    else:
        start = query.offset or 0
        chosen = matched[start : start + query.limit]
    answer = page(line, total, None, None)
    if chosen:
        answer["startCursor"] = _cursor(_sort_key(chosen[0], fields))
        answer["endCursor"] = _cursor(_sort_key(chosen[-1], fields))
    return {"items": [document for _, document, _ in chosen], "page": answer}


def matches(row: Row, conditions: Mapping[str, Any], virtual: Mapping[str, Virtual]) -> bool:
    """Whether a row matches every condition of a filter.

    Raises:
        EngineError: 400 for a field neither the document nor a virtual filter knows.
    """
    _, document, extras = row
    for field, expected in conditions.items():
        if field == "$or":
            if not isinstance(expected, list) or not all(isinstance(f, dict) for f in expected):
                raise invalid_argument("The value of '$or' must be an array of filters")
            if expected and not any(matches(row, branch, virtual) for branch in expected):
                return False
            continue
        check = virtual.get(field)
        if check is not None:
            if not check(extras, expected):
                return False
            continue
        if field not in document:
            raise invalid_argument(
                f"Filtering by '{field}' is not supported by the in-memory engine"
            )
        if not _matches(document[field], expected):
            return False
    return True


def _row_order(fields: Sequence[tuple[str, bool]]) -> Callable[[Row, Row], int]:
    def order(a: Row, b: Row) -> int:
        return _compare(_sort_key(a, fields), _sort_key(b, fields))

    return order


def _sort_key(row: Row, fields: Sequence[tuple[str, bool]]) -> list[Any]:
    document = row[1]
    values: list[Any] = [[document.get(name), descending] for name, descending in fields]
    values.append([row[0], False])
    return values


def _compare(left: Sequence[Any], right: Sequence[Any]) -> int:
    for (raw_a, descending), (raw_b, _) in zip(left, right, strict=False):
        a, b = _comparable(raw_a), _comparable(raw_b)
        if a == b:
            continue
        if a is None:  # missing values last, whatever the order
            return 1
        if b is None:
            return -1
        try:
            smaller = a < b
        except TypeError:
            smaller = str(a) < str(b)
        result = -1 if smaller else 1
        return -result if descending else result
    return 0


def _cursor(position: list[Any]) -> str:
    if len(position) == 1:  # sorted by key only: the key itself, as before
        return base64.b64encode(str(position[0][0]).encode("ascii")).decode("ascii")
    text = json.dumps(position, separators=(",", ":"))
    return base64.b64encode(text.encode()).decode("ascii")


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        text = base64.b64decode(cursor, validate=True).decode("utf-8")
        if text.isdigit():
            return [[int(text), False]]
        position = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_argument(f"The cursor '{cursor}' is not valid") from None
    if not isinstance(position, list) or not all(
        isinstance(item, list) and len(item) == 2 for item in position
    ):
        raise invalid_argument(f"The cursor '{cursor}' is not valid")
    return position


def _matches(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, Mapping) or not any(name.startswith("$") for name in expected):
        return bool(_comparable(actual) == _comparable(expected))
    for name, operand in expected.items():
        if name not in _OPERATORS:
            raise invalid_argument(f"The filter operator '{name}' is not supported")
        if not _operator(name, actual, operand):
            return False
    return True


def value_matches(actual: Any, expected: Any) -> bool:
    """Whether a value matches a filter value (exact, or an advanced filter object)."""
    return _matches(actual, expected)


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
