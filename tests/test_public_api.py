"""The public surface: everything in __all__ exists, is sorted, and nothing public is missing."""

from __future__ import annotations

import subprocess
import sys

import camunda_worker


def test_all_is_sorted_and_unique() -> None:
    names = list(camunda_worker.__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))


def test_every_exported_name_exists() -> None:
    missing = [name for name in camunda_worker.__all__ if not hasattr(camunda_worker, name)]
    assert missing == []


def test_every_public_attribute_is_exported() -> None:
    public = {
        name
        for name, value in vars(camunda_worker).items()
        if not name.startswith("_") and not isinstance(value, type(sys))
    }
    assert public <= set(camunda_worker.__all__)


def test_every_exported_name_is_documented() -> None:
    undocumented = [
        name
        for name in camunda_worker.__all__
        if not name.startswith("__") and not (getattr(camunda_worker, name).__doc__ or "").strip()
    ]
    assert undocumented == []


def test_importing_the_package_does_not_import_pytest() -> None:
    code = "import sys, camunda_worker; print('pytest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
