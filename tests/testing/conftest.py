"""A user project for pytester: an ini like a user's, the shop BPMN, handler modules on the path."""

from __future__ import annotations

import sys

import pytest

from .bpmn import SHOP_BPMN
from .support import USER_INI


@pytest.fixture
def user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester directory with a pytest.ini and ``shop.bpmn``, importable by child processes."""
    # The user's `handlers` module, not tests/worker/handlers.py imported earlier in this session.
    monkeypatch.delitem(sys.modules, "handlers", raising=False)
    pytester.makeini(USER_INI)
    pytester.path.joinpath("shop.bpmn").write_text(SHOP_BPMN, encoding="utf-8")
    pytester.syspathinsert()
    return pytester
