"""What goes wrong with a FEEL expression: it does not parse, or it fails while it runs."""

from __future__ import annotations

import attrs

__all__ = ["FeelEvaluationError", "FeelSyntaxError", "FeelWarning", "with_warnings"]


class FeelSyntaxError(ValueError):
    """The text is not a FEEL expression this engine parses (the message says where).

    Attributes:
        expression: the text that was parsed.
        position: the 1-based position of the problem (0 when it is the whole text).
    """

    def __init__(self, expression: str, reason: str, position: int = 0) -> None:
        super().__init__(reason)
        self.expression = expression
        self.position = position
        self.reason = reason


@attrs.frozen
class FeelWarning:
    """A warning reported by an evaluation, as Zeebe's incident messages list them.

    Attributes:
        type: FEEL's warning type, e.g. ``NO_VARIABLE_FOUND``.
        message: the text, e.g. ``No variable found with name 'x'``.
    """

    type: str
    message: str

    def __str__(self) -> str:
        return f"[{self.type}] {self.message}"


def with_warnings(message: str, warnings: tuple[FeelWarning, ...] | list[FeelWarning]) -> str:
    """Append the evaluation warnings to a failure message exactly as Zeebe does."""
    if not warnings:
        return message
    listed = "\n".join(str(warning) for warning in warnings)
    return f"{message} The evaluation reported the following warnings:\n{listed}"


class FeelEvaluationError(Exception):
    """An expression failed at run time: the engine raises an incident with this message.

    Attributes:
        message: the full message, in Zeebe's words, warnings included.
        error_type: the incident's type: ``EXTRACT_VALUE_ERROR`` unless the caller says otherwise
            (``CONDITION_ERROR`` for conditions, ``IO_MAPPING_ERROR`` for mappings).
        warnings: the warnings the evaluation reported.
    """

    def __init__(
        self,
        message: str,
        warnings: tuple[FeelWarning, ...] = (),
        error_type: str = "EXTRACT_VALUE_ERROR",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.warnings = warnings
        self.error_type = error_type
