"""mypy --strict understands decorated handlers: ``@task`` keeps the function's type exactly."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent / "typing" / "decorated_handlers.py"


def test_mypy_strict_keeps_the_types_of_decorated_handlers(tmp_path: Path) -> None:
    if shutil.which("mypy") is None and not Path(sys.executable).with_name("mypy").exists():
        pytest.skip("mypy is not installed in this environment (the types extra installs it)")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path),
            "--config-file",
            "",
            "--python-version",
            "3.10",
            str(SAMPLE),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
