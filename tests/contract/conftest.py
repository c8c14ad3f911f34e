"""Fixtures of the contract tests: ``spec`` (the official specs) and ``recorder`` (a transport).

The specs live in ``<repo>/../shared/camunda-openapi``; every test that uses ``spec`` skips with
a clear reason when that folder is absent. See :mod:`contract_support`.
"""

from __future__ import annotations

import pytest
from contract_support import Recorder, SpecChecker, require_specs


@pytest.fixture(scope="session")
def spec() -> SpecChecker:
    """The session's :class:`SpecChecker` (each spec version is parsed at most once)."""
    require_specs()
    return SpecChecker()


@pytest.fixture
def recorder() -> Recorder:
    """A fresh :class:`Recorder`."""
    return Recorder()
