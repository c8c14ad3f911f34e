"""FEEL's values in Python, and their conversion from and to the engine's JSON variables.

FEEL type            Python value
-------------------  ---------------------------------------------------------------
null                 ``None``
boolean              ``bool``
number               ``decimal.Decimal`` (34 significant digits, as DMN's decimal128)
string               ``str``
list                 ``list``
context              ``dict`` (string keys, in insertion order)
date                 ``datetime.date``
time                 ``datetime.time`` (naive = local time, or with an offset / zone)
date and time        ``datetime.datetime`` (naive = local, or with an offset / zone)
days and time dur.   ``datetime.timedelta``
years and months d.  :class:`YearsMonths`
range                :class:`Range`
function             :class:`Function`
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = [
    "DECIMAL",
    "Function",
    "Range",
    "YearsMonths",
    "feel_type",
    "from_json",
    "is_number",
    "render",
    "to_json",
]

#: The arithmetic context of FEEL numbers: decimal128 precision, half-even rounding.
DECIMAL = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, Emax=6144, Emin=-6143)


@attrs.frozen
class YearsMonths:
    """A years-and-months duration, kept as a whole number of months."""

    months: int

    def iso(self) -> str:
        """ISO 8601, as Camunda's FEEL writes it (``P1Y2M``, ``-P3M``, ``P0Y``)."""
        if not self.months:
            return "P0Y"
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        return f"{sign}P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "")


@attrs.frozen
class Range:
    """A FEEL range (``[1..10]``, ``(a..b]``, ``> 5``); an open end is ``None``."""

    start: Any
    start_included: bool
    end: Any
    end_included: bool


@attrs.frozen
class Function:
    """A FEEL function value: a built-in or one defined by ``function(a, b) body``.

    Attributes:
        name: the name for messages.
        parameters: the parameter names (``None`` for a variadic built-in).
        call: the Python callable, called with the positional arguments.
    """

    name: str
    parameters: tuple[str, ...] | None
    call: Callable[..., Any] = attrs.field(eq=False, repr=False)


def is_number(value: Any) -> bool:
    """True for a FEEL number (a ``Decimal``; booleans are not numbers)."""
    return type(value) is decimal.Decimal


def feel_type(value: Any) -> str:
    """The FEEL type name of a value, as ``instance of`` and messages spell it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, decimal.Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, dt.timedelta):
        return "days and time duration"
    if isinstance(value, YearsMonths):
        return "years and months duration"
    if isinstance(value, Range):
        return "range"
    if isinstance(value, Function):
        return "function"
    return "Any"


def from_json(value: Any) -> Any:
    """Turn an engine variable (JSON-shaped Python) into a FEEL value.

    Integers and floats become ``Decimal`` (a float through its shortest ``repr``, so ``0.1``
    is the decimal 0.1); lists and objects are converted deeply; other values pass unchanged.
    """
    kind = type(value)
    if kind is str or value is None or kind is bool or kind is decimal.Decimal:
        return value
    if kind is int:
        return decimal.Decimal(value)
    if kind is float:
        if math.isnan(value) or math.isinf(value):
            return None
        return decimal.Decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(key): from_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [from_json(item) for item in value]
    return value


def to_json(value: Any) -> Any:
    """Turn a FEEL value into what the engine stores as a variable, as Zeebe does.

    A whole number becomes an ``int``, any other number a ``float``; temporal values and
    durations become their ISO 8601 strings; a function or range becomes ``None``.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, decimal.Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, dt.datetime):
        return f"{value.date().isoformat()}T{_time_text(value)}{_zone_suffix(value, feel=False)}"
    if isinstance(value, dt.time):
        if value.tzinfo is None:
            return _java_local_time(value)
        return _time_text(value) + _zone_suffix(value, feel=False)
    if isinstance(value, dt.date | dt.timedelta | YearsMonths):
        return render_string(value)
    return None


def _java_local_time(value: dt.time) -> str:
    """A local time as Zeebe stores it (Java's ``LocalTime.toString``: ``08:00``, ``08:00:30``)."""
    text = f"{value.hour:02d}:{value.minute:02d}"
    if value.second or value.microsecond:
        text += f":{value.second:02d}"
    if value.microsecond:
        text += (
            f".{value.microsecond // 1000:03d}"
            if not value.microsecond % 1000
            else (f".{value.microsecond:06d}")
        )
    return text


def render_string(value: Any) -> str:
    """FEEL's ``string()`` of a value (strings as they are, everything else as rendered)."""
    return value if isinstance(value, str) else render(value)


def format_number(value: decimal.Decimal) -> str:
    """A number as FEEL writes it: plain notation, no trailing zeros after the point."""
    if value == value.to_integral_value():
        # Not quantize(): a whole number of more than 34 digits would not fit the context.
        return format(value.to_integral_value(), "f")
    return format(value.normalize(DECIMAL), "f")


def _zone_suffix(value: dt.datetime | dt.time, *, feel: bool) -> str:
    """``@Europe/Berlin`` (FEEL's string()) or ``+02:00[Europe/Berlin]`` (ISO, as Java writes)."""
    zone = value.tzinfo
    if zone is None:
        return ""
    key = getattr(zone, "key", None)
    if key and feel:
        return f"@{key}"
    offset = value.utcoffset() if isinstance(value, dt.datetime) else zone.utcoffset(None)
    text = _offset_text(offset)
    return f"{text}[{key}]" if key else text


def _offset_text(offset: dt.timedelta | None) -> str:
    if offset is None:
        return ""
    if not offset:
        return "Z"
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


def _time_text(value: dt.time | dt.datetime) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def iso_duration(value: dt.timedelta) -> str:
    """A days-and-time duration as Camunda's FEEL writes it (``P1DT2H``, ``-PT5M``, ``P0D``).

    As feel-scala does, whole seconds only: a fraction of a second is not written.
    """
    micros = value // dt.timedelta(microseconds=1)
    sign = "-" if micros < 0 else ""
    seconds_total = abs(micros) // 1_000_000
    days, rest = divmod(seconds_total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if not (days or hours or minutes or seconds):
        return "P0D"
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    time += f"{seconds}S" if seconds else ""
    return f"{sign}P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'["\\\n\r\t]')


def quote(text: str) -> str:
    """A string as a FEEL string literal."""
    return '"' + _NEEDS_ESCAPE.sub(lambda match: _STRING_ESCAPES[match.group()], text) + '"'


def render(value: Any) -> str:
    """A FEEL value as FEEL writes it (in ``string()`` and in messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, decimal.Decimal):
        return format_number(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}:{render(item)}" for key, item in value.items()) + "}"
    if isinstance(value, dt.datetime):
        return f"{value.date().isoformat()}T{_time_text(value)}{_zone_suffix(value, feel=True)}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _time_text(value) + _zone_suffix(value, feel=True)
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    if isinstance(value, YearsMonths):
        return value.iso()
    if isinstance(value, Range):
        start = "(" if not value.start_included else "["
        end = ")" if not value.end_included else "]"
        return f"{start}{render(value.start)}..{render(value.end)}{end}"
    if isinstance(value, Function):
        return f"function {value.name}"
    return str(value)
