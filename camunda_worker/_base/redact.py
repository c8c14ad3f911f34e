r"""Masking helpers: show that a secret is set, never what it is, in any encoding.

Used wherever a value may reach a person: error messages, ``describe()`` tables, log lines.

A secret rarely comes back the way it left. A client secret travels form-encoded
(``S3cr3t/x+y=&%`` is sent as ``S3cr3t%2Fx%2By%3D%26%25``), a Basic password inside the base64
of ``user:password``, and an endpoint that echoes a request in an error answer may hand it back
percent-encoded, JSON- or HTML-escaped, in base64. :func:`scrub` therefore matches every form of
each secret, not only the raw text: each character as itself or as any of its escapes
(``%2F``/``%2f``, ``%252F``, ``+`` for a space, ``\/``, ``\u00e9``, ``&#47;``...), and the
base64 of the whole secret. Secrets longer than 128 characters (access tokens, keys) are matched
in the forms common encoders give them (``quote``, ``quote_plus``, JSON, ``repr``, HTML, base64),
which keeps the work small. A secret made of ``*`` alone cannot be told from the mask.

Objects that hold secrets (the authentications, the settings) :func:`remember_secrets` them for
as long as they live; :func:`scrub` also masks those, so an error built far from the
credentials (a problem answer of the API that echoes the ``Authorization`` header) or a log line
never shows them either.

:func:`redact_url` masks the userinfo, the values of the query string and the fragment of a URL.
"""

from __future__ import annotations

import base64
import collections
import functools
import html
import json
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

from pydantic import SecretStr

__all__ = [
    "MASK",
    "known_secrets",
    "mask",
    "redact_url",
    "remember_secrets",
    "scrub",
    "secret_value",
]

MASK = "***"

# Below this length even two leading characters say too much about a secret.
_MIN_LENGTH_FOR_HINT = 12
_HINT_LENGTH = 2
# Masking can join the text around a secret into another copy of it ("x*Ω" + "Ω" for the
# secret "*Ω"); scrubbing repeats until nothing is found, this many passes at most.
_MAX_PASSES = 8
# Secrets up to this long are matched character by character, each character in any of its
# forms; longer ones (access tokens, keys) in the forms common encoders give them, which keeps
# the pattern small.
_FLEXIBLE_LENGTH = 128
# The one-letter escapes of JSON and of Python's repr (``\'``).
_SHORT_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "\b": "b", "\f": "f", "\n": "n"}
_SHORT_ESCAPES |= {"\r": "r", "\t": "t", "'": "'"}
_HTML_NAMES = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos"}


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


def scrub(text: str, secrets: Iterable[SecretStr | str | None] = ()) -> str:
    """Replace every form of any secret in ``text`` by ``***``.

    The secrets are ``secrets`` plus every secret a live object remembered
    (:func:`remember_secrets`). A last line of defence for text that came from elsewhere (a
    token endpoint's error body, an API's problem answer, an exception raised by a library)
    before it goes into a message or a log line.

    Args:
        text: the text to clean.
        secrets: more secrets that must not appear; ``None`` and empty ones are skipped.

    Returns:
        The cleaned text.
    """
    plain = {secret_value(secret) for secret in secrets}
    plain.update(_REGISTRY.secrets())
    # Longest first, so a secret that contains another one is replaced whole.
    maskers = [_masker(secret) for secret in sorted(filter(None, plain), key=len, reverse=True)]
    for _ in range(_MAX_PASSES):
        before = text
        for masker in maskers:
            text = masker(text)
        if text == before:
            return text
    return text


def remember_secrets(owner: object, secrets: Iterable[SecretStr | str | None]) -> None:
    """Make :func:`scrub` mask ``secrets`` for as long as ``owner`` lives.

    Calling it again for the same owner replaces what it remembered (a refreshed token).

    Args:
        owner: the object holding the secrets (weakly referenced).
        secrets: the secrets; ``None`` and empty ones are skipped.
    """
    _REGISTRY.remember(owner, tuple(filter(None, (secret_value(s) for s in secrets))))


def known_secrets() -> frozenset[str]:
    """The secrets that live objects remembered (see :func:`remember_secrets`)."""
    return _REGISTRY.secrets()


class _Registry:
    """Secrets by owner, kept while the owner lives (weak references, thread-safe).

    A weakref callback may run inside a garbage collection that an allocation under the lock
    started, in the same thread: it must not take the lock. It only queues the dead owner, and
    the next call that holds the lock forgets it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[int, tuple[weakref.ref[object], tuple[str, ...]]] = {}
        self._dead: collections.deque[tuple[int, weakref.ref[object]]] = collections.deque()
        self._union: frozenset[str] = frozenset()

    def remember(self, owner: object, secrets: tuple[str, ...]) -> None:
        key = id(owner)
        reference = weakref.ref(owner, functools.partial(self._forget, key))
        with self._lock:
            self._purge()
            if secrets:
                self._owners[key] = (reference, secrets)
            else:
                self._owners.pop(key, None)
            self._update()

    def _forget(self, key: int, reference: weakref.ref[object]) -> None:
        self._dead.append((key, reference))  # no lock: see the class docstring

    def _purge(self) -> None:
        while self._dead:
            key, reference = self._dead.popleft()
            entry = self._owners.get(key)
            if entry is not None and entry[0] is reference:
                del self._owners[key]

    def _update(self) -> None:
        self._union = frozenset(s for _, secrets in self._owners.values() for s in secrets)

    def secrets(self) -> frozenset[str]:
        # Read without the lock (the set is replaced whole); forget the dead when the lock is
        # free. Masking a secret whose owner just died is harmless.
        if self._dead and self._lock.acquire(blocking=False):
            try:
                self._purge()
                self._update()
            finally:
                self._lock.release()
        return self._union


_REGISTRY = _Registry()


@functools.lru_cache(maxsize=256)
def _masker(secret: str) -> Callable[[str], str]:
    """A function that masks every form of ``secret`` in a text."""
    if len(secret) <= _FLEXIBLE_LENGTH:
        return functools.partial(_pattern(secret).sub, MASK)
    encoded = secret.encode("utf-8")
    texts = (secret, *_base64_forms(encoded))
    forms = sorted({form for text in texts for form in _literal_forms(text)}, key=len, reverse=True)

    def masker(text: str) -> str:
        for form in forms:
            text = text.replace(form, MASK)
        return text

    return masker


def _base64_forms(encoded: bytes) -> tuple[str, str]:
    """Standard and URL-safe base64, without the padding (a padded copy loses all but "=")."""
    standard = base64.b64encode(encoded).decode("ascii").rstrip("=")
    return standard, standard.replace("+", "-").replace("/", "_")


def _pattern(secret: str) -> re.Pattern[str]:
    """The pattern matching ``secret`` with each character in any of its forms."""
    encoded = secret.encode("utf-8")
    standard, urlsafe = _base64_forms(encoded)
    # The padding in any of its forms too: "=", "%3D", "\\u003d".
    padding = "(?:" + _char_forms("=") + "){0,2}"
    raw = _any_form(secret)
    return re.compile("|".join((raw, _any_form(standard) + padding, _any_form(urlsafe) + padding)))


def _any_form(text: str) -> str:
    return "".join(_char_forms(char) for char in text)


def _literal_forms(text: str) -> set[str]:
    """The forms common encoders give ``text``: percent-encoding (either case), JSON, HTML."""
    percent = {quote(text, safe=safe) for safe in ("", "/", "/!'()*~", "*-._")}
    percent |= {quote_plus(text, safe=safe) for safe in ("", "/", "*-._")}
    percent |= {_lower_hex(form) for form in percent}
    percent |= {quote(form, safe="") for form in percent}  # encoded twice
    escaped = {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    escaped |= {form.replace("/", "\\/") for form in escaped}
    escaped |= {repr(text)[1:-1], html.escape(text), html.escape(text, quote=False)}
    return {text} | percent | escaped


def _lower_hex(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda match: match.group(0).lower(), text)


@functools.lru_cache(maxsize=4096)
def _char_forms(char: str) -> str:
    """A regular expression matching ``char`` as itself or as any of its escapes."""
    code = ord(char)
    forms: list[str] = []
    # Percent-encoding of its UTF-8 bytes, in either case, maybe encoded again (%252F).
    forms.append("".join("%(?:25)*" + _hex(byte, 2) for byte in char.encode("utf-8")))
    if char == " ":
        forms += [r"\+", "%(?:25)*2[bB]"]
    # JSON and Python escapes, with any number of backslashes (an escape escaped again).
    if char in _SHORT_ESCAPES:
        forms.append(r"\\+" + re.escape(_SHORT_ESCAPES[char]))
    if code < 0x100:
        forms.append(r"\\+x" + _hex(code, 2))
    if code < 0x10000:
        forms.append(r"\\+u" + _hex(code, 4))
    else:
        high, low = divmod(code - 0x10000, 0x400)
        forms.append(r"\\+u" + _hex(0xD800 + high, 4) + r"\\+u" + _hex(0xDC00 + low, 4))
        forms.append(r"\\+U" + _hex(code, 8))
    # HTML character references.
    forms.append(f"&#0*{code};")
    forms.append("&#[xX]0*" + _hex(code, 0) + ";")
    if char in _HTML_NAMES:
        forms.append(f"&{_HTML_NAMES[char]};")
    forms.append(re.escape(char))  # last: an escape that starts with the character wins
    return "(?:" + "|".join(forms) + ")"


def _hex(value: int, width: int) -> str:
    """A pattern of ``value`` in hexadecimal, ``width`` digits (0: no padding), either case."""
    digits = f"{value:0{width}x}" if width else f"{value:x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


# -- URLs ----------------------------------------------------------------------------------------

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?://)?")


def redact_url(url: str) -> str:
    """Mask what a URL may carry secrets in: userinfo, the query string, the fragment.

    ``https://user:pw@idp/token?client_secret=x&audience=y#z`` becomes
    ``https://***@idp/token?***#***``. The query is masked whole, names too: a secret that holds
    a ``=`` or ``&`` would otherwise show in part as a name. Text that is not a well-formed URL
    is masked more, never less: when an
    ``@`` follows a ``?`` or ``#`` (a password holding one of them, or a query holding an
    ``@``), everything after the scheme is masked.

    Args:
        url: the URL, well-formed or not.

    Returns:
        The URL with those parts masked.
    """
    scheme = _SCHEME.match(url)
    start = scheme.end() if scheme else 0
    head, rest = url[:start], url[start:]
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority_and_path, tail = rest[:cut], rest[cut:]
    if "@" in tail:
        return head + MASK
    if "@" in authority_and_path:
        authority_and_path = MASK + authority_and_path[authority_and_path.rfind("@") :]
    query, hash_sign, _fragment = tail.partition("#")
    if query:
        query = "?" + MASK
    fragment = "#" + MASK if hash_sign else ""
    return head + authority_and_path + query + fragment
