"""``camunda-worker completion``: the scripts complete commands and each command's options."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from camunda_worker.cli._commands import COMMANDS

from .conftest import TIMEOUT, clean_environment, run_cli


def script(shell: str) -> str:
    result = run_cli("completion", shell, env=clean_environment())
    assert result.returncode == 0, result.stderr
    return result.stdout


def complete_in_bash(source: str, *words: str) -> list[str]:
    """What bash offers for the last of ``words`` (``camunda-worker`` first)."""
    quoted = " ".join(f"'{word}'" for word in words)
    program = (
        f"{source}\nCOMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
        '_camunda_worker; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "--norc", "-c", program],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_then_their_options() -> None:
    source = script("bash")
    assert complete_in_bash(source, "camunda-worker", "ru") == ["run"]
    assert set(complete_in_bash(source, "camunda-worker", "")) >= set(COMMANDS)
    assert complete_in_bash(source, "camunda-worker", "run", "--conc") == ["--concurrency"]
    assert complete_in_bash(source, "camunda-worker", "start", "--aw") == [
        "--await",
        "--await-timeout",
    ]
    assert complete_in_bash(source, "camunda-worker", "completion", "z") == ["zsh"]


def test_zsh_uses_the_bash_script_through_bashcompinit() -> None:
    zsh, bash = script("zsh"), script("bash")
    assert "autoload -U +X bashcompinit && bashcompinit" in zsh
    assert bash.split("\n", 1)[1] in zsh


def test_fish_completes_every_command_and_option() -> None:
    fish = script("fish")
    assert f"-a '{' '.join(COMMANDS)}'" in fish
    assert "complete -c camunda-worker -n '__fish_seen_subcommand_from run' -l concurrency" in fish
    assert "complete -c camunda-worker -n '__fish_seen_subcommand_from run' -s c" in fish


def test_an_unknown_shell_exits_2() -> None:
    assert run_cli("completion", "tcsh", env=clean_environment()).returncode == 2
