"""``camunda-worker run MODULE`` from a project folder, through the installed script.

The installed ``camunda-worker`` script puts its own ``bin`` folder first on ``sys.path``, not
the current directory (``python -m`` does, which hid the bug). The launcher written here is the
script pip generates for the ``[project.scripts]`` entry point, run from a folder of its own.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import TIMEOUT, ServedEngine

# What pip writes into bin/camunda-worker for `camunda-worker = "camunda_worker.__main__:main"`.
LAUNCHER = """\
import re
import sys
from camunda_worker.__main__ import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""

HANDLERS = """
import camunda_worker

@camunda_worker.task("{job_type}", strategy="{strategy}")
def handle(job):
    return {{"handled_by": __name__}}
"""


@pytest.fixture
def launcher(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "camunda-worker"
    script.write_text(LAUNCHER, encoding="utf-8")
    return script


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "shop").mkdir(parents=True)
    (project / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (project / "handlers.py").write_text(
        textwrap.dedent(HANDLERS.format(job_type="top", strategy="async")), encoding="utf-8"
    )
    (project / "shop" / "handlers.py").write_text(
        # the process strategy: the pool's children must find the module too
        textwrap.dedent(HANDLERS.format(job_type="shop", strategy="process")),
        encoding="utf-8",
    )
    return project


@pytest.mark.parametrize(("module", "job_type"), [("handlers", "top"), ("shop.handlers", "shop")])
def test_run_imports_a_module_of_the_current_directory(
    served_engine: ServedEngine, tmp_path: Path, launcher: Path, module: str, job_type: str
) -> None:
    project = _project(tmp_path)
    served_engine.engine.create_job(job_type)
    result = subprocess.run(
        [sys.executable, str(launcher), "run", module, "--limit", "1"],
        cwd=project,
        env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [job] = served_engine.completed(job_type)
    assert job.result_variables == {"handled_by": module}
