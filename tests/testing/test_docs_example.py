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


_ROW = re.compile(r"^\| `(?P<name>\w+)\((?P<args>[^`]*)\)`", re.MULTILINE)


def test_the_one_line_triggers_of_the_guide_take_the_arguments_it_names() -> None:
    # The "Time and triggers" table is read as a reference: a keyword it names must exist.
    import inspect

    from camunda_worker.testing import EngineHarness

    text = GUIDE.read_text(encoding="utf-8")
    table = text[text.index("### Time and triggers") : text.index("### Entering a process")]
    rows = list(_ROW.finditer(table))
    assert len(rows) >= 8
    for row in rows:
        parameters = inspect.signature(getattr(EngineHarness, row["name"])).parameters
        named = [part.split("=")[0].strip() for part in row["args"].split(",") if "=" in part]
        unknown = [name for name in named if name not in parameters]
        assert not unknown, f"{row['name']}: the guide names {unknown}, it takes {list(parameters)}"
