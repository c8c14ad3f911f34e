"""Finding the parts of a JSON document without decoding it, and without recursion.

The activation answer is normally read in one pass of pydantic-core. When that pass fails (a
job's variables nest deeper than its parser allows, one job does not match the model), the
answer is split into its jobs here, so each job is read on its own and one unreadable job does
not take the others down with it. Every JSON parser of the standard library recurses once per
level of nesting; this scanner only counts brackets, so it finds the jobs, and a job's key,
in any document however deep it nests.

It checks only what it needs to find the parts (strings, brackets, commas, colons); the parts
are then decoded by a real parser, which checks the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["ScanError", "elements", "member_values", "members", "skip_space", "value_end"]

# What matters inside an array or object: a string (whose brackets do not count) or a bracket.
_STRUCTURE = re.compile(r'["\[\]{}]')
# What ends a string or needs a look: its closing quote, or an escape.
_QUOTE_OR_ESCAPE = re.compile(r'["\\]')
_SPACE = re.compile(r"[ \t\n\r]*")
# A number, ``true``, ``false`` or ``null``: everything up to the next delimiter.
_SCALAR = re.compile(r"[^,:\[\]{}\s\"]+")


class ScanError(ValueError):
    """The text is not a JSON document of the expected shape."""


def skip_space(text: str, index: int) -> int:
    """The index of the first character at or after ``index`` that is not JSON whitespace."""
    match = _SPACE.match(text, index)
    return match.end() if match is not None else index


def _string_end(text: str, index: int) -> int:
    # ``index`` is at the opening quote; returns the index just past the closing one.
    position = index + 1
    while True:
        match = _QUOTE_OR_ESCAPE.search(text, position)
        if match is None:
            raise ScanError("a string is not closed")
        if match.group() == '"':
            return match.end()
        position = match.end() + 1  # the escaped character, whatever it is


def value_end(text: str, index: int) -> tuple[int, int]:
    """Where the JSON value starting at ``index`` ends, and how deep it nests.

    Args:
        text: the document.
        index: where the value starts (not whitespace).

    Returns:
        The index just past the value, and how many arrays and objects deep it nests (0 for
        a string, number, ``true``, ``false`` or ``null``).

    Raises:
        ScanError: no value starts at ``index``, or it is not closed.
    """
    if index >= len(text):
        raise ScanError("the document ends where a value should start")
    first = text[index]
    if first == '"':
        return _string_end(text, index), 0
    if first not in "[{":
        match = _SCALAR.match(text, index)
        if match is None:
            raise ScanError(f"no JSON value starts at offset {index}")
        return match.end(), 0
    depth = deepest = 0
    position = index
    while True:
        match = _STRUCTURE.search(text, position)
        if match is None:
            raise ScanError("an array or object is not closed")
        found = match.group()
        if found == '"':
            position = _string_end(text, match.start())
            continue
        position = match.end()
        if found in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
            if depth == 0:
                return position, deepest


def _expect(text: str, index: int, char: str) -> int:
    index = skip_space(text, index)
    if index >= len(text) or text[index] != char:
        raise ScanError(f"expected {char!r} at offset {index}")
    return index + 1


def members(text: str, index: int = 0) -> Iterator[tuple[str, int, int, int]]:
    """The members of the JSON object starting at ``index`` (whitespace before it is skipped).

    Yields:
        Each member's name, the start and end of its value in ``text``, and how deep the value
        nests.

    Raises:
        ScanError: the text there is not an object.
    """
    position = skip_space(text, _expect(text, index, "{"))
    if text.startswith("}", position):
        return
    while True:
        if not text.startswith('"', position):
            raise ScanError(f"expected a member name at offset {position}")
        name_end = _string_end(text, position)
        name = json.loads(text[position:name_end])
        start = skip_space(text, _expect(text, name_end, ":"))
        end, depth = value_end(text, start)
        yield name, start, end, depth
        position = skip_space(text, end)
        if text.startswith(",", position):
            position = skip_space(text, position + 1)
        elif text.startswith("}", position):
            return
        else:
            raise ScanError(f"expected ',' or '}}' at offset {position}")


def elements(text: str, index: int) -> Iterator[tuple[int, int, int]]:
    """The elements of the JSON array starting at ``index``.

    Yields:
        Each element's start and end in ``text``, and how deep it nests.

    Raises:
        ScanError: the text there is not an array.
    """
    position = skip_space(text, _expect(text, index, "["))
    if text.startswith("]", position):
        return
    while True:
        end, depth = value_end(text, position)
        yield position, end, depth
        position = skip_space(text, end)
        if text.startswith(",", position):
            position = skip_space(text, position + 1)
        elif text.startswith("]", position):
            return
        else:
            raise ScanError(f"expected ',' or ']' at offset {position}")


def member_values(text: str, names: frozenset[str]) -> dict[str, Any]:
    """Decode the members ``names`` of the object ``text`` that are shallow scalars.

    Used to recover a job's key and type from a job no parser could read whole. A member that
    is missing, nests, or does not decode is left out.
    """
    found: dict[str, Any] = {}
    try:
        for name, start, end, depth in members(text):
            if name in names and depth == 0:
                try:
                    found[name] = json.loads(text[start:end])
                except ValueError:
                    continue
    except ScanError:
        pass
    return found
