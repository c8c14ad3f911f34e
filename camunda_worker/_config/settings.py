"""Every ``CAMUNDA_*`` setting in one model, and the resolver that fills it.

Precedence, lowest first::

    built-in defaults  <  .env file  <  process environment  <  explicit overrides

The ``.env`` file is read only when ``CAMUNDA_LOAD_ENVFILE`` (environment or overrides) is true
(``./.env``) or names a file. :func:`resolve_settings` records where each effective value came
from, warns (through loguru) about unknown ``CAMUNDA_*`` variables with the closest known name,
and raises :class:`~camunda_worker.ConfigurationError` naming the variable for any bad value.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import attrs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._base.redact import mask, redact_url, remember_secrets
from camunda_worker._config.envfile import read_envfile
from camunda_worker._config.fields import SPECS, SPECS_BY_FIELD, coerce, invalid_url
from camunda_worker._config.keys import canonical_explicit, layer, warn_unknown_keys

__all__ = ["CamundaSettings", "ResolvedSettings", "Source", "resolve_settings"]

_PositiveInt = Annotated[int, Field(ge=1)]
_NonNegativeInt = Annotated[int, Field(ge=0)]
_NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_Port = Annotated[int, Field(ge=0, le=65535)]


class CamundaSettings(BaseModel):
    """The effective value of every ``CAMUNDA_*`` setting (env name: ``CAMUNDA_`` + FIELD).

    Frozen and picklable (it travels to worker child processes). Secrets are
    :class:`pydantic.SecretStr`, so ``repr`` and ``str`` never show them, and while the
    settings live, errors and log lines of the library mask them in every form (raw,
    percent-encoded, JSON-escaped, base64). Built by
    :func:`resolve_settings`; constructing it directly skips the environment and does not infer
    ``auth_strategy``. The meaning of each field is in ``docs/configuration.md``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    rest_address: str = "http://localhost:8080/v2"
    rest_address_exact: bool = False
    auth_strategy: Literal["NONE", "BASIC", "OAUTH"] = "NONE"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    oauth_url: str = "https://login.cloud.camunda.io/oauth/token"
    token_audience: str = "zeebe.camunda.io"  # noqa: S105 - an audience name, not a secret
    token_scope: str | None = None
    basic_auth_username: str | None = None
    basic_auth_password: SecretStr | None = None
    token_cache_dir: str | None = None
    token_disk_cache_disable: bool = False
    tenant_id: str | None = None
    tenant_ids: tuple[str, ...] | None = None
    mtls_cert: str | None = None
    mtls_cert_path: str | None = None
    mtls_key: SecretStr | None = None
    mtls_key_path: str | None = None
    mtls_ca: str | None = None
    mtls_ca_path: str | None = None
    mtls_key_passphrase: SecretStr | None = None
    sdk_log_level: Literal["silent", "error", "warn", "info", "debug", "trace", "silly"] | None = (
        None
    )
    load_envfile: str | None = None
    worker_timeout: _PositiveInt | None = None
    worker_max_concurrent_jobs: _PositiveInt | None = None
    worker_request_timeout: _PositiveInt | None = None
    worker_name: str | None = None
    worker_startup_jitter_max_seconds: _NonNegativeFloat | None = None
    worker_execution_strategy: Literal["auto", "async", "thread", "process"] | None = None
    worker_fetch_variables: tuple[str, ...] | None = None
    worker_drain_timeout: _NonNegativeFloat | None = None
    worker_retry_backoff: _NonNegativeInt | None = None
    worker_auto_extend_timeout: bool | None = None
    worker_process_start_method: Literal["spawn", "forkserver", "fork"] | None = None
    worker_max_tasks_per_child: _PositiveInt | None = None
    worker_loop_block_threshold: _NonNegativeInt | None = None
    worker_health_port: _Port | None = None
    worker_health_host: str | None = None
    worker_metrics_port: _Port | None = None
    worker_metrics_host: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise_rest_address(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not isinstance(data.get("rest_address"), str):
            return data
        address = data["rest_address"].strip()
        error = invalid_url(SPECS_BY_FIELD["rest_address"], address)
        if error is not None:
            raise error
        if not data.get("rest_address_exact"):
            address = address.rstrip("/")
            if not address.endswith("/v2"):
                address += "/v2"
        return {**data, "rest_address": address}

    @model_validator(mode="after")
    def _check_consistency(self) -> CamundaSettings:
        error = invalid_url(SPECS_BY_FIELD["oauth_url"], self.oauth_url)
        if error is not None:
            raise error
        needs = {
            "OAUTH": (("client_id", self.client_id), ("client_secret", self.client_secret)),
            "BASIC": (
                ("basic_auth_username", self.basic_auth_username),
                ("basic_auth_password", self.basic_auth_password),
            ),
        }
        for field, value in needs.get(self.auth_strategy, ()):
            if value is None or not _plain(value):
                names = " and ".join(SPECS_BY_FIELD[f].env for f, _ in needs[self.auth_strategy])
                env = SPECS_BY_FIELD[field].env
                raise ConfigurationError(
                    f"{env} is not set: CAMUNDA_AUTH_STRATEGY={self.auth_strategy} needs {names}.",
                    variable=env,
                )
        has_cert = bool(self.mtls_cert or self.mtls_cert_path)
        has_key = bool(self.mtls_key or self.mtls_key_path)
        if has_cert != has_key:
            missing = "CAMUNDA_MTLS_KEY" if has_cert else "CAMUNDA_MTLS_CERT"
            raise ConfigurationError(
                f"{missing}(_PATH) is not set: a client certificate and its private key go "
                "together (CAMUNDA_MTLS_CERT or CAMUNDA_MTLS_CERT_PATH with CAMUNDA_MTLS_KEY or "
                "CAMUNDA_MTLS_KEY_PATH).",
                variable=missing,
            )
        if self.mtls_key_passphrase is not None and not has_key:
            raise ConfigurationError(
                "CAMUNDA_MTLS_KEY_PASSPHRASE is set but no client key is: expected "
                "CAMUNDA_MTLS_KEY or CAMUNDA_MTLS_KEY_PATH as well.",
                variable="CAMUNDA_MTLS_KEY_PASSPHRASE",
            )
        # Wherever the library shows text from elsewhere, these are masked in every form.
        remember_secrets(self, (getattr(self, spec.field) for spec in SPECS if spec.secret))
        return self


def _plain(value: str | SecretStr) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class Source(enum.Enum):
    """Where an effective setting came from (later members win)."""

    DEFAULT = "default"
    ENVFILE = "envfile"
    ENVIRONMENT = "environment"
    EXPLICIT = "explicit"


@attrs.frozen
class ResolvedSettings:
    """The resolved settings and where each value came from.

    Attributes:
        settings: the effective settings.
        sources: for every env name (``"CAMUNDA_REST_ADDRESS"``), the layer its value came from.
        envfile: the ``.env`` file that was read, if any.
        auth_strategy_inferred: ``auth_strategy`` was not set but inferred from the credentials.
        unknown_keys: unknown ``CAMUNDA_*`` variables seen, each with the closest known name.
    """

    settings: CamundaSettings
    sources: Mapping[str, Source]
    envfile: Path | None = None
    auth_strategy_inferred: bool = False
    unknown_keys: tuple[tuple[str, str | None], ...] = ()

    def describe(self) -> list[tuple[str, str, Source]]:
        """List every setting for display, secrets masked.

        Returns:
            ``(env name, display value, source)`` for each setting, in documentation order.
        """
        rows: list[tuple[str, str, Source]] = []
        for spec in SPECS:
            value = getattr(self.settings, spec.field)
            if value is None:
                shown = f"<unset: {spec.unset_means}>" if spec.unset_means else "<unset>"
            elif isinstance(value, SecretStr):
                shown = mask(value.get_secret_value())
            elif isinstance(value, bool):
                shown = "true" if value else "false"
            elif isinstance(value, tuple):
                shown = ",".join(value)
            elif isinstance(value, str) and "-----BEGIN" in value:
                shown = f"<PEM, {len(value)} characters>"
            elif spec.kind == "url":
                shown = redact_url(str(value))
            else:
                shown = str(value)
            if spec.field == "auth_strategy" and self.auth_strategy_inferred:
                shown += " (inferred from the credentials)"
            rows.append((spec.env, shown, self.sources[spec.env]))
        return rows


def resolve_settings(
    overrides: Mapping[str, object] | None = None,
    /,
    *,
    environ: Mapping[str, str] | None = None,
    **kwargs: object,
) -> ResolvedSettings:
    """Resolve the effective settings: defaults < .env < environment < explicit overrides.

    Args:
        overrides: explicit values keyed by env name (``"CAMUNDA_REST_ADDRESS"``) or field name
            (``"rest_address"``); a value of ``None`` counts as not given.
        environ: the environment to read; ``None`` means :data:`os.environ`.
        **kwargs: more explicit values, like ``overrides`` (they win over it).

    Returns:
        The settings and the source of each value.

    Raises:
        ConfigurationError: an override key is unknown, or a value is invalid; the message names
            the variable, shows the value (masked for secrets) and says what is expected.
    """
    explicit = {**canonical_explicit(overrides or {}), **canonical_explicit(kwargs)}
    env = os.environ if environ is None else environ
    environment = layer(env)
    if "CAMUNDA_LOAD_ENVFILE" in explicit:
        envfile_setting: object = explicit["CAMUNDA_LOAD_ENVFILE"]
    else:
        envfile_setting = environment.get("CAMUNDA_LOAD_ENVFILE")
    envfile, envfile_raw = read_envfile(envfile_setting)
    envfile_raw.pop("CAMUNDA_LOAD_ENVFILE", None)
    unknown = warn_unknown_keys(env.keys() | envfile_raw.keys())
    layers = (
        (Source.EXPLICIT, explicit, "explicit overrides"),
        (Source.ENVIRONMENT, environment, "the environment"),
        (Source.ENVFILE, layer(envfile_raw), f"the .env file {envfile}"),
    )
    values: dict[str, object] = {}
    sources: dict[str, Source] = {}
    for spec in SPECS:
        sources[spec.env] = Source.DEFAULT
        for source, given, origin in layers:
            if spec.env in given:
                value = coerce(spec, given[spec.env], origin)
                if value is not None:
                    values[spec.field] = value
                    sources[spec.env] = source
                break
    inferred = "auth_strategy" not in values
    if inferred:
        values["auth_strategy"] = _infer_auth_strategy(values, sources)
    try:
        settings = CamundaSettings.model_validate(values)
    except ValidationError as error:
        raise _configuration_error(error, values) from None
    return ResolvedSettings(
        settings, sources, envfile, inferred and _auth_set(values), tuple(unknown)
    )


def _auth_set(values: Mapping[str, object]) -> bool:
    return values.get("auth_strategy", "NONE") != "NONE"


def _infer_auth_strategy(values: Mapping[str, object], sources: dict[str, Source]) -> str:
    oauth = [f for f in ("client_id", "client_secret") if f in values]
    basic = [f for f in ("basic_auth_username", "basic_auth_password") if f in values]
    if oauth and basic:
        raise ConfigurationError(
            "CAMUNDA_AUTH_STRATEGY is not set, and both OAuth (CAMUNDA_CLIENT_ID/SECRET) and "
            "Basic (CAMUNDA_BASIC_AUTH_USERNAME/PASSWORD) credentials are: expected "
            "CAMUNDA_AUTH_STRATEGY=OAUTH or BASIC to say which one to use.",
            variable="CAMUNDA_AUTH_STRATEGY",
        )
    used = oauth or basic
    if not used:
        return "NONE"
    # The strategy comes from wherever the credentials came from.
    sources["CAMUNDA_AUTH_STRATEGY"] = max(
        (sources[SPECS_BY_FIELD[f].env] for f in used), key=list(Source).index
    )
    return "OAUTH" if oauth else "BASIC"


def _configuration_error(error: ValidationError, values: Mapping[str, object]) -> Exception:
    first = error.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigurationError):
        return cause
    # Values were parsed by ``coerce`` already; this is a range or choice the model enforces.
    field = str(first["loc"][0]) if first["loc"] else ""
    spec = SPECS_BY_FIELD.get(field)
    if spec is None:  # pragma: no cover - every field has a spec (tested)
        return ConfigurationError(f"invalid configuration: {first['msg']}")
    return ConfigurationError(
        f"{spec.env}={spec.show(values.get(field))!r} is not valid: expected {spec.expected()}.",
        variable=spec.env,
    )
