"""docs/cli.md against the command line itself, docs/worker.md against JobWorker's signature.

Each command's options (read from its argparse parser) must be the options its section of
docs/cli.md documents in its tables, and the other way round: a flag added without docs, or
documented after it was removed, fails here.
"""

from __future__ import annotations

import argparse
import inspect
import re
from pathlib import Path

import pytest

from camunda_worker import JobWorker
from camunda_worker.__main__ import _COMMANDS
from camunda_worker.cli import cluster, completion, config, demo, run
from camunda_worker.engine._http import server

DOCS = Path(__file__).resolve().parents[1] / "docs"

PARSERS = {
    "run": run.build_parser,
    "config": config.build_parser,
    "demo": demo.build_parser,
    "completion": completion.build_parser,
    **{name: (lambda name=name: cluster.build_parser(name)) for name in cluster.COMMANDS},
}
# Options every cluster command shares, documented once above their sections.
SHARED = {"--json", "--set", "--env-file"}


def declared(parser: argparse.ArgumentParser) -> set[str]:
    """The options and positionals ``--help`` lists (argparse has no public list of them)."""
    names: set[str] = set()
    part = None
    for line in parser.format_help().splitlines():
        if line.endswith(":") and not line.startswith(" "):
            part = line
            continue
        match = re.match(r"^  (\S.*?)(?:\s{2,}|$)", line)
        if not match or part is None:
            continue
        if part == "positional arguments:":
            names.add(match[1])
        elif part == "options:":
            invocations = [item.split()[0] for item in match[1].split(", ")]
            if "--help" not in invocations:
                names.add(max(invocations, key=len))
    return names


def section(name: str) -> str:
    """The section ``name`` of docs/cli.md with its subsections."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # a '# comment' is no heading
    match = re.search(rf"^(#+) {name}\n", text, re.M)
    assert match, f"docs/cli.md has no section '{name}'"
    level = len(match[1])
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, match.end())
    return text[match.end() : end.start() if end else len(text)]


def documented(name: str) -> set[str]:
    names = set()
    for line in section(name).splitlines():
        cells = line.replace("\\|", "/").split("|")
        first = cells[1].strip() if line.startswith("|") else ""
        for token in re.findall(r"`([^`]+)`", first):
            word = token.split()[0].rstrip("=")
            if word.startswith("--") or word.isupper() or word.endswith("..."):
                names.add(word.removesuffix("..."))
    return names


def test_every_command_is_in_the_docs_table() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    table = text.split("\n## ", 1)[0]
    for name in _COMMANDS:
        assert f"`camunda-worker {name}" in table, name
    assert set(PARSERS) | {"engine"} == set(_COMMANDS)


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_the_documented_options_are_the_declared_ones(name: str) -> None:
    options = declared(PARSERS[name]())
    shared = SHARED if name in cluster.COMMANDS else set()
    documented_here = documented(name) | (shared & options)
    assert documented_here == options, (
        f"camunda-worker {name}: undocumented {sorted(options - documented_here)}, "
        f"documented but not declared {sorted(documented_here - options)}"
    )


def test_the_engine_options_are_documented_on_its_page() -> None:
    options = declared(server.build_parser())
    text = (DOCS / "engine.md").read_text(encoding="utf-8")
    missing = [option for option in options if f"`{option}" not in text]
    assert missing == []


def test_worker_md_shows_the_whole_constructor_signature() -> None:
    text = (DOCS / "worker.md").read_text(encoding="utf-8")
    match = re.search(r"```text\n(JobWorker\(.*?\))\n```", text, re.S)
    assert match, "docs/worker.md has no JobWorker(...) signature block"
    shown = " ".join(match[1].split())
    parameters = []
    for parameter in inspect.signature(JobWorker).parameters.values():
        if parameter.kind is parameter.KEYWORD_ONLY and "*" not in parameters:
            parameters.append("*")
        default = parameter.default
        parameters.append(
            parameter.name if default is parameter.empty else f"{parameter.name}={default!r}"
        )
    assert shown == f"JobWorker({', '.join(parameters)})"
