"""The README's two commands: what CI runs, and safe on an "externally managed" Python (PEP 668).

Debian, Ubuntu and others put an ``EXTERNALLY-MANAGED`` marker in their Python's stdlib folder;
pip then refuses to install into it. The commands create a venv first and run pip and nox only
from it. Where such an interpreter is on this machine, the test shows the refusal and that the
venv's pip is not refused (offline: ``--no-index`` stops before anything is downloaded).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = "python3 -m venv .venv && "


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    demo, tests = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == tests
    assert "-s demo" in demo


@pytest.mark.parametrize("command", readme_commands())
def test_the_readme_commands_install_only_into_their_venv(command: str) -> None:
    assert command.startswith(VENV)
    for step in command.removeprefix(VENV).split(" && "):
        assert shlex.split(step)[0].startswith(".venv/bin/"), step


def _externally_managed_python() -> str | None:
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate is None or not Path(candidate).exists():
            continue
        stdlib = subprocess.run(
            [candidate, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if stdlib and (Path(stdlib) / "EXTERNALLY-MANAGED").exists():
            return candidate
    return None


def test_the_venv_step_works_where_the_system_python_refuses_pip(tmp_path: Path) -> None:
    python = _externally_managed_python()
    if python is None:
        pytest.skip("no Python with an EXTERNALLY-MANAGED marker (PEP 668) on this machine")
    refused = subprocess.run(
        [python, "-m", "pip", "install", "--no-index", "nox"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    if "No module named pip" in refused.stderr:
        pytest.skip(f"{python} has no pip: PEP 668 cannot bite there")
    assert "externally-managed-environment" in refused.stdout + refused.stderr
    subprocess.run([python, "-m", "venv", ".venv"], cwd=tmp_path, check=True, timeout=120)
    inside = subprocess.run(
        [".venv/bin/pip", "install", "--no-index", "nox"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    said = inside.stdout + inside.stderr
    assert "externally-managed" not in said
    # refused only for want of a wheel (unless a configured --find-links folder holds nox)
    assert inside.returncode == 0 or "No matching distribution found for nox" in said
