"""Command-line flags that override settings, shared by every sub-command that connects."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._config.settings import ResolvedSettings, resolve_settings
from camunda_worker.cli._logging import say

__all__ = ["add_settings_arguments", "report_configuration_error", "resolve_from_arguments"]


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--set KEY=VALUE`` (repeatable) and ``--env-file PATH`` to ``parser``."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting, e.g. --set CAMUNDA_REST_ADDRESS=http://127.0.0.1:8080/v2 "
        "(wins over the environment and the .env file; repeatable)",
    )
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help="read settings from this .env file (same as CAMUNDA_LOAD_ENVFILE=PATH)",
    )


def _parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"--set expects KEY=VALUE, got {pair.split('=')[0]!r}")
        overrides[key.strip()] = value
    return overrides


def resolve_from_arguments(
    arguments: argparse.Namespace, extra: dict[str, object] | None = None
) -> ResolvedSettings:
    """Resolve settings from the environment plus the flags in ``arguments``.

    Raises:
        ConfigurationError: a flag or a setting is invalid.
    """
    overrides: dict[str, object] = dict(_parse_overrides(arguments.overrides))
    if arguments.env_file:
        overrides["CAMUNDA_LOAD_ENVFILE"] = arguments.env_file
    overrides.update(extra or {})
    return resolve_settings(overrides)


def report_configuration_error(error: ConfigurationError) -> int:
    """Print a configuration error the way every command does, and return exit code 2."""
    say(f"camunda-worker: configuration error: {error}", stream=sys.stderr)
    return 2
