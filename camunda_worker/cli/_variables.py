"""Process variables from the command line: ``--variables JSON`` and ``--var NAME=VALUE``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from camunda_worker._base.errors import ConfigurationError

__all__ = ["parse_value", "parse_variables"]


def parse_value(text: str) -> Any:
    """A ``--var`` value: JSON when it is valid JSON (``12``, ``true``, ``{"a": 1}``), else text.

    So ``--var amount=12`` is the number 12, ``--var name=ada`` the string ``"ada"``; quote a
    number to keep it a string: ``--var 'zip="01234"'``.
    """
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_variables(document: str | None, pairs: Sequence[str]) -> dict[str, Any] | None:
    """The variables ``--variables`` and ``--var`` give (the pairs win); ``None`` for none.

    Raises:
        ConfigurationError: ``--variables`` is not a JSON object, or a pair has no ``=`` or no
            name.
    """
    variables: dict[str, Any] = {}
    if document is not None:
        try:
            parsed = json.loads(document)
        except ValueError as error:
            raise ConfigurationError(f"--variables is not valid JSON: {error}") from None
        if not isinstance(parsed, dict):
            raise ConfigurationError(
                f"--variables must be a JSON object, got {type(parsed).__name__}"
            )
        variables.update(parsed)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigurationError(f"--var expects NAME=VALUE, got {name!r}")
        variables[name.strip()] = parse_value(value)
    return variables if document is not None or pairs else None
