"""Per-worker configuration, and how it inherits the ``CAMUNDA_WORKER_*`` defaults.

Precedence for every field: a value set on :class:`WorkerConfig` > the matching
``CAMUNDA_WORKER_*`` setting (environment, ``.env``, overrides) > the built-in default.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import attrs

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._config.fields import (
    DEFAULT_MAX_CONCURRENT_JOBS,
    DEFAULT_REQUEST_TIMEOUT_MILLISECONDS,
    DEFAULT_WORKER_NAME,
)
from camunda_worker._config.settings import CamundaSettings, resolve_settings

__all__ = ["WorkerConfig", "resolve_worker_config"]

_T = TypeVar("_T")


def _names(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    """Accept any sequence of names (or a comma-separated string); empty means ``None``."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    if not all(isinstance(item, str) for item in items):
        raise ConfigurationError(
            f"expected names as strings, got {[type(item).__name__ for item in items]}",
        )
    cleaned = tuple(item.strip() for item in items if item.strip())
    return cleaned or None


def _check_job_type(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            f"WorkerConfig.{attribute.name}={value!r} is not valid: expected the job type as a "
            "non-blank string (the task definition type in the BPMN model).",
            variable=attribute.name,
        )


def _check_positive(
    _instance: object, attribute: attrs.Attribute[int | None], value: object
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            f"WorkerConfig.{attribute.name}={value!r} is not valid: expected a whole number "
            ">= 1, or None to inherit the CAMUNDA_WORKER_* setting.",
            variable=attribute.name,
        )


def _check_name(_instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigurationError(
            f"WorkerConfig.{attribute.name}={value!r} is not valid: expected a non-blank "
            "string, or None to inherit CAMUNDA_WORKER_NAME.",
            variable=attribute.name,
        )


def _checked_names(field: str, value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    try:
        return _names(value)
    except (ConfigurationError, TypeError):
        raise ConfigurationError(
            f"WorkerConfig.{field}={value!r} is not valid: expected a sequence of "
            "non-blank strings, or None.",
            variable=field,
        ) from None


def _fetch_variables(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    return _checked_names("fetch_variables", value)


def _tenant_ids(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    return _checked_names("tenant_ids", value)


@attrs.frozen
class WorkerConfig:
    """What one job worker does; fields left ``None`` inherit ``CAMUNDA_WORKER_*`` settings.

    Attributes:
        job_type: the job type to activate (the task definition type in the BPMN model).
        job_timeout_milliseconds: how long an activated job stays reserved for this worker
            (``CAMUNDA_WORKER_TIMEOUT``; required here or there).
        request_timeout_milliseconds: long-poll duration of one activation request
            (``CAMUNDA_WORKER_REQUEST_TIMEOUT``, default 10000).
        max_concurrent_jobs: most jobs in flight at once (``CAMUNDA_WORKER_MAX_CONCURRENT_JOBS``,
            default 10).
        fetch_variables: the variables to fetch with each job; ``None`` fetches all
            (``CAMUNDA_WORKER_FETCH_VARIABLES``). Any sequence is accepted and kept as a tuple;
            an empty one means ``None``, since the API cannot ask for no variables.
        worker_name: the name sent on activation (``CAMUNDA_WORKER_NAME``, default
            ``"camunda-worker"``).
        tenant_ids: the tenants to activate jobs for (``CAMUNDA_TENANT_IDS``, then
            ``CAMUNDA_TENANT_ID``).
    """

    job_type: str = attrs.field(validator=_check_job_type)
    job_timeout_milliseconds: int | None = attrs.field(default=None, validator=_check_positive)
    request_timeout_milliseconds: int | None = attrs.field(default=None, validator=_check_positive)
    max_concurrent_jobs: int | None = attrs.field(default=None, validator=_check_positive)
    fetch_variables: tuple[str, ...] | None = attrs.field(
        default=None,
        converter=_fetch_variables,
    )
    worker_name: str | None = attrs.field(default=None, validator=_check_name)
    tenant_ids: tuple[str, ...] | None = attrs.field(
        default=None,
        converter=_tenant_ids,
    )


def resolve_worker_config(
    config: WorkerConfig, settings: CamundaSettings | None = None
) -> WorkerConfig:
    """Fill every ``None`` field: explicit field > ``CAMUNDA_WORKER_*`` setting > default.

    Args:
        config: the worker's configuration as the user wrote it.
        settings: the resolved settings; ``None`` resolves them from the environment.

    Returns:
        A new :class:`WorkerConfig` whose numbers and name are set (``fetch_variables`` and
        ``tenant_ids`` stay ``None`` when nothing sets them: all variables, default tenant).

    Raises:
        ConfigurationError: no job timeout is set anywhere.
    """
    if settings is None:
        settings = resolve_settings().settings
    timeout = _first(config.job_timeout_milliseconds, settings.worker_timeout)
    if timeout is None:
        raise ConfigurationError(
            f"No job timeout for job type {config.job_type!r}: set "
            "WorkerConfig(job_timeout_milliseconds=...) or the CAMUNDA_WORKER_TIMEOUT "
            "environment variable, e.g. 30000 (milliseconds the job stays reserved).",
            variable="CAMUNDA_WORKER_TIMEOUT",
        )
    tenant_ids = _first(
        config.tenant_ids,
        settings.tenant_ids,
        (settings.tenant_id,) if settings.tenant_id else None,
    )
    return attrs.evolve(
        config,
        job_timeout_milliseconds=timeout,
        request_timeout_milliseconds=_first(
            config.request_timeout_milliseconds,
            settings.worker_request_timeout,
            DEFAULT_REQUEST_TIMEOUT_MILLISECONDS,
        ),
        max_concurrent_jobs=_first(
            config.max_concurrent_jobs,
            settings.worker_max_concurrent_jobs,
            DEFAULT_MAX_CONCURRENT_JOBS,
        ),
        fetch_variables=_first(config.fetch_variables, settings.worker_fetch_variables),
        worker_name=_first(config.worker_name, settings.worker_name, DEFAULT_WORKER_NAME),
        tenant_ids=tenant_ids,
    )


def _first(*values: _T | None) -> _T | None:
    for value in values:
        if value is not None:
            return value
    return None
