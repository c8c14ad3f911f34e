"""The worked example of docs/testing.md passes, as a user would copy it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .support import run_user_suite

pytest_plugins = ["pytester"]

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
_EXAMPLE_FILE = re.compile(
    r"^<!-- example-file: (?P<name>[\w.]+) -->\n```\w+\n(?P<content>.*?)^```",
    re.MULTILINE | re.DOTALL,
)


def example_files() -> dict[str, str]:
    text = GUIDE.read_text(encoding="utf-8")
    return {match["name"]: match["content"] for match in _EXAMPLE_FILE.finditer(text)}


def test_the_guide_has_a_complete_example() -> None:
    assert set(example_files()) == {
        "order.bpmn",
        "handlers.py",
        "test_orders.py",
        "loan.bpmn",
        "test_loan.py",
    }


def test_the_worked_example_passes(user_project: pytest.Pytester) -> None:
    for name, content in example_files().items():
        user_project.path.joinpath(name).write_text(content, encoding="utf-8")
    result = run_user_suite(user_project, "test_orders.py", "test_loan.py")
    result.assert_outcomes(passed=19)
