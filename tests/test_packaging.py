"""What the published package declares: its licence, bounds, extras and developer groups."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# The metadata is the same on every Python; it is read where the standard library can (CI's).
tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11's")

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def test_the_licence_file_matches_the_declared_licence() -> None:
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} camunda-worker developers$", text, re.M)
    assert "LICENSE" in PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]


def test_developer_requirements_are_groups_not_public_extras() -> None:
    extras = set(PROJECT["optional-dependencies"])
    assert {"engine", "metrics"} <= extras
    assert not extras & {"test", "docs", "bench", "lint", "types", "dev"}
    assert {"test", "docs", "bench", "lint", "types"} <= set(PYPROJECT["dependency-groups"])


def test_the_nox_sessions_install_groups_that_exist() -> None:
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    named = set(re.findall(r"groups=\(([^)]*)\)", noxfile))
    groups = {g.strip().strip('"') for names in named for g in names.split(",") if g.strip()}
    assert groups
    assert groups <= set(PYPROJECT["dependency-groups"])
    assert ".[test]" not in noxfile


def test_httpx_is_bounded_below_its_next_major() -> None:
    [httpx] = [r for r in PROJECT["dependencies"] if re.match(r"httpx\b", r)]
    assert "<1" in httpx


def _readme_links() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_every_project_url_lies_under_the_source_repository() -> None:
    urls = PROJECT["urls"]
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog"} <= set(urls)
    source = urls["Source"]
    assert source.startswith("https://")
    for name, url in urls.items():
        assert url.startswith(source), (name, url)


def test_readme_links_are_absolute_and_name_files_of_this_tree() -> None:
    """PyPI renders the README alone: a relative link there leads nowhere."""
    tree = PROJECT["urls"]["Source"] + "/blob/main/"
    links = _readme_links()
    assert any(link.startswith(tree) for link in links)
    for link in links:
        assert link.startswith("https://"), link
        if link.startswith(tree):
            path = link.removeprefix(tree).split("#", 1)[0]
            assert (ROOT / path).is_file(), link
