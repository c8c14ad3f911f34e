"""Installed but unused costs nothing: the package and its pytest plugin load lazily.

Every pytest run of every project that has camunda-worker installed loads the plugin (entry
point ``pytest11``), so loading it must not import the library's heavy dependencies.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import camunda_worker

HEAVY = ("httpx", "httpcore", "pydantic", "loguru", "attrs", "anyio")


def _imported_after(statement: str) -> list[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    return sorted(name for name in HEAVY if name in loaded)


@pytest.mark.parametrize(
    "statement", ["import camunda_worker.pytest_plugin", "import camunda_worker"]
)
def test_loading_imports_no_heavy_dependency(statement: str) -> None:
    assert _imported_after(statement) == []


def test_the_first_name_used_loads_what_it_needs() -> None:
    assert "httpx" in _imported_after("from camunda_worker import JobWorker")


def test_every_export_has_a_lazy_home_and_resolves_to_it() -> None:
    exports = vars(camunda_worker)["_EXPORTS"]
    assert set(exports) == set(camunda_worker.__all__) - {"__version__"}
    for name, module in exports.items():
        assert getattr(camunda_worker, name) is getattr(importlib.import_module(module), name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'JobWroker'"):
        _ = camunda_worker.JobWroker  # type: ignore[attr-defined]
    assert set(camunda_worker.__all__) <= set(dir(camunda_worker))


def test_logs_enabled_after_the_first_name_is_used_are_shown() -> None:
    code = (
        "import sys\n"
        "from loguru import logger\n"
        "from camunda_worker import resolve_settings\n"
        "logger.remove(); logger.add(sys.stdout, format='{message}')\n"
        "logger.enable('camunda_worker')\n"
        "resolve_settings(environ={'CAMUNDA_LOAD_ENVFILE': 'true'})\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    )
    assert ".env does not exist" in out.stdout
