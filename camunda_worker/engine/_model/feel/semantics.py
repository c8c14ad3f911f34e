"""FEEL's semantics: scopes, equality, ordering, arithmetic and temporal values, with nulls.

Every operation takes FEEL values (see :mod:`.values`) and returns one; what FEEL leaves
undefined (different types, a null operand, division by zero) is ``None`` and, where Camunda's
FEEL engine reports it, a warning on the running evaluation.
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import re
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any

from camunda_worker.engine._model.feel.errors import FeelWarning
from camunda_worker.engine._model.feel.values import (
    DECIMAL,
    Range,
    YearsMonths,
    from_json,
    is_number,
    render,
)

__all__ = [
    "MISSING",
    "Run",
    "Scope",
    "add",
    "compare",
    "divide",
    "equal",
    "multiply",
    "parse_date",
    "parse_date_time",
    "parse_duration",
    "parse_time",
    "subtract",
]

MISSING: Any = object()
_TEMPORAL = (dt.date, dt.time, dt.timedelta, YearsMonths)


class Run:
    """One evaluation: its warnings and its clock."""

    __slots__ = ("_now", "expression", "warnings")

    def __init__(self, expression: str, now: Callable[[], dt.datetime] | None) -> None:
        self.expression = expression
        self.warnings: list[FeelWarning] = []
        self._now = now

    def warn(self, kind: str, message: str) -> None:
        """Report a warning (FEEL's type, Camunda's text)."""
        self.warnings.append(FeelWarning(kind, message))

    def now(self) -> dt.datetime:
        """The current date and time, from the clock the evaluation was given (UTC otherwise)."""
        if self._now is None:
            return dt.datetime.now(dt.timezone.utc)
        value = self._now()
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


class Scope:
    """A chain of name -> value maps; the outermost holds the engine's (JSON) variables."""

    __slots__ = ("converted", "names", "parent", "raw", "run")

    def __init__(
        self, names: Mapping[str, Any], run: Run, parent: Scope | None = None, *, raw: bool = False
    ) -> None:
        self.names = names
        self.run = run
        self.parent = parent
        self.raw = raw
        # JSON variables converted to FEEL values once per evaluation, on first use.
        self.converted: dict[str, Any] | None = {} if raw else None

    def child(self, names: Mapping[str, Any]) -> Scope:
        """A scope that sees ``names`` first, then this one."""
        return Scope(names, self.run, self)

    def lookup(self, name: str) -> Any:
        """The value of a name, or :data:`MISSING`."""
        scope: Scope | None = self
        while scope is not None:
            converted = scope.converted
            if converted is not None:
                value = converted.get(name, MISSING)
                if value is not MISSING:
                    return value
                value = scope.names.get(name, MISSING)
                if value is not MISSING:
                    value = converted[name] = from_json(value)
                    return value
            else:
                value = scope.names.get(name, MISSING)
                if value is not MISSING:
                    return value
            scope = scope.parent
        return MISSING


# --- equality and ordering --------------------------------------------------------------------


def _kind(value: Any) -> type:
    kind = type(value)
    if kind is dt.datetime or kind is dt.date or kind is dt.time:
        return kind
    if isinstance(value, dt.datetime):
        return dt.datetime
    if isinstance(value, dt.date):
        return dt.date
    return kind


def _same_zone_kind(left: Any, right: Any) -> bool:
    if isinstance(left, dt.datetime | dt.time):
        return (left.tzinfo is None) == (right.tzinfo is None)
    return True


def equal(left: Any, right: Any, run: Run | None = None) -> bool | None:
    """FEEL's ``=``: null equals only null; values of different types are not comparable."""
    if left is None or right is None:
        return left is None and right is None
    kind = _kind(left)
    if kind is not _kind(right) or not _same_zone_kind(left, right):
        if run is not None:
            run.warn("NOT_COMPARABLE", f"Can't compare '{render(left)}' with '{render(right)}'")
        return None
    if kind is list:
        if len(left) != len(right):
            return False
        for a, b in zip(left, right, strict=True):
            same = equal(a, b, run)
            if same is not True:
                return same
        return True
    if kind is dict:
        if left.keys() != right.keys():
            return False
        for key, a in left.items():
            same = equal(a, right[key], run)
            if same is not True:
                return same
        return True
    if kind is dt.datetime or kind is dt.time:
        return _same_moment(left, right)
    return bool(left == right)


def _same_moment(left: dt.datetime | dt.time, right: dt.datetime | dt.time) -> bool:
    """Equality of temporal values as Camunda's (Java's ``equals``) decides it.

    The same instant in another offset or zone is a different value; ``<`` and ``>`` still
    order zoned values by instant.
    """
    if left.tzinfo is None:
        return bool(left == right)
    return (
        left.replace(tzinfo=None) == right.replace(tzinfo=None)
        and left.utcoffset() == right.utcoffset()
        and getattr(left.tzinfo, "key", None) == getattr(right.tzinfo, "key", None)
    )


_ORDERED = (decimal.Decimal, str, dt.date, dt.datetime, dt.time, dt.timedelta, YearsMonths)


def compare(left: Any, right: Any, run: Run | None = None) -> int | None:
    """Order two values: -1, 0 or 1; ``None`` (and a warning) when FEEL cannot order them."""
    kind = _kind(left)
    if kind is not _kind(right) or kind not in _ORDERED or not _same_zone_kind(left, right):
        if run is not None:
            run.warn("NOT_COMPARABLE", f"Can't compare '{render(left)}' with '{render(right)}'")
        return None
    if kind is YearsMonths:
        left, right = left.months, right.months
    return int((left > right) - (left < right))


# --- arithmetic -------------------------------------------------------------------------------


def _add_months(value: dt.date, months: int) -> dt.date:
    total = value.year * 12 + value.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise OverflowError
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def _time_shift(value: dt.time, delta: dt.timedelta) -> dt.time:
    moment = dt.datetime.combine(dt.date(2000, 1, 1), value.replace(tzinfo=None)) + delta
    return moment.time().replace(tzinfo=value.tzinfo)


def _invalid(run: Run | None, operator: str, left: Any, right: Any) -> None:
    # feel-scala's words: "Can't add 'y' to 'x'", "Can't subtract 'y' from 'x'",
    # "Can't multiply 'x' by 'y'", "Can't divide 'x' by 'y'" (null operands and division by
    # zero included).
    if run is None:
        return
    a, b = render(left), render(right)
    text = {
        "add": f"Can't add '{b}' to '{a}'",
        "subtract": f"Can't subtract '{b}' from '{a}'",
        "multiply": f"Can't multiply '{a}' by '{b}'",
        "divide": f"Can't divide '{a}' by '{b}'",
    }[operator]
    run.warn("INVALID_TYPE", text)


def _arithmetic(
    operator: str, compute: Callable[[Any, Any], Any], left: Any, right: Any, run: Run | None
) -> Any:
    """Apply ``compute``; :data:`MISSING` from it (not defined for these types) warns."""
    try:
        result = compute(left, right)
    except (OverflowError, ArithmeticError, ValueError):
        return None
    if result is MISSING:
        _invalid(run, operator, left, right)
        return None
    return result


def _add(left: Any, right: Any) -> Any:
    if is_number(left) and is_number(right):
        return DECIMAL.add(left, right)
    if type(left) is str and type(right) is str:
        return left + right
    if left is None or right is None:
        return MISSING
    return _shift(left, right, 1)


def add(left: Any, right: Any, run: Run | None = None) -> Any:
    """FEEL's ``+``: numbers, strings, durations, and a temporal value plus a duration."""
    return _arithmetic("add", _add, left, right, run)


def _shift(left: Any, right: Any, sign: int) -> Any:
    if isinstance(left, dt.timedelta) and isinstance(right, dt.timedelta):
        return left + right * sign
    if isinstance(left, YearsMonths) and isinstance(right, YearsMonths):
        return YearsMonths(left.months + sign * right.months)
    if sign == 1 and isinstance(left, dt.timedelta | YearsMonths) and isinstance(right, _TEMPORAL):
        left, right = right, left
    if isinstance(right, dt.timedelta):
        if isinstance(left, dt.datetime):
            return left + right * sign
        if isinstance(left, dt.date):
            return (dt.datetime.combine(left, dt.time()) + right * sign).date()
        if isinstance(left, dt.time):
            return _time_shift(left, right * sign)
    if isinstance(right, YearsMonths) and isinstance(left, dt.date):
        return _add_months(left, sign * right.months)
    return MISSING


def _subtract(left: Any, right: Any) -> Any:
    if is_number(left) and is_number(right):
        return DECIMAL.subtract(left, right)
    if left is None or right is None:
        return MISSING
    if _kind(left) is _kind(right) and isinstance(left, dt.date | dt.time):
        if not _same_zone_kind(left, right):
            return MISSING
        if isinstance(left, dt.datetime):
            return left - right
        if isinstance(left, dt.date):
            return dt.timedelta(days=(left - right).days)
        base = dt.date(2000, 1, 1)
        return dt.datetime.combine(base, left) - dt.datetime.combine(base, right)
    return _shift(left, right, -1)


def subtract(left: Any, right: Any, run: Run | None = None) -> Any:
    """FEEL's ``-``: numbers, durations, a temporal value minus a duration or minus another."""
    return _arithmetic("subtract", _subtract, left, right, run)


def _multiply(left: Any, right: Any) -> Any:
    if is_number(left) and is_number(right):
        return DECIMAL.multiply(left, right)
    duration, factor = (right, left) if is_number(left) else (left, right)
    if is_number(factor):
        if isinstance(duration, dt.timedelta):
            return dt.timedelta(microseconds=int(_micros(duration) * factor))
        if isinstance(duration, YearsMonths):
            return YearsMonths(int(duration.months * factor))
    return MISSING


def multiply(left: Any, right: Any, run: Run | None = None) -> Any:
    """FEEL's ``*``: numbers, and a duration times a number."""
    return _arithmetic("multiply", _multiply, left, right, run)


def _micros(value: dt.timedelta) -> decimal.Decimal:
    return decimal.Decimal(value // dt.timedelta(microseconds=1))


def _divide(left: Any, right: Any) -> Any:
    zero = (is_number(right) and right == 0) or right == dt.timedelta(0)
    if zero or (isinstance(right, YearsMonths) and not right.months):
        return MISSING
    if is_number(left) and is_number(right):
        return DECIMAL.divide(left, right)
    if isinstance(left, dt.timedelta):
        if is_number(right):
            return dt.timedelta(microseconds=int(_micros(left) / right))
        if isinstance(right, dt.timedelta):
            return DECIMAL.divide(_micros(left), _micros(right))
    if isinstance(left, YearsMonths):
        if is_number(right):
            return YearsMonths(int(left.months / right))
        if isinstance(right, YearsMonths):
            return DECIMAL.divide(decimal.Decimal(left.months), decimal.Decimal(right.months))
    return MISSING


def divide(left: Any, right: Any, run: Run | None = None) -> Any:
    """FEEL's ``/``: numbers, a duration by a number or by a duration; by zero is null."""
    return _arithmetic("divide", _divide, left, right, run)


def power(left: Any, right: Any) -> Any:
    """FEEL's ``**`` on numbers (a whole exponent, or any for a positive base)."""
    if not (is_number(left) and is_number(right)):
        return None
    try:
        return DECIMAL.power(left, right)
    except (OverflowError, ArithmeticError, ValueError):
        return None


def negate(value: Any) -> Any:
    """FEEL's unary ``-``."""
    if is_number(value):
        return DECIMAL.minus(value)
    if isinstance(value, dt.timedelta):
        return -value
    if isinstance(value, YearsMonths):
        return YearsMonths(-value.months)
    return None


def in_range(value: Any, bounds: Range, run: Run | None = None) -> bool | None:
    """Whether a value lies in a range (``None`` when it cannot be compared with an end)."""
    if bounds.start is not None:
        order = compare(value, bounds.start, run)
        if order is None:
            return None
        if order < 0 or (order == 0 and not bounds.start_included):
            return False
    if bounds.end is not None:
        order = compare(value, bounds.end, run)
        if order is None:
            return None
        if order > 0 or (order == 0 and not bounds.end_included):
            return False
    return True


# --- temporal values from text ----------------------------------------------------------------

_DATE = re.compile(r"(-?\d{4,9})-(\d{2})-(\d{2})")
_TIME = re.compile(
    r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(?:(Z)|([+-]\d{2}:\d{2}(?::\d{2})?)|@([A-Za-z][A-Za-z0-9_+\-/]*))?"
    r"(?:\[([A-Za-z][A-Za-z0-9_+\-/]*)\])?"
)
_DAY_TIME = re.compile(
    r"(-)?P(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.ASCII
)
_YEAR_MONTH = re.compile(r"(-)?P(?=\d)(?:(\d+)Y)?(?:(\d+)M)?", re.ASCII)


def _zone(offset: str | None, zulu: str | None, name: str | None) -> dt.tzinfo | None:
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(name) from None
    if zulu:
        return dt.timezone.utc
    if offset:
        sign = -1 if offset[0] == "-" else 1
        parts = [int(part) for part in offset[1:].split(":")]
        hours, minutes = parts[0], parts[1]
        seconds = parts[2] if len(parts) > 2 else 0
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes, seconds=seconds))
    return None


def parse_date(text: str) -> dt.date | None:
    """A date from ``YYYY-MM-DD`` (``None`` when it is not one)."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _time_parts(match: re.Match[str]) -> dt.time:
    fraction = (match[4] or "").ljust(6, "0")[:6]
    zone = _zone(match[6], match[5], match[7] or match[8])
    return dt.time(
        int(match[1]), int(match[2]), int(match[3] or 0), int(fraction or 0), tzinfo=zone
    )


def parse_time(text: str) -> dt.time | None:
    """A time from ``hh:mm:ss[.fff][Z|±hh:mm|@Zone]`` (``None`` when it is not one)."""
    match = _TIME.fullmatch(text[1:] if text.startswith("T") else text)
    if match is None:
        return None
    try:
        return _time_parts(match)
    except ValueError:
        return None


def parse_date_time(text: str) -> dt.datetime | dt.date | None:
    """A date and time from ISO 8601 (a date alone gives midnight; ``None`` when invalid)."""
    day_text, separator, time_text = text.partition("T")
    day = parse_date(day_text)
    if day is None:
        return None
    if not separator:
        return dt.datetime.combine(day, dt.time())
    match = _TIME.fullmatch(time_text)
    if match is None:
        return None
    try:
        time = _time_parts(match)
    except ValueError:
        return None
    moment = dt.datetime.combine(day, time.replace(tzinfo=None))
    return moment.replace(tzinfo=time.tzinfo)


def parse_duration(text: str) -> dt.timedelta | YearsMonths | None:
    """A duration from ISO 8601: ``P1DT2H30M`` (days and time) or ``P1Y2M`` (years and months)."""
    match = _YEAR_MONTH.fullmatch(text)
    if match is not None:
        months = int(match[2] or 0) * 12 + int(match[3] or 0)
        return YearsMonths(-months if match[1] else months)
    match = _DAY_TIME.fullmatch(text)
    if match is None or text in ("P", "-P") or text.endswith("T"):
        return None
    seconds = decimal.Decimal(match[5] or 0)
    delta = dt.timedelta(
        days=int(match[2] or 0),
        hours=int(match[3] or 0),
        minutes=int(match[4] or 0),
        microseconds=int(seconds * 1_000_000),
    )
    return -delta if match[1] else delta
