"""The table of every ``CAMUNDA_*`` setting and the parsing of raw values into typed ones.

One :class:`SettingSpec` per setting, in the order the documentation lists them. The env name of
a setting is always ``CAMUNDA_`` + its field name in upper case (``worker_timeout`` is
``CAMUNDA_WORKER_TIMEOUT``); a few settings also accept the official SDK's aliases.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Literal
from urllib.parse import urlsplit

import attrs
from pydantic import SecretStr

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._base.redact import mask, redact_url

__all__ = [
    "DEFAULT_AUTO_EXTEND_TIMEOUT",
    "DEFAULT_DRAIN_TIMEOUT_SECONDS",
    "DEFAULT_EXECUTION_STRATEGY",
    "DEFAULT_LOOP_BLOCK_THRESHOLD_MILLISECONDS",
    "DEFAULT_MAX_CONCURRENT_JOBS",
    "DEFAULT_PROCESS_START_METHOD",
    "DEFAULT_REQUEST_TIMEOUT_MILLISECONDS",
    "DEFAULT_RETRY_BACKOFF_MILLISECONDS",
    "DEFAULT_STARTUP_JITTER_MAX_SECONDS",
    "DEFAULT_TOKEN_CACHE_DIR",
    "DEFAULT_WORKER_NAME",
    "SPECS",
    "SPECS_BY_ENV",
    "SPECS_BY_FIELD",
    "SettingSpec",
    "coerce",
    "hide_secret",
    "invalid_url",
    "url_problem",
]

# Defaults applied after resolution (the settings keep ``None`` so "not set" stays visible).
DEFAULT_MAX_CONCURRENT_JOBS = 10
DEFAULT_REQUEST_TIMEOUT_MILLISECONDS = 10_000
DEFAULT_WORKER_NAME = "camunda-worker"
DEFAULT_STARTUP_JITTER_MAX_SECONDS = 0.0
DEFAULT_EXECUTION_STRATEGY = "auto"
DEFAULT_DRAIN_TIMEOUT_SECONDS = 30.0
DEFAULT_RETRY_BACKOFF_MILLISECONDS = 0
DEFAULT_AUTO_EXTEND_TIMEOUT = False
DEFAULT_PROCESS_START_METHOD = "spawn"
DEFAULT_LOOP_BLOCK_THRESHOLD_MILLISECONDS = 1000
DEFAULT_TOKEN_CACHE_DIR = "~/.camunda"  # noqa: S105 - a directory, not a secret

Kind = Literal["str", "secret", "int", "float", "bool", "csv", "choice", "url", "envfile"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_INTEGER = re.compile(r"[+-]?\d+")
_SHOWN_LENGTH = 200


@attrs.frozen
class SettingSpec:
    """How one setting is named, parsed, checked and documented.

    Attributes:
        field: the snake_case field name on ``CamundaSettings``.
        kind: how a raw value is parsed.
        description: one line for the documentation and the ``config`` command.
        aliases: other env names accepted for the same setting (the canonical name wins).
        minimum: the smallest accepted number (numbers only).
        choices: the accepted values (choices only), canonical spelling.
        synonyms: other spellings of choices, mapped to the canonical one.
        unit: the unit of a number, for messages (``"milliseconds"``).
        unset_means: what applies when the setting is not set, when that is not its default.
        example: a valid value, for messages (URLs only).
    """

    field: str
    kind: Kind
    description: str
    aliases: tuple[str, ...] = ()
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    synonyms: Mapping[str, str] = attrs.field(factory=dict)
    unit: str = ""
    unset_means: str | None = None
    example: str = ""

    @property
    def env(self) -> str:
        """The canonical environment variable name."""
        return f"CAMUNDA_{self.field.upper()}"

    @property
    def secret(self) -> bool:
        """Whether the value must be masked wherever it is shown."""
        return self.kind == "secret"

    def show(self, value: object) -> str:
        """Render a raw or typed value for a message, masked when the setting is secret.

        A URL (or any value that holds one) shows with its userinfo, query values and fragment
        masked: :func:`~camunda_worker._base.redact.redact_url`.
        """
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if self.secret:
            return mask(None if value is None else str(value))
        text = str(value)
        if self.kind == "url" or "://" in text or "@" in text:
            text = redact_url(text)
        return text if len(text) <= _SHOWN_LENGTH else text[:_SHOWN_LENGTH] + "..."

    def expected(self) -> str:
        """Describe, for an error message, what a valid value looks like."""
        unit = f" of {self.unit}" if self.unit else ""
        if self.kind in ("int", "float"):
            number = "a whole number" if self.kind == "int" else "a number"
            return f"{number}{unit} >= {self.minimum:g}"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.example:
            return f"{_EXPECTED[self.kind]}, e.g. {self.example}"
        return _EXPECTED[self.kind]


_EXPECTED: Mapping[str, str] = {
    "bool": "true or false (also 1/0, yes/no, on/off)",
    "csv": "a comma-separated list of names (or a sequence of strings)",
    "url": "an http:// or https:// URL with a host and no credentials, query string or fragment",
    "str": "text",
    "secret": "text",
    "envfile": "true, false or the path of a .env file",
}


def _spec(field: str, kind: Kind, description: str, **options: object) -> SettingSpec:
    return SettingSpec(field, kind, description, **options)  # type: ignore[arg-type]


_MS = {"unit": "milliseconds"}
_S = {"unit": "seconds"}

SPECS: tuple[SettingSpec, ...] = (
    # Where the API is.
    _spec("rest_address", "url", "Orchestration Cluster REST API base URL; /v2 is appended when missing.", aliases=("ZEEBE_REST_ADDRESS",), example="http://localhost:8080/v2"),
    _spec("rest_address_exact", "bool", "Use CAMUNDA_REST_ADDRESS verbatim (no /v2 appended) for proxies with other base paths."),
    # Authentication.
    _spec("auth_strategy", "choice", "NONE, BASIC or OAUTH; inferred from the credentials present when unset.", choices=("NONE", "BASIC", "OAUTH")),
    _spec("client_id", "str", "OAuth client id.", aliases=("CAMUNDA_CLIENT_AUTH_CLIENTID",)),
    _spec("client_secret", "secret", "OAuth client secret.", aliases=("CAMUNDA_CLIENT_AUTH_CLIENTSECRET",)),
    _spec("oauth_url", "url", "OAuth token endpoint (client credentials grant).", example="https://login.cloud.camunda.io/oauth/token"),
    _spec("token_audience", "str", "Audience requested for the OAuth token."),
    _spec("token_scope", "str", "Scope requested for the OAuth token (sent only when set)."),
    _spec("basic_auth_username", "str", "User name for BASIC authentication."),
    _spec("basic_auth_password", "secret", "Password for BASIC authentication."),
    _spec("token_cache_dir", "str", "Directory of the OAuth token disk cache.", unset_means=DEFAULT_TOKEN_CACHE_DIR),
    _spec("token_disk_cache_disable", "bool", "Keep OAuth tokens in memory only."),
    # Tenancy.
    _spec("tenant_id", "str", "Default tenant id; used as the tenant list when CAMUNDA_TENANT_IDS is unset."),
    _spec("tenant_ids", "csv", "Tenant ids a worker activates jobs for (comma-separated)."),
    # TLS.
    _spec("mtls_cert", "str", "Client certificate as a PEM string (wins over CAMUNDA_MTLS_CERT_PATH)."),
    _spec("mtls_cert_path", "str", "Path of the client certificate PEM file."),
    _spec("mtls_key", "secret", "Client private key as a PEM string (wins over CAMUNDA_MTLS_KEY_PATH)."),
    _spec("mtls_key_path", "str", "Path of the client private key PEM file."),
    _spec("mtls_ca", "str", "CA bundle as a PEM string, trusted in addition to the system CAs."),
    _spec("mtls_ca_path", "str", "Path of a CA bundle PEM file, trusted in addition to the system CAs."),
    _spec("mtls_key_passphrase", "secret", "Passphrase of an encrypted client private key."),
    # Logging and the resolver itself.
    _spec(
        "sdk_log_level",
        "choice",
        "silent turns the library's logs off; any other level turns them on at that minimum level.",
        choices=("silent", "error", "warn", "info", "debug", "trace", "silly"),
        synonyms={"warning": "warn", "none": "silent", "off": "silent"},
        unset_means="silent until logger.enable('camunda_worker')",
    ),
    _spec("load_envfile", "envfile", "true loads ./.env; a path loads that file; below the environment in precedence."),
    # Worker defaults (a WorkerConfig field that is set wins over these).
    _spec("worker_timeout", "int", "Job timeout: how long an activated job stays reserved for the worker.", minimum=1, unset_means="required (here or in WorkerConfig)", **_MS),
    _spec("worker_max_concurrent_jobs", "int", "Most jobs a worker runs at once.", minimum=1, unset_means=str(DEFAULT_MAX_CONCURRENT_JOBS)),
    _spec("worker_request_timeout", "int", "Long-poll duration of one activation request.", minimum=1, unset_means=str(DEFAULT_REQUEST_TIMEOUT_MILLISECONDS), **_MS),
    _spec("worker_name", "str", "Worker name sent on activation (shows in Operate).", unset_means=DEFAULT_WORKER_NAME),
    _spec("worker_startup_jitter_max_seconds", "float", "Random delay up to this long before the first activation.", minimum=0, unset_means="0", **_S),
    _spec("worker_execution_strategy", "choice", "Where handlers run: auto, async, thread or process.", choices=("auto", "async", "thread", "process"), unset_means=DEFAULT_EXECUTION_STRATEGY),
    _spec("worker_fetch_variables", "csv", "Variables to fetch with each job (comma-separated); unset fetches all.", unset_means="all variables"),
    _spec("worker_drain_timeout", "float", "On stop, how long in-flight jobs may finish before they are abandoned.", minimum=0, unset_means="30", **_S),
    _spec("worker_retry_backoff", "int", "Retry back-off sent when a handler raises an unexpected exception.", minimum=0, unset_means="0", **_MS),
    _spec("worker_auto_extend_timeout", "bool", "Extend the job timeout of long-running jobs automatically.", unset_means="false"),
    _spec("worker_process_start_method", "choice", "multiprocessing start method of the process strategy.", choices=("spawn", "forkserver", "fork"), unset_means=DEFAULT_PROCESS_START_METHOD),
    _spec("worker_max_tasks_per_child", "int", "Process strategy: replace a child process after this many jobs.", minimum=1, unset_means="never"),
    _spec("worker_loop_block_threshold", "int", "Warn, and report not ready, when the worker's event loop has not run for this long (0 turns the watch off).", minimum=0, unset_means=str(DEFAULT_LOOP_BLOCK_THRESHOLD_MILLISECONDS), **_MS),
    # Served by `camunda-worker run` (the library ignores these).
    _spec("worker_health_port", "int", "camunda-worker run: serve /livez and /readyz on this port (0 picks a free one).", minimum=0, unset_means="no health endpoint"),
    _spec("worker_health_host", "str", "camunda-worker run: interface of the health endpoints (0.0.0.0 for probes from outside).", unset_means="127.0.0.1"),
    _spec("worker_metrics_port", "int", "camunda-worker run: serve Prometheus metrics on this port (needs the metrics extra; 0 picks a free one).", minimum=0, unset_means="no metrics endpoint"),
    _spec("worker_metrics_host", "str", "camunda-worker run: interface of the metrics endpoint (0.0.0.0 to be scraped from outside).", unset_means="127.0.0.1"),
)  # fmt: skip

SPECS_BY_FIELD: Mapping[str, SettingSpec] = {spec.field: spec for spec in SPECS}
SPECS_BY_ENV: Mapping[str, SettingSpec] = {spec.env: spec for spec in SPECS} | {
    alias: spec for spec in SPECS for alias in spec.aliases
}


class _InvalidValueError(Exception):
    """Raised by the parsers; turned into a ConfigurationError by :func:`coerce`.

    Args:
        reason: what is wrong, when more can be said than "expected ..."; never the value.
    """

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


def coerce(spec: SettingSpec, raw: object, origin: str) -> object:
    """Parse a raw value (env text or a Python object) into the setting's type.

    Args:
        spec: the setting.
        raw: the value as given: text from the environment or a ``.env`` file, or any object
            from explicit overrides.
        origin: where the value came from, for the error message (``"the environment"``).

    Returns:
        The typed value; ``None`` for an empty list.

    Raises:
        ConfigurationError: the value cannot be parsed or is out of range.
    """
    try:
        return _PARSERS[spec.kind](spec, raw)
    except _InvalidValueError as error:
        shown, reason = spec.show(raw), error.reason
    # Raised outside the handler, naming only masked text: tracebacks that print the locals of
    # each line (loguru's diagnose) must not print the raw value either.
    because = f"{reason}; " if reason else ""
    raise ConfigurationError(
        f"{spec.env}={shown!r} (from {origin}) is not valid: {because}expected {spec.expected()}.",
        variable=spec.env,
    )


def hide_secret(spec: SettingSpec, raw: object, origin: str) -> object:
    """Wrap the raw value of a secret setting in :class:`SecretStr` as soon as it is read.

    Args:
        spec: the setting.
        raw: the value as given.
        origin: where it came from, for the error message.

    Returns:
        ``raw`` itself for a setting that is not secret; a :class:`SecretStr` otherwise.

    Raises:
        ConfigurationError: a secret that is neither text nor a :class:`SecretStr`.
    """
    if not spec.secret or isinstance(raw, SecretStr):
        return raw
    if isinstance(raw, str):
        return SecretStr(raw)
    shown = spec.show(raw)
    raise ConfigurationError(
        f"{spec.env}={shown!r} (from {origin}) is not valid: expected text or a SecretStr.",
        variable=spec.env,
    )


def _text(raw: object) -> str:
    if isinstance(raw, SecretStr):
        return raw.get_secret_value()
    if isinstance(raw, os.PathLike):
        return str(os.fspath(raw))
    if not isinstance(raw, str):
        raise _InvalidValueError
    return raw


def _parse_str(_spec: SettingSpec, raw: object) -> object:
    return _text(raw).strip()


def _parse_envfile(_spec: SettingSpec, raw: object) -> object:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return _text(raw).strip()


def _parse_secret(_spec: SettingSpec, raw: object) -> object:
    return SecretStr(_text(raw))


def _parse_int(spec: SettingSpec, raw: object) -> object:
    if isinstance(raw, bool):
        raise _InvalidValueError
    if isinstance(raw, int):
        value = raw
    else:
        text = _text(raw).strip()
        if not _INTEGER.fullmatch(text):
            raise _InvalidValueError
        value = int(text)
    if spec.minimum is not None and value < spec.minimum:
        raise _InvalidValueError
    return value


def _parse_float(spec: SettingSpec, raw: object) -> object:
    if isinstance(raw, bool):
        raise _InvalidValueError
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        try:
            value = float(_text(raw).strip())
        except ValueError:
            raise _InvalidValueError from None
    if not math.isfinite(value) or (spec.minimum is not None and value < spec.minimum):
        raise _InvalidValueError
    return value


def _parse_bool(_spec: SettingSpec, raw: object) -> object:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower() if isinstance(raw, int | str) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _InvalidValueError


def _parse_choice(spec: SettingSpec, raw: object) -> object:
    text = _text(raw).strip()
    by_lower = {choice.lower(): choice for choice in spec.choices}
    by_lower |= {other.lower(): choice for other, choice in spec.synonyms.items()}
    try:
        return by_lower[text.lower()]
    except KeyError:
        raise _InvalidValueError from None


def _parse_csv(_spec: SettingSpec, raw: object) -> object:
    if isinstance(raw, str):
        items = raw.split(",")
    elif isinstance(raw, list | tuple | set | frozenset):
        items = list(raw)
        if not all(isinstance(item, str) for item in items):
            raise _InvalidValueError
    else:
        raise _InvalidValueError
    cleaned = tuple(item.strip() for item in items if item.strip())
    return cleaned or None


def _parse_url(spec: SettingSpec, raw: object) -> object:
    text = _text(raw).strip()
    problem = url_problem(text)
    if problem is not None:
        raise _InvalidValueError(problem)
    return text


# Secrets in a URL end up wherever the URL is shown: they have settings of their own.
_NOT_IN_URLS = "secrets belong in CAMUNDA_CLIENT_SECRET or CAMUNDA_BASIC_AUTH_PASSWORD, not in URLs"


_URL_CHECKS: tuple[tuple[Callable[[str], bool], str], ...] = (
    (
        lambda text: not text.lower().startswith(("http://", "https://")),
        "it does not start with http:// or https://",
    ),
    (
        lambda text: "@" in text,
        f"it holds an @ (credentials such as user:password@ are not allowed: {_NOT_IN_URLS})",
    ),
    (
        lambda text: "?" in text,
        f"it has a query string (?..., masked here: {_NOT_IN_URLS})",
    ),
    (lambda text: "#" in text, "it has a fragment (#...)"),
    (lambda text: any(char.isspace() for char in text), "it contains whitespace"),
)


def url_problem(text: str) -> str | None:
    """Say what makes ``text`` unfit as a URL setting, or ``None`` when it is fit.

    Fit: an ``http://`` or ``https://`` URL with a host, a valid port if any, and no userinfo,
    query string, fragment or whitespace. The reason never quotes the text.

    Args:
        text: the URL as given.

    Returns:
        The first problem found, phrased to follow "is not valid: ", or ``None``.
    """
    for failed, problem in _URL_CHECKS:
        if failed(text):
            return problem
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return "its port is not a number from 0 to 65535"
    return None if parts.hostname else "it has no host"


def invalid_url(spec: SettingSpec, text: str) -> ConfigurationError | None:
    """The error for a URL setting whose value ``text`` is unfit, or ``None`` when it is fit."""
    problem = url_problem(text)
    if problem is None:
        return None
    return ConfigurationError(
        f"{spec.env}={spec.show(text)!r} is not valid: {problem}; expected {spec.expected()}.",
        variable=spec.env,
    )


_PARSERS = {
    "str": _parse_str,
    "secret": _parse_secret,
    "int": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "choice": _parse_choice,
    "csv": _parse_csv,
    "url": _parse_url,
    "envfile": _parse_envfile,
}
