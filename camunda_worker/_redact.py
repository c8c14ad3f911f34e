"""Masking helpers: show that a secret is set, never what it is.

Used wherever a value may reach a person: error messages, ``describe()`` tables, log lines.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import SecretStr

__all__ = ["MASK", "mask", "scrub", "secret_value"]

MASK = "***"

# Below this length even two leading characters say too much about a secret.
_MIN_LENGTH_FOR_HINT = 12
_HINT_LENGTH = 2


def mask(value: str | None) -> str:
    """Return a masked form of a secret that is safe to print.

    Long values keep their first two characters as a hint of which secret was set
    (``"ab***"``); short ones and empty ones become ``"***"``; ``None`` becomes ``"<unset>"``.

    Args:
        value: the secret, or ``None`` when it is not set.

    Returns:
        The masked text.
    """
    if value is None:
        return "<unset>"
    if len(value) < _MIN_LENGTH_FOR_HINT:
        return MASK
    return value[:_HINT_LENGTH] + MASK


def secret_value(value: SecretStr | str | None) -> str | None:
    """Return the plain text of a secret held as :class:`pydantic.SecretStr` or ``str``.

    Args:
        value: the secret or ``None``.

    Returns:
        The secret's text, or ``None``.
    """
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


def scrub(text: str, secrets: Iterable[SecretStr | str | None]) -> str:
    """Replace every occurrence of any of ``secrets`` in ``text`` by ``***``.

    A last line of defence for text that came from elsewhere (a token endpoint's error body,
    an exception raised by a library) before it goes into a message or a log line.

    Args:
        text: the text to clean.
        secrets: the secrets that must not appear; ``None`` and empty ones are skipped.

    Returns:
        The cleaned text.
    """
    plain = (secret_value(secret) for secret in secrets)
    # Longest first, so a secret that contains another one is replaced whole.
    for secret in sorted((s for s in plain if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
