"""Setting names: aliases, explicit override keys, and warnings about unknown variables.

Typos in variable names are the most common configuration bug, so an unknown ``CAMUNDA_*``
variable is reported with the closest known name.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Iterable, Mapping

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._base.logs import logger
from camunda_worker._config.fields import SPECS, SPECS_BY_ENV, SPECS_BY_FIELD, hide_secret

__all__ = ["FOREIGN_KEYS", "canonical_explicit", "closest_key", "layer", "warn_unknown_keys"]

# Variables other Camunda tools and SDKs read; present in many deployments, not read here.
FOREIGN_KEYS = frozenset(
    {
        "CAMUNDA_SDK_BACKPRESSURE_PROFILE",
        "CAMUNDA_CLUSTER_ID",
        "CAMUNDA_CLUSTER_REGION",
        "CAMUNDA_CREDENTIALS_SCOPES",
        "CAMUNDA_CONSOLE_BASE_URL",
        "CAMUNDA_CONSOLE_CLIENT_ID",
        "CAMUNDA_CONSOLE_CLIENT_SECRET",
        "CAMUNDA_CONSOLE_OAUTH_AUDIENCE",
        "CAMUNDA_OPERATE_BASE_URL",
        "CAMUNDA_TASKLIST_BASE_URL",
        "CAMUNDA_OPTIMIZE_BASE_URL",
        "CAMUNDA_MODELER_BASE_URL",
        "CAMUNDA_SECURE_CONNECTION",
    }
)
_KNOWN_ENV = tuple(SPECS_BY_ENV)
_WARNED: set[str] = set()
_WARNED_LOCK = threading.Lock()


def closest_key(name: str, known: Iterable[str] = _KNOWN_ENV) -> str | None:
    """Return the known name closest to ``name``, or ``None`` when nothing is close.

    Args:
        name: the unknown name.
        known: the names to choose from.

    Returns:
        The best match, if any is similar enough.
    """
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def warn_unknown_keys(names: Iterable[str]) -> list[tuple[str, str | None]]:
    """Log a warning for each unknown ``CAMUNDA_*`` name, once per process and name.

    Args:
        names: variable names from the environment and the ``.env`` file.

    Returns:
        Every unknown name with its suggestion (including those warned about before).
    """
    unknown: list[tuple[str, str | None]] = []
    for name in sorted(set(names)):
        if not name.startswith("CAMUNDA_") or name in SPECS_BY_ENV or name in FOREIGN_KEYS:
            continue
        suggestion = closest_key(name)
        unknown.append((name, suggestion))
        with _WARNED_LOCK:
            if name in _WARNED:
                continue
            _WARNED.add(name)
        hint = f"did you mean {suggestion}?" if suggestion else "no known setting is similar"
        logger.warning("Unknown setting {} in the environment is ignored: {}", name, hint)
    return unknown


def layer(given: Mapping[str, str]) -> dict[str, object]:
    """Pick the known settings out of an environment-like mapping, keyed by canonical env name.

    Empty values count as unset. When a setting is given under its canonical name and an alias
    (``CAMUNDA_REST_ADDRESS`` and ``ZEEBE_REST_ADDRESS``), the canonical name wins.

    Args:
        given: the process environment or a ``.env`` file's values.

    Returns:
        The raw values by canonical env name; secrets wrapped in :class:`SecretStr`.
    """
    picked: dict[str, object] = {}
    for spec in SPECS:
        present = [name for name in (spec.env, *spec.aliases) if (given.get(name) or "").strip()]
        if not present:
            continue
        picked[spec.env] = hide_secret(spec, given[present[0]], "the environment")
        if len({given[name] for name in present}) > 1:
            logger.debug("{} and {} are both set and differ; {} wins", *present[:2], present[0])
    return picked


def canonical_explicit(overrides: Mapping[str, object]) -> dict[str, object]:
    """Key explicit overrides by canonical env name; ``None`` values are dropped.

    Args:
        overrides: values keyed by env name, alias or field name.

    Returns:
        The values by canonical env name.

    Raises:
        ConfigurationError: a key is unknown (with the closest known name), or one setting is
            given twice with different values.
    """
    canonical: dict[str, object] = {}
    given_as: dict[str, str] = {}
    for key, value in overrides.items():
        spec = SPECS_BY_FIELD.get(key) or SPECS_BY_ENV.get(key.upper())
        if spec is None:
            suggestion = closest_key(key, [*SPECS_BY_FIELD, *_KNOWN_ENV])
            hint = f"did you mean {suggestion!r}?" if suggestion else "see docs/configuration.md"
            raise ConfigurationError(
                f"Unknown setting {key!r} in the explicit overrides: expected a CAMUNDA_* name "
                f"or a field name of CamundaSettings; {hint}",
                variable=key,
            )
        if value is None:
            continue
        value = hide_secret(spec, value, "explicit overrides")  # noqa: PLW2901 - same value, wrapped
        if spec.env in canonical and canonical[spec.env] != value:
            raise ConfigurationError(
                f"{spec.env} is given twice in the explicit overrides ({given_as[spec.env]!r} "
                f"and {key!r}) with different values: expected it once.",
                variable=spec.env,
            )
        canonical[spec.env] = value
        given_as[spec.env] = key
    return canonical
