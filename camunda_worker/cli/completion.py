"""``camunda-worker completion bash|zsh|fish``: print a shell completion script.

The script completes the sub-commands, then each command's options; other words complete as
file names (modules, ``.bpmn`` files). It is generated from the commands' own parsers, so it
knows every option the installed version has; regenerate it after an upgrade.

Enable it (see docs/cli.md)::

    # bash: ~/.bashrc
    eval "$(camunda-worker completion bash)"
    # zsh: ~/.zshrc
    eval "$(camunda-worker completion zsh)"
    # fish
    camunda-worker completion fish > ~/.config/fish/completions/camunda-worker.fish
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

from camunda_worker.cli import _commands

__all__ = ["SHELLS", "build_parser", "main", "options_of", "script"]

SHELLS = ("bash", "zsh", "fish")

_OPTION_LINE = re.compile(r"^  (-\S.*?)(?:\s{2,}|$)")


def options_of(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string ``parser``'s ``--help`` lists (``-c``, ``--concurrency``...)."""
    names: list[str] = []
    for line in parser.format_help().splitlines():
        match = _OPTION_LINE.match(line)
        if match:
            names.extend(item.split()[0] for item in match[1].split(", "))
    return names


def _options() -> dict[str, list[str]]:
    return {name: options_of(_commands.build_parser(name)) for name in _commands.COMMANDS}


def _bash(options: dict[str, list[str]]) -> str:
    cases = "\n".join(
        f'        {name}) options="{" ".join(names)}" ;;' for name, names in options.items()
    )
    return f"""# camunda-worker completion (bash); eval "$(camunda-worker completion bash)"
_camunda_worker() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "{" ".join(options)} --help --version" -- "$cur"))
        return
    fi
    local options=""
    case "${{COMP_WORDS[1]}}" in
{cases}
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    elif [ "${{COMP_WORDS[1]}}" = completion ]; then
        COMPREPLY=($(compgen -W "{" ".join(SHELLS)}" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -o filenames -F _camunda_worker camunda-worker
"""


def _zsh(options: dict[str, list[str]]) -> str:
    return (
        '# camunda-worker completion (zsh); eval "$(camunda-worker completion zsh)"\n'
        "autoload -U +X bashcompinit && bashcompinit\n" + _bash(options).split("\n", 1)[1]
    )


def _fish(options: dict[str, list[str]]) -> str:
    lines = [
        "# camunda-worker completion (fish); save as "
        "~/.config/fish/completions/camunda-worker.fish",
        f"complete -c camunda-worker -f -n __fish_use_subcommand -a '{' '.join(options)}'",
    ]
    for name, names in options.items():
        condition = f"-n '__fish_seen_subcommand_from {name}'"
        for option in names:
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            lines.append(f"complete -c camunda-worker {condition} {flag}")
    lines.append(
        f"complete -c camunda-worker -f -n '__fish_seen_subcommand_from completion' "
        f"-a '{' '.join(SHELLS)}'"
    )
    return "\n".join(lines) + "\n"


def script(shell: str) -> str:
    """The completion script for ``shell`` (``bash``, ``zsh`` or ``fish``).

    Raises:
        ValueError: another shell.
    """
    render = {"bash": _bash, "zsh": _zsh, "fish": _fish}.get(shell)
    if render is None:
        raise ValueError(f"no completion for {shell!r}: choose one of {', '.join(SHELLS)}")
    return render(_options())


def build_parser() -> argparse.ArgumentParser:
    """This command's parser."""
    parser = argparse.ArgumentParser(
        prog="camunda-worker completion",
        description="Print a shell completion script for camunda-worker (sub-commands and "
        'their options). bash: eval "$(camunda-worker completion bash)" in ~/.bashrc; zsh: the '
        "same with zsh in ~/.zshrc; fish: camunda-worker completion fish > "
        "~/.config/fish/completions/camunda-worker.fish",
    )
    parser.add_argument("shell", metavar="SHELL", choices=SHELLS, help="bash, zsh or fish")
    return parser


def main(argv: Sequence[str]) -> int:
    """Run ``camunda-worker completion SHELL``; print the script, return 0."""
    arguments = build_parser().parse_args(argv)
    print(script(arguments.shell), end="")
    return 0
