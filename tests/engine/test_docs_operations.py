"""docs/engine.md lists every operation of the 8.9 spec, served or not, as the routes say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from camunda_worker.engine._http.routes import ROUTES

from .spec_check import SPEC_DIR

DOCS = Path(__file__).resolve().parents[2] / "docs" / "engine.md"
SPEC = SPEC_DIR / "8.9" / "rest-api.oas31.json"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)` \| `(\w+)` \| (yes|no) \|$")
METHODS = ("get", "post", "put", "patch", "delete")


def documented() -> dict[tuple[str, str], tuple[str, bool]]:
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            method, path, operation, served = match.groups()
            rows[(method, path)] = (operation, served == "yes")
    return rows


def served() -> set[tuple[str, str]]:
    return {(route.method, route.template.removeprefix("/v2")) for route in ROUTES}


def test_the_table_marks_exactly_the_routes_the_engine_serves() -> None:
    rows = documented()

    assert {key for key, (_, yes) in rows.items() if yes} == served()
    count = re.search(r"serves (\d+) of the (\d+) operations", DOCS.read_text(encoding="utf-8"))
    assert count is not None
    assert (int(count.group(1)), int(count.group(2))) == (len(served()), len(rows))


@pytest.mark.skipif(not SPEC.is_file(), reason=f"the 8.9 spec is not in {SPEC_DIR}")
def test_the_table_lists_every_operation_of_the_8_9_spec_and_no_other() -> None:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    operations = {
        (method.upper(), path): operation["operationId"]
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }

    rows = documented()

    assert {key: operation for key, (operation, _) in rows.items()} == operations
    assert served() <= set(operations)
