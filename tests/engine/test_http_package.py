"""The public surface of ``camunda_worker.engine``: complete, sorted, documented, light to import."""

from __future__ import annotations

import subprocess
import sys
from typing import Literal, get_origin

import camunda_worker.engine as engine_package


def test_all_is_sorted_and_every_name_exists_and_is_documented() -> None:
    names = list(engine_package.__all__)

    assert names == sorted(names)
    assert [name for name in names if not hasattr(engine_package, name)] == []
    undocumented = [
        name
        for name in names
        if get_origin(getattr(engine_package, name)) is not Literal  # aliases carry no __doc__
        and not (getattr(engine_package, name).__doc__ or "").strip()
    ]
    assert undocumented == []


def test_importing_the_engine_does_not_import_uvicorn_or_pytest() -> None:
    code = "import sys, camunda_worker.engine; print('uvicorn' in sys.modules, 'pytest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.split() == ["False", "False"]


def test_an_app_built_without_an_engine_owns_and_closes_its_engine() -> None:
    app = engine_package.create_app(record=False)

    assert isinstance(app.engine, engine_package.Engine)
    assert app.recorder.enabled is False
    app.close()
    app.close()  # idempotent
