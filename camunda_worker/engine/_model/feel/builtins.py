"""FEEL's built-in functions (DMN 1.3 chapter 10.3.4 and Camunda's extensions) and properties.

Each built-in is registered with its parameter names, so that it can be called with positional
or named arguments (``substring(string: "abc", start position: 2)``). A built-in called with
arguments it does not accept evaluates to null with a ``FUNCTION_INVOCATION_FAILURE`` warning,
as in Camunda's FEEL engine.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import re
import uuid
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from camunda_worker.engine._model.feel.errors import FeelEvaluationError, with_warnings
from camunda_worker.engine._model.feel.semantics import (
    Run,
    compare,
    equal,
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
)
from camunda_worker.engine._model.feel.values import (
    DECIMAL,
    Function,
    Range,
    YearsMonths,
    format_number,
    from_json,
    is_number,
    render,
    render_string,
    to_json,
)

__all__ = [
    "BUILTINS",
    "Builtin",
    "IllegalArgumentsError",
    "call_function",
    "property_names",
    "property_of",
]


class IllegalArgumentsError(Exception):
    """Raised by a built-in that cannot work with its arguments (becomes null and a warning)."""


@attrs.frozen
class Builtin:
    """One signature of a built-in function."""

    name: str
    parameters: tuple[str, ...]
    required: int
    variadic: bool
    impl: Callable[..., Any] = attrs.field(eq=False, repr=False)

    def accepts(self, count: int) -> bool:
        """Whether this signature takes ``count`` positional arguments."""
        return count >= self.required and (self.variadic or count <= len(self.parameters))


BUILTINS: dict[str, list[Builtin]] = {}


_Impl = TypeVar("_Impl", bound=Callable[..., Any])


def _builtin(name: str, *parameters: str) -> Callable[[_Impl], _Impl]:
    """Register ``impl(run, *args)`` under ``name``; ``x?`` is optional, ``*xs`` variadic."""

    def register(impl: _Impl) -> _Impl:
        names = tuple(parameter.strip("?*") for parameter in parameters)
        required = sum(1 for parameter in parameters if not parameter.endswith("?"))
        variadic = bool(parameters) and parameters[-1].startswith("*")
        if variadic:
            required -= 1
        BUILTINS.setdefault(name, []).append(Builtin(name, names, required, variadic, impl))
        return impl

    return register


def call_function(function: Function, run: Run, arguments: list[Any]) -> Any:
    """Call a function value (user-defined or built-in), null and a warning when it fails."""
    try:
        return function.call(run, *arguments)
    except FeelEvaluationError:
        raise
    except (
        IllegalArgumentsError,
        TypeError,
        ValueError,
        ArithmeticError,
        OverflowError,
        IndexError,
    ):
        shown = ", ".join(f"'{render(argument)}'" for argument in arguments)
        run.warn(
            "FUNCTION_INVOCATION_FAILURE",
            f"Failed to invoke function '{function.name}': Illegal arguments: {shown}",
        )
        return None


# --- argument checks --------------------------------------------------------------------------


def _number(value: Any) -> decimal.Decimal:
    if not is_number(value):
        raise IllegalArgumentsError
    result: decimal.Decimal = value
    return result


def _integer(value: Any) -> int:
    number = _number(value)
    if number != number.to_integral_value():
        raise IllegalArgumentsError
    return int(number)


def _string(value: Any) -> str:
    if type(value) is not str:
        raise IllegalArgumentsError
    result: str = value
    return result


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise IllegalArgumentsError
    result: list[Any] = value
    return result


def _context(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise IllegalArgumentsError
    result: dict[str, Any] = value
    return result


def _items(values: tuple[Any, ...]) -> list[Any]:
    """The arguments of ``min(1, 2)`` or ``min([1, 2])``: the list they stand for."""
    if len(values) == 1 and type(values[0]) is list:
        items: list[Any] = values[0]
        return items
    return list(values)


def _numbers(values: tuple[Any, ...]) -> list[decimal.Decimal]:
    return [_number(item) for item in _items(values)]


def _decimal(value: int | str) -> decimal.Decimal:
    return decimal.Decimal(value)


# --- conversion -------------------------------------------------------------------------------


@_builtin("string", "from")
def _to_string(run: Run, value: Any) -> Any:
    return None if value is None else render_string(value)


_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@_builtin("number", "from", "grouping separator?", "decimal separator?")
def _to_number(run: Run, text: Any, grouping: Any = None, separator: Any = None) -> Any:
    if is_number(text):
        return text
    text = _string(text)
    if grouping is not None:
        text = text.replace(_string(grouping), "")
    if separator is not None:
        text = text.replace(_string(separator), ".")
    if not _NUMBER_TEXT.fullmatch(text.strip()):
        raise IllegalArgumentsError
    return DECIMAL.create_decimal(text.strip())


@_builtin("is defined", "value")
def _is_defined(run: Run, value: Any) -> bool:
    return value is not None


@_builtin("get or else", "value", "default")
def _get_or_else(run: Run, value: Any, default: Any) -> Any:
    return default if value is None else value


@_builtin("not", "negand")
def _not(run: Run, value: Any) -> Any:
    return (not value) if isinstance(value, bool) else None


@_builtin("assert", "value", "condition", "cause?")
def _assert(run: Run, value: Any, condition: Any, cause: Any = None) -> Any:
    if condition is True:
        return value
    reason = "The condition is not fulfilled" if cause is None else render_string(cause)
    run.warn("ASSERT_FAILURE", reason)
    message = f"Assertion failure on evaluate the expression '{run.expression}': {reason}"
    warnings = tuple(run.warnings)
    raise FeelEvaluationError(with_warnings(message, warnings), warnings)


@_builtin("fromAi", "value", "description?", "type?", "schema?", "options?")
def _from_ai(
    run: Run,
    value: Any,
    description: Any = None,
    kind: Any = None,
    schema: Any = None,
    options: Any = None,
) -> Any:
    # Camunda's AI agent tools declare their parameters with fromAi(); evaluated, it is the value.
    return value


def _json_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if is_number(value):
        return format_number(value)
    if isinstance(value, list):
        return "[" + ",".join(_json_text(item) for item in value) + "]"
    if isinstance(value, dict):
        entries = (
            f"{json.dumps(key, ensure_ascii=False)}:{_json_text(item)}"
            for key, item in value.items()
        )
        return "{" + ",".join(entries) + "}"
    stored = to_json(value)
    return json.dumps(render(value) if stored is None else stored, ensure_ascii=False)


@_builtin("to json", "value")
def _to_json(run: Run, value: Any) -> str:
    return _json_text(value)


@_builtin("from json", "json")
def _from_json(run: Run, text: Any) -> Any:
    if text is None:
        return None
    try:
        parsed = json.loads(_string(text), parse_float=decimal.Decimal, parse_int=decimal.Decimal)
    except ValueError:
        raise IllegalArgumentsError from None
    return from_json(parsed)


# --- strings ----------------------------------------------------------------------------------


@_builtin("substring", "string", "start position", "length?")
def _substring(run: Run, text: Any, start: Any, length: Any = None) -> str:
    string, first = _string(text), _integer(start)
    if first == 0:
        raise IllegalArgumentsError
    index = first - 1 if first > 0 else max(len(string) + first, 0)
    if length is None:
        return string[index:]
    return string[index : index + max(_integer(length), 0)]


@_builtin("string length", "string")
def _string_length(run: Run, text: Any) -> decimal.Decimal:
    return _decimal(len(_string(text)))


@_builtin("upper case", "string")
def _upper_case(run: Run, text: Any) -> str:
    return _string(text).upper()


@_builtin("lower case", "string")
def _lower_case(run: Run, text: Any) -> str:
    return _string(text).lower()


@_builtin("substring before", "string", "match")
def _substring_before(run: Run, text: Any, match: Any) -> str:
    text, match = _string(text), _string(match)
    index = text.find(match)
    return "" if index < 0 else text[:index]


@_builtin("substring after", "string", "match")
def _substring_after(run: Run, text: Any, match: Any) -> str:
    text, match = _string(text), _string(match)
    index = text.find(match)
    return "" if index < 0 else text[index + len(match) :]


@_builtin("contains", "string", "match")
def _contains(run: Run, text: Any, match: Any) -> bool:
    return _string(match) in _string(text)


@_builtin("starts with", "string", "match")
def _starts_with(run: Run, text: Any, match: Any) -> bool:
    return _string(text).startswith(_string(match))


@_builtin("ends with", "string", "match")
def _ends_with(run: Run, text: Any, match: Any) -> bool:
    return _string(text).endswith(_string(match))


_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}


def _pattern(pattern: Any, flags: Any) -> re.Pattern[str]:
    text = _string(pattern)
    options = 0
    for flag in "" if flags is None else _string(flags):
        if flag == "q":
            text = re.escape(text)
        elif flag in _FLAGS:
            options |= _FLAGS[flag]
        else:
            raise IllegalArgumentsError
    try:
        return re.compile(text, options)
    except re.error:
        raise IllegalArgumentsError from None


def _replacement(text: str) -> str:
    r"""An XPath replacement (``$1``, ``\\$``) as a Python one (``\\g<1>``)."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in "\\$":
            out.append("\\\\" if text[index + 1] == "\\" else "$")
            index += 2
        elif char == "$":
            digits = re.match(r"\d+", text[index + 1 :])
            if digits is None:
                raise IllegalArgumentsError
            out.append(f"\\g<{digits.group()}>")
            index += 1 + len(digits.group())
        else:
            out.append("\\\\" if char == "\\" else char)
            index += 1
    return "".join(out)


@_builtin("replace", "input", "pattern", "replacement", "flags?")
def _replace(run: Run, text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str:
    compiled = _pattern(pattern, flags)
    try:
        return compiled.sub(_replacement(_string(replacement)), _string(text))
    except (re.error, IndexError):
        raise IllegalArgumentsError from None


@_builtin("matches", "input", "pattern", "flags?")
def _matches(run: Run, text: Any, pattern: Any, flags: Any = None) -> bool:
    return _pattern(pattern, flags).search(_string(text)) is not None


@_builtin("split", "string", "delimiter")
def _split(run: Run, text: Any, delimiter: Any) -> list[str]:
    return _pattern(delimiter, None).split(_string(text))


@_builtin("extract", "string", "pattern")
def _extract(run: Run, text: Any, pattern: Any) -> list[str]:
    return [match.group() for match in _pattern(pattern, None).finditer(_string(text))]


@_builtin("string join", "list", "delimiter?", "prefix?", "suffix?")
def _string_join(
    run: Run, items: Any, delimiter: Any = None, prefix: Any = None, suffix: Any = None
) -> str:
    parts = [_string(item) for item in _list(items) if item is not None]
    joined = ("" if delimiter is None else _string(delimiter)).join(parts)
    return (
        ("" if prefix is None else _string(prefix))
        + joined
        + ("" if suffix is None else _string(suffix))
    )


@_builtin("trim", "string")
def _trim(run: Run, text: Any) -> str:
    return _string(text).strip()


@_builtin("is blank", "string")
def _is_blank(run: Run, text: Any) -> bool:
    return not _string(text).strip()


@_builtin("uuid")
def _uuid(run: Run) -> str:
    return str(uuid.uuid4())


@_builtin("to base64", "value")
def _to_base64(run: Run, text: Any) -> str:
    return base64.b64encode(_string(text).encode()).decode()


@_builtin("from base64", "value")
def _from_base64(run: Run, text: Any) -> str:
    return base64.b64decode(_string(text), validate=True).decode()


# --- lists ------------------------------------------------------------------------------------


@_builtin("list contains", "list", "element")
def _list_contains(run: Run, items: Any, element: Any) -> bool:
    return any(equal(item, element) is True for item in _list(items))


@_builtin("count", "*list")
def _count(run: Run, *items: Any) -> decimal.Decimal:
    return _decimal(len(_items(items)))


def _extreme(items: list[Any], sign: int) -> Any:
    if not items:
        return None
    best = items[0]
    for item in items[1:]:
        order = compare(item, best)
        if order is None:
            raise IllegalArgumentsError
        if order * sign > 0:
            best = item
    return best


@_builtin("min", "*list")
def _min(run: Run, *items: Any) -> Any:
    return _extreme(_items(items), -1)


@_builtin("max", "*list")
def _max(run: Run, *items: Any) -> Any:
    return _extreme(_items(items), 1)


@_builtin("sum", "*list")
def _sum(run: Run, *items: Any) -> Any:
    numbers = _numbers(items)
    if not numbers:
        return None
    total = decimal.Decimal(0)
    for number in numbers:
        total = DECIMAL.add(total, number)
    return total


@_builtin("product", "*list")
def _product(run: Run, *items: Any) -> Any:
    numbers = _numbers(items)
    if not numbers:
        return None
    total = decimal.Decimal(1)
    for number in numbers:
        total = DECIMAL.multiply(total, number)
    return total


@_builtin("mean", "*list")
def _mean(run: Run, *items: Any) -> Any:
    numbers = _numbers(items)
    if not numbers:
        return None
    return DECIMAL.divide(_sum(run, numbers), _decimal(len(numbers)))


@_builtin("median", "*list")
def _median(run: Run, *items: Any) -> Any:
    numbers = sorted(_numbers(items))
    if not numbers:
        return None
    middle = len(numbers) // 2
    if len(numbers) % 2:
        return numbers[middle]
    return DECIMAL.divide(DECIMAL.add(numbers[middle - 1], numbers[middle]), _decimal(2))


@_builtin("stddev", "*list")
def _stddev(run: Run, *items: Any) -> Any:
    numbers = _numbers(items)
    if len(numbers) < 2:
        return None
    mean = DECIMAL.divide(sum(numbers, decimal.Decimal(0)), _decimal(len(numbers)))
    squares = sum((DECIMAL.power(number - mean, 2) for number in numbers), decimal.Decimal(0))
    return DECIMAL.sqrt(DECIMAL.divide(squares, _decimal(len(numbers) - 1)))


@_builtin("mode", "*list")
def _mode(run: Run, *items: Any) -> list[Any]:
    numbers = _numbers(items)
    counts: dict[decimal.Decimal, int] = {}
    for number in numbers:
        counts[number] = counts.get(number, 0) + 1
    top = max(counts.values(), default=0)
    return sorted(number for number, count in counts.items() if count == top)


@_builtin("all", "*list")
def _all(run: Run, *items: Any) -> Any:
    values = _items(items)
    if any(value is False for value in values):
        return False
    return True if all(value is True for value in values) else None


@_builtin("any", "*list")
def _any(run: Run, *items: Any) -> Any:
    values = _items(items)
    if any(value is True for value in values):
        return True
    return False if all(value is False for value in values) else None


def _position(items: list[Any], position: Any) -> int:
    index = _integer(position)
    if index == 0 or abs(index) > len(items):
        raise IllegalArgumentsError
    return index - 1 if index > 0 else len(items) + index


@_builtin("sublist", "list", "start position", "length?")
def _sublist(run: Run, items: Any, start: Any, length: Any = None) -> list[Any]:
    values = _list(items)
    index = _position(values, start)
    if length is None:
        return values[index:]
    return values[index : index + _integer(length)]


@_builtin("append", "list", "*items")
def _append(run: Run, items: Any, *more: Any) -> list[Any]:
    return [*_list(items), *more]


@_builtin("concatenate", "*lists")
def _concatenate(run: Run, *lists: Any) -> list[Any]:
    out: list[Any] = []
    for items in lists:
        out.extend(_list(items))
    return out


@_builtin("insert before", "list", "position", "newItem")
def _insert_before(run: Run, items: Any, position: Any, item: Any) -> list[Any]:
    values = list(_list(items))
    values.insert(_position(values, position), item)
    return values


@_builtin("remove", "list", "position")
def _remove(run: Run, items: Any, position: Any) -> list[Any]:
    values = list(_list(items))
    del values[_position(values, position)]
    return values


@_builtin("reverse", "list")
def _reverse(run: Run, items: Any) -> list[Any]:
    return _list(items)[::-1]


@_builtin("index of", "list", "match")
def _index_of(run: Run, items: Any, match: Any) -> list[decimal.Decimal]:
    return [
        _decimal(index)
        for index, item in enumerate(_list(items), start=1)
        if equal(item, match) is True
    ]


def _distinct(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if not any(equal(value, seen) is True for seen in out):
            out.append(value)
    return out


@_builtin("union", "*lists")
def _union(run: Run, *lists: Any) -> list[Any]:
    return _distinct(item for items in lists for item in _list(items))


@_builtin("distinct values", "list")
def _distinct_values(run: Run, items: Any) -> list[Any]:
    return _distinct(_list(items))


@_builtin("duplicate values", "list")
def _duplicate_values(run: Run, items: Any) -> list[Any]:
    values = _list(items)
    return _distinct(
        value for value in values if sum(1 for other in values if equal(value, other)) > 1
    )


def _flat(items: list[Any]) -> Iterable[Any]:
    for item in items:
        if type(item) is list:
            yield from _flat(item)
        else:
            yield item


@_builtin("flatten", "list")
def _flatten(run: Run, items: Any) -> list[Any]:
    return list(_flat(_list(items)))


@_builtin("sort", "list", "precedes?")
def _sort(run: Run, items: Any, precedes: Any = None) -> list[Any]:
    values = list(_list(items))
    if precedes is None:
        return sorted(values, key=_SortKey)
    if not isinstance(precedes, Function):
        raise IllegalArgumentsError

    def before(a: Any, b: Any) -> bool:
        result = precedes.call(run, a, b)
        if not isinstance(result, bool):
            raise IllegalArgumentsError
        return result

    # Insertion sort: only "precedes" is known, as in the DMN definition.
    out: list[Any] = []
    for value in values:
        index = len(out)
        while index > 0 and before(value, out[index - 1]):
            index -= 1
        out.insert(index, value)
    return out


class _SortKey:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _SortKey) -> bool:
        order = compare(self.value, other.value)
        if order is None:
            raise IllegalArgumentsError
        return order < 0


@_builtin("is empty", "list")
def _is_empty(run: Run, items: Any) -> bool:
    return not _list(items)


@_builtin("partition", "list", "size")
def _partition(run: Run, items: Any, size: Any) -> list[list[Any]]:
    values, length = _list(items), _integer(size)
    if length <= 0:
        raise IllegalArgumentsError
    return [values[index : index + length] for index in range(0, len(values), length)]


# --- numbers ----------------------------------------------------------------------------------


def _rounded(value: Any, scale: Any, rounding: str) -> decimal.Decimal:
    number, places = _number(value), _integer(scale)
    return number.quantize(_decimal(1).scaleb(-places), rounding=rounding, context=DECIMAL)


_ROUNDING_MODES = {
    "up": decimal.ROUND_UP,
    "down": decimal.ROUND_DOWN,
    "ceiling": decimal.ROUND_CEILING,
    "floor": decimal.ROUND_FLOOR,
    "half_up": decimal.ROUND_HALF_UP,
    "half_down": decimal.ROUND_HALF_DOWN,
    "half_even": decimal.ROUND_HALF_EVEN,
}


@_builtin("decimal", "n", "scale", "mode?")
def _decimal_function(run: Run, value: Any, scale: Any, mode: Any = None) -> decimal.Decimal:
    if mode is None:
        return _rounded(value, scale, decimal.ROUND_HALF_EVEN)
    name = _string(mode).lower()
    if name == "unnecessary":
        rounded = _rounded(value, scale, decimal.ROUND_DOWN)
        if rounded != value:
            raise IllegalArgumentsError
        return rounded
    if name not in _ROUNDING_MODES:
        raise IllegalArgumentsError
    return _rounded(value, scale, _ROUNDING_MODES[name])


@_builtin("floor", "n", "scale?")
def _floor(run: Run, value: Any, scale: Any = None) -> decimal.Decimal:
    return _rounded(value, _decimal(0) if scale is None else scale, decimal.ROUND_FLOOR)


@_builtin("ceiling", "n", "scale?")
def _ceiling(run: Run, value: Any, scale: Any = None) -> decimal.Decimal:
    return _rounded(value, _decimal(0) if scale is None else scale, decimal.ROUND_CEILING)


@_builtin("round up", "n", "scale?")
def _round_up(run: Run, value: Any, scale: Any = None) -> decimal.Decimal:
    return _rounded(value, _decimal(0) if scale is None else scale, decimal.ROUND_UP)


@_builtin("round down", "n", "scale?")
def _round_down(run: Run, value: Any, scale: Any = None) -> decimal.Decimal:
    return _rounded(value, _decimal(0) if scale is None else scale, decimal.ROUND_DOWN)


@_builtin("round half up", "n", "scale?")
def _round_half_up(run: Run, value: Any, scale: Any = None) -> decimal.Decimal:
    return _rounded(value, _decimal(0) if scale is None else scale, decimal.ROUND_HALF_UP)


@_builtin("round half down", "n", "scale?")
def _round_half_down(run: Run, value: Any, scale: Any = None) -> decimal.Decimal:
    return _rounded(value, _decimal(0) if scale is None else scale, decimal.ROUND_HALF_DOWN)


@_builtin("abs", "n")
def _abs(run: Run, value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return abs(value)
    if isinstance(value, YearsMonths):
        return YearsMonths(abs(value.months))
    return abs(_number(value))


@_builtin("modulo", "dividend", "divisor")
def _modulo(run: Run, dividend: Any, divisor: Any) -> decimal.Decimal:
    a, b = _number(dividend), _number(divisor)
    if b == 0:
        raise IllegalArgumentsError
    # Decimal's remainder has the sign of the dividend; FEEL's modulo that of the divisor.
    remainder = DECIMAL.remainder(a, b)
    if remainder != 0 and (remainder < 0) != (b < 0):
        remainder = DECIMAL.add(remainder, b)
    return remainder


@_builtin("sqrt", "number")
def _sqrt(run: Run, value: Any) -> decimal.Decimal:
    number = _number(value)
    if number < 0:
        raise IllegalArgumentsError
    return DECIMAL.sqrt(number)


@_builtin("log", "number")
def _log(run: Run, value: Any) -> decimal.Decimal:
    number = _number(value)
    if number <= 0:
        raise IllegalArgumentsError
    return DECIMAL.ln(number)


@_builtin("exp", "number")
def _exp(run: Run, value: Any) -> decimal.Decimal:
    return DECIMAL.exp(_number(value))


@_builtin("odd", "number")
def _odd(run: Run, value: Any) -> bool:
    return _integer(value) % 2 == 1


@_builtin("even", "number")
def _even(run: Run, value: Any) -> bool:
    return _integer(value) % 2 == 0


@_builtin("random number")
def _random_number(run: Run) -> decimal.Decimal:
    return DECIMAL.create_decimal(repr(uuid.uuid4().int / 2**128))


# --- contexts ---------------------------------------------------------------------------------


@_builtin("get value", "context", "key")
def _get_value(run: Run, context: Any, key: Any) -> Any:
    value: Any = _context(context)
    for name in _list(key) if type(key) is list else [key]:
        if type(value) is not dict:
            return None
        value = value.get(_string(name))
    return value


@_builtin("get entries", "context")
def _get_entries(run: Run, context: Any) -> list[dict[str, Any]]:
    return [{"key": key, "value": value} for key, value in _context(context).items()]


@_builtin("context", "entries")
def _context_function(run: Run, entries: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in _list(entries):
        entry = _context(item)
        if "key" not in entry or "value" not in entry:
            raise IllegalArgumentsError
        out[_string(entry["key"])] = entry["value"]
    return out


def _put(context: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    out = dict(context)
    if len(keys) == 1:
        out[keys[0]] = value
        return out
    inner = out.get(keys[0])
    out[keys[0]] = _put(inner if type(inner) is dict else {}, keys[1:], value)
    return out


@_builtin("context put", "context", "key", "value")
def _context_put(run: Run, context: Any, key: Any, value: Any) -> dict[str, Any]:
    keys = [_string(name) for name in _list(key)] if type(key) is list else [_string(key)]
    if not keys:
        raise IllegalArgumentsError
    return _put(_context(context), keys, value)


@_builtin("put", "context", "key", "value")
def _put_function(run: Run, context: Any, key: Any, value: Any) -> dict[str, Any]:
    return _context_put(run, context, key, value)


@_builtin("put all", "*contexts")
def _put_all(run: Run, *contexts: Any) -> dict[str, Any]:
    return _context_merge(run, *contexts)


@_builtin("context merge", "*contexts")
def _context_merge(run: Run, *contexts: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for context in _items(contexts):
        out.update(_context(context))
    return out


# --- temporal ---------------------------------------------------------------------------------


@_builtin("now")
def _now(run: Run) -> dt.datetime:
    return run.now()


@_builtin("today")
def _today(run: Run) -> dt.date:
    return run.now().date()


def _not_none(value: Any) -> Any:
    if value is None:
        raise IllegalArgumentsError
    return value


@_builtin("date", "from")
def _date(run: Run, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    day = parse_date(_string(value))
    if day is None:
        raise IllegalArgumentsError
    return day


@_builtin("date", "year", "month", "day")
def _date_parts(run: Run, year: Any, month: Any, day: Any) -> dt.date:
    return dt.date(_integer(year), _integer(month), _integer(day))


@_builtin("time", "from")
def _time(run: Run, value: Any) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.timetz()
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.date):
        return dt.time()
    time = parse_time(_string(value))
    if time is None:
        raise IllegalArgumentsError
    return time


@_builtin("time", "hour", "minute", "second", "offset?")
def _time_parts(run: Run, hour: Any, minute: Any, second: Any, offset: Any = None) -> dt.time:
    seconds = _number(second)
    whole = int(seconds)
    micros = int((seconds - whole) * 1_000_000)
    zone: dt.tzinfo | None = None
    if offset is not None:
        if not isinstance(offset, dt.timedelta):
            raise IllegalArgumentsError
        zone = dt.timezone(offset)
    return dt.time(_integer(hour), _integer(minute), whole, micros, tzinfo=zone)


@_builtin("date and time", "from")
def _date_and_time(run: Run, value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    parsed = parse_date_time(_string(value))
    if not isinstance(parsed, dt.datetime):
        raise IllegalArgumentsError
    return parsed


@_builtin("date and time", "date", "time")
def _date_and_time_parts(run: Run, date: Any, time: Any) -> dt.datetime:
    if not isinstance(date, dt.date):
        raise IllegalArgumentsError
    day = date.date() if isinstance(date, dt.datetime) else date
    if isinstance(time, str):
        try:
            zone = zoneinfo.ZoneInfo(time)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise IllegalArgumentsError from None
        if isinstance(date, dt.datetime):
            if date.tzinfo is None:
                return date.replace(tzinfo=zone)
            return date.astimezone(zone)
        return dt.datetime.combine(day, dt.time(), tzinfo=zone)
    if isinstance(time, dt.datetime):
        time = time.timetz()
    if not isinstance(time, dt.time):
        raise IllegalArgumentsError
    return dt.datetime.combine(day, time.replace(tzinfo=None)).replace(tzinfo=time.tzinfo)


@_builtin("duration", "from")
def _duration(run: Run, value: Any) -> Any:
    if isinstance(value, dt.timedelta | YearsMonths):
        return value
    return _not_none(parse_duration(_string(value)))


@_builtin("years and months duration", "from", "to")
def _years_and_months(run: Run, start: Any, end: Any) -> YearsMonths:
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)):
        raise IllegalArgumentsError
    months = (end.year - start.year) * 12 + end.month - start.month
    a = (start.day, start.time() if isinstance(start, dt.datetime) else dt.time())
    b = (end.day, end.time() if isinstance(end, dt.datetime) else dt.time())
    if months > 0 and b < a:
        months -= 1
    elif months < 0 and b > a:
        months += 1
    return YearsMonths(months)


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _day(value: Any) -> dt.date:
    if not isinstance(value, dt.date):
        raise IllegalArgumentsError
    return value.date() if isinstance(value, dt.datetime) else value


@_builtin("day of week", "date")
def _day_of_week(run: Run, value: Any) -> str:
    return _DAYS[_day(value).weekday()]


@_builtin("day of year", "date")
def _day_of_year(run: Run, value: Any) -> decimal.Decimal:
    return _decimal(_day(value).timetuple().tm_yday)


@_builtin("week of year", "date")
def _week_of_year(run: Run, value: Any) -> decimal.Decimal:
    return _decimal(_day(value).isocalendar()[1])


@_builtin("month of year", "date")
def _month_of_year(run: Run, value: Any) -> str:
    return _MONTHS[_day(value).month - 1]


@_builtin("last day of month", "date")
def _last_day_of_month(run: Run, value: Any) -> dt.date:
    day = _day(value)
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


# --- ranges -----------------------------------------------------------------------------------


@_builtin("before", "point1", "point2")
def _before(run: Run, a: Any, b: Any) -> Any:
    return _order(a, b, run)


@_builtin("after", "point1", "point2")
def _after(run: Run, a: Any, b: Any) -> Any:
    return _order(b, a, run)


def _order(a: Any, b: Any, run: Run) -> bool:
    if isinstance(a, Range):
        a, b = a.end, b.start if isinstance(b, Range) else b
    elif isinstance(b, Range):
        b = b.start
    order = compare(a, b)
    if order is None:
        raise IllegalArgumentsError
    return order < 0


# --- properties -------------------------------------------------------------------------------


def _offset(value: dt.datetime | dt.time) -> Any:
    if value.tzinfo is None:
        return None
    if isinstance(value, dt.datetime):
        return value.utcoffset()
    return value.tzinfo.utcoffset(None)


def _zone_name(value: dt.datetime | dt.time) -> Any:
    return getattr(value.tzinfo, "key", None)


def _second(value: dt.datetime | dt.time) -> decimal.Decimal:
    # The whole second, as feel-scala's property (java.time's getSecond).
    return _decimal(value.second)


_DATE_PROPERTIES: dict[str, Callable[[Any], Any]] = {
    "year": lambda value: _decimal(value.year),
    "month": lambda value: _decimal(value.month),
    "day": lambda value: _decimal(value.day),
    "weekday": lambda value: _decimal(value.isoweekday()),
}
_TIME_PROPERTIES: dict[str, Callable[[Any], Any]] = {
    "hour": lambda value: _decimal(value.hour),
    "minute": lambda value: _decimal(value.minute),
    "second": _second,
    "time offset": _offset,
    "timezone": _zone_name,
}


def _micro_parts(value: dt.timedelta) -> tuple[int, int, int, int, int, int]:
    micros = value // dt.timedelta(microseconds=1)
    sign = -1 if micros < 0 else 1
    days, rest = divmod(abs(micros), 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, rest = divmod(rest, 1_000_000)
    return sign, days, hours, minutes, seconds, rest


def _duration_property(value: dt.timedelta, name: str) -> Any:
    sign, days, hours, minutes, seconds, _ = _micro_parts(value)
    parts = {"days": days, "hours": hours, "minutes": minutes, "seconds": seconds}
    if name not in parts:
        return MISSING_PROPERTY
    return _decimal(sign * parts[name])


MISSING_PROPERTY: Any = object()


def property_of(value: Any, name: str) -> Any:
    """A property of a temporal value, duration or range; :data:`MISSING_PROPERTY` if none."""
    if isinstance(value, dt.datetime):
        getter = _DATE_PROPERTIES.get(name) or _TIME_PROPERTIES.get(name)
    elif isinstance(value, dt.date):
        getter = _DATE_PROPERTIES.get(name)
    elif isinstance(value, dt.time):
        getter = _TIME_PROPERTIES.get(name)
    elif isinstance(value, dt.timedelta):
        return _duration_property(value, name)
    elif isinstance(value, YearsMonths):
        years, months = divmod(abs(value.months), 12)
        sign = -1 if value.months < 0 else 1
        parts = {"years": years, "months": months}
        return _decimal(sign * parts[name]) if name in parts else MISSING_PROPERTY
    elif isinstance(value, Range):
        ranges = {
            "start": value.start,
            "end": value.end,
            "start included": value.start_included,
            "end included": value.end_included,
        }
        return ranges.get(name, MISSING_PROPERTY)
    else:
        getter = None
    return MISSING_PROPERTY if getter is None else getter(value)


def property_names(value: Any) -> list[str]:
    """The names of the properties a value has (for the warning about a missing one)."""
    if isinstance(value, dt.datetime):
        return [*_DATE_PROPERTIES, *_TIME_PROPERTIES]
    if isinstance(value, dt.date):
        return list(_DATE_PROPERTIES)
    if isinstance(value, dt.time):
        return list(_TIME_PROPERTIES)
    if isinstance(value, dt.timedelta):
        return ["days", "hours", "minutes", "seconds"]
    if isinstance(value, YearsMonths):
        return ["years", "months"]
    if isinstance(value, Range):
        return ["start", "start included", "end", "end included"]
    return []


#: Names of built-ins and properties made of several words, for the parser.
MULTI_WORD_NAMES = frozenset(
    [name for name in BUILTINS if " " in name]
    + ["time offset", "start included", "end included", "days and time duration"]
)
