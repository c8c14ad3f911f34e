"""The ``camunda-worker`` command: ``python -m camunda_worker`` or the installed script.

Sub-commands live in their own modules and are imported only when used, so ``--help`` and
``--version`` stay fast and a missing optional dependency only affects the command that needs it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from camunda_worker._version import __version__
from camunda_worker.cli._commands import COMMANDS as _COMMANDS

_USAGE = """usage: camunda-worker [--version] COMMAND [ARGS...]

commands:
{commands}

Run 'camunda-worker COMMAND --help' for a command's options."""


def _usage() -> str:
    width = max(len(name) for name in _COMMANDS)
    lines = [f"  {name.ljust(width)}  {help_}" for name, (_, _, help_) in _COMMANDS.items()]
    return _USAGE.format(commands="\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``camunda-worker`` command line and return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else 2
    if args[0] == "--version":
        print(f"camunda-worker {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in _COMMANDS:
        print(f"camunda-worker: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, function_name, _ = _COMMANDS[name]
    command: Callable[[Sequence[str]], int] = getattr(import_module(module_name), function_name)
    return command(rest)


if __name__ == "__main__":
    sys.exit(main())
