"""The table of ``camunda-worker`` sub-commands, and their parsers (for completion and docs).

Only module names: a command's module is imported when it runs (or when its parser is asked
for), so ``camunda-worker --help`` stays fast.
"""

from __future__ import annotations

import argparse
from importlib import import_module

__all__ = ["COMMANDS", "build_parser"]

# sub-command -> (module, function taking argv and returning an exit code, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "config": (
        "camunda_worker.cli.config",
        "main",
        "print the effective configuration and where each value came from",
    ),
    "demo": (
        "camunda_worker.cli.demo",
        "main",
        "run the demo: an order process on the built-in engine, with a summary",
    ),
    "engine": (
        "camunda_worker.engine._http.server",
        "main",
        "serve the in-memory Camunda 8 engine over HTTP",
    ),
    "run": (
        "camunda_worker.cli.run",
        "main",
        "run the job handlers a module registers, configured by CAMUNDA_* settings",
    ),
    "completion": (
        "camunda_worker.cli.completion",
        "main",
        "print a shell completion script (bash, zsh, fish)",
    ),
    "deploy": ("camunda_worker.cli.cluster", "deploy", "deploy BPMN files to the cluster"),
    "start": ("camunda_worker.cli.cluster", "start", "start a process instance"),
    "instances": ("camunda_worker.cli.cluster", "instances", "list process instances"),
    "jobs": ("camunda_worker.cli.cluster", "jobs", "list jobs"),
    "incidents": ("camunda_worker.cli.cluster", "incidents", "list incidents"),
    "publish": ("camunda_worker.cli.cluster", "publish", "publish a message"),
    "status": (
        "camunda_worker.cli.cluster",
        "status",
        "show whether the cluster is ready, and its version",
    ),
}
"""sub-command -> (module, function taking argv and returning an exit code, one-line help)."""


def build_parser(name: str) -> argparse.ArgumentParser:
    """The argument parser of the sub-command ``name`` (imports its module).

    Raises:
        KeyError: no such sub-command.
    """
    module = import_module(COMMANDS[name][0])
    several = getattr(module, "COMMANDS", None)  # a module serving several commands
    if isinstance(several, dict) and name in several:
        parser: argparse.ArgumentParser = module.build_parser(name)
    else:
        parser = module.build_parser()
    return parser
