"""``camunda-worker config``: print the effective configuration and where each value came from."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._config.settings import Source
from camunda_worker.cli._settings_args import (
    add_settings_arguments,
    report_configuration_error,
    resolve_from_arguments,
)

__all__ = ["build_parser", "main"]

# How a source reads in the table: a flag on this command line is the "explicit" layer.
_SOURCE_NAMES = {
    Source.DEFAULT: "default",
    Source.ENVFILE: ".env",
    Source.ENVIRONMENT: "environment",
    Source.EXPLICIT: "flag",
}


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser (docs/cli.md is tested against it)."""
    parser = argparse.ArgumentParser(
        prog="camunda-worker config",
        description="Print the effective configuration (secrets masked) and the source of each "
        "value: default, .env, environment or flag.",
    )
    add_settings_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def main(argv: Sequence[str]) -> int:
    """Run ``camunda-worker config``; return the exit code (2 on a configuration error)."""
    arguments = build_parser().parse_args(argv)
    try:
        resolved = resolve_from_arguments(arguments)
    except ConfigurationError as error:
        return report_configuration_error(error)
    rows = [(name, shown, _SOURCE_NAMES[source]) for name, shown, source in resolved.describe()]
    if arguments.json:
        document = {
            "settings": [{"name": n, "value": v, "source": s} for n, v, s in rows],
            "unknown_keys": [
                {"name": name, "did_you_mean": suggestion}
                for name, suggestion in resolved.unknown_keys
            ],
        }
        print(json.dumps(document, indent=2))
        return 0
    name_width = max(len(row[0]) for row in rows)
    value_width = min(max(len(row[1]) for row in rows), 60)
    print(f"{'SETTING'.ljust(name_width)}  {'VALUE'.ljust(value_width)}  SOURCE")
    for name, shown, source in rows:
        print(f"{name.ljust(name_width)}  {shown.ljust(value_width)}  {source}")
    for name, suggestion in resolved.unknown_keys:
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        print(f"warning: unknown setting {name} in the environment{hint}")
    return 0
