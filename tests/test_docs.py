"""The documentation site: every page is in the nav, the API reference covers the public API, and
the code blocks of the pages run as written.

Python blocks are marked with an HTML comment on the line before them (invisible on the site):

- ``<!-- runnable -->``: run. The runnable blocks of one page run in order, as one program, in a
  fresh interpreter; a ``print(...)  # text`` line claims that ``text`` is printed.
- ``<!-- runnable: service {"jobs": [...]} -->``: a worker program that runs until SIGTERM. It runs
  as a script against an in-memory engine; each job (``type``, ``variables``) is created and must
  be completed with at least the ``expect`` variables; SIGTERM must then make it exit with 0.
- ``<!-- not-runnable: reason -->``: only compiled (e.g. the official SDK's code, for comparison).

On the pages listed in ``MARKED_PAGES`` every Python block must carry one of these marks.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import camunda_worker
import camunda_worker.engine
import camunda_worker.worker

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"

# Pages whose every Python block must be marked (and so runs or is knowingly left out).
MARKED_PAGES = ("index.md", "quickstart.md", "migration.md", "handlers.md")

# Public names with no reference entry, each with the reason. Nothing else may be left out.
NOT_IN_REFERENCE = {"__version__": "a version string, shown by `camunda-worker --version`"}

RUN_TIMEOUT = 120.0  # generous: CI machines are slow, and a hang must still fail

_MARK = re.compile(
    r"^<!-- (?P<kind>runnable|not-runnable)(?::\s*(?P<arg>.*?))? -->\n```python\n(?P<code>.*?)^```",
    re.MULTILINE | re.DOTALL,
)
_PYTHON_BLOCK = re.compile(r"^```python\n(?P<code>.*?)^```", re.MULTILINE | re.DOTALL)
_NAV_PAGE = re.compile(r"^\s*-\s+(?:[^#\n]*?:\s+)?(?P<page>[\w./-]+\.md)\s*$")
_DIRECTIVE = re.compile(r"^::: (?P<path>[\w.]+)\s*$", re.MULTILINE)
_EXPECTED_PRINT = re.compile(r"^\s*print\(.*\)\s+# (?P<expected>.+)$")


# -- the nav -----------------------------------------------------------------------------------


def nav_pages() -> list[str]:
    """The pages of mkdocs.yml's nav (commented-out lines are not in it)."""
    pages: list[str] = []
    in_nav = False
    for line in MKDOCS_YML.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\S", line):
            in_nav = line.startswith("nav:")
            continue
        if in_nav and not line.lstrip().startswith("#"):
            match = _NAV_PAGE.match(line)
            if match:
                pages.append(match["page"])
    return pages


def doc_pages() -> list[str]:
    return sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))


def test_the_nav_is_read_from_mkdocs_yml() -> None:
    pages = nav_pages()
    assert pages[0] == "index.md"
    assert "quickstart.md" in pages
    assert "reference/index.md" in pages
    assert len(pages) == len(set(pages)), "a page is listed twice in the nav of mkdocs.yml"


def test_every_page_in_docs_is_in_the_nav() -> None:
    missing = sorted(set(doc_pages()) - set(nav_pages()))
    assert not missing, (
        f"pages in docs/ that are not in the site's navigation: {missing}. Add a line for each "
        "to the `nav:` of mkdocs.yml (uncomment it if it is there as a comment)."
    )


def test_every_page_in_the_nav_exists() -> None:
    absent = sorted(set(nav_pages()) - set(doc_pages()))
    assert not absent, (
        f"mkdocs.yml's nav lists pages that do not exist in docs/: {absent}. Write them, or "
        "comment their nav lines out until they land."
    )


# -- the API reference -------------------------------------------------------------------------


def reference_directives() -> dict[str, list[str]]:
    """Each ``::: dotted.path`` of docs/reference/, with the pages it appears on."""
    found: dict[str, list[str]] = {}
    for page in sorted((DOCS / "reference").glob("*.md")):
        for match in _DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            found.setdefault(match["path"], []).append(page.name)
    return found


def resolve(path: str) -> Any:
    module_name, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def test_every_reference_entry_names_a_public_object() -> None:
    directives = reference_directives()
    assert directives, "docs/reference/ has no ::: entries"
    for path, pages in directives.items():
        assert len(pages) == 1, f"{path} is documented more than once: {pages}"
        parts = path.split(".")
        assert not any(part.startswith("_") for part in parts), (
            f"{path} ({pages[0]}): document public paths only, not private modules"
        )
        try:
            resolve(path)
        except (ImportError, AttributeError) as error:
            pytest.fail(f"{path} ({pages[0]}) does not exist (renamed or removed?): {error}")


@pytest.mark.parametrize(
    "module",
    [camunda_worker, camunda_worker.worker, camunda_worker.engine],
    ids=lambda m: m.__name__,
)
def test_every_public_name_has_a_reference_entry(module: Any) -> None:
    documented: dict[str, list[Any]] = {}
    for path in reference_directives():
        documented.setdefault(path.rpartition(".")[2], []).append(resolve(path))
    missing = [
        name
        for name in module.__all__
        if name not in NOT_IN_REFERENCE
        and not any(obj is getattr(module, name) for obj in documented.get(name, []))
    ]
    assert not missing, (
        f"public names of {module.__name__} with no entry in the API reference: {missing}. "
        f"Add `::: {module.__name__}.NAME` to the fitting page of docs/reference/."
    )


# -- code blocks -------------------------------------------------------------------------------


def marked_blocks(page: str) -> list[tuple[str, str | None, str]]:
    """``(kind, argument, code)`` of each marked Python block of a page, in order."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return [(m["kind"], m["arg"], m["code"]) for m in _MARK.finditer(text)]


@pytest.mark.parametrize("page", MARKED_PAGES)
def test_every_python_block_of_the_page_is_marked_and_compiles(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = [m["code"] for m in _PYTHON_BLOCK.finditer(text)]
    marked = marked_blocks(page)
    assert blocks, f"{page} has no Python block"
    assert len(marked) == len(blocks), (
        f"{page}: {len(blocks) - len(marked)} Python block(s) without a mark; put "
        "`<!-- runnable -->`, `<!-- runnable: service {...} -->` or `<!-- not-runnable: why -->` "
        "on the line before each (see tests/test_docs.py)"
    )
    for kind, argument, code in marked:
        ast.parse(code)
        if kind == "not-runnable":
            assert argument, f"{page}: a not-runnable block must say why"


def test_the_quickstart_and_the_migration_guide_have_tested_blocks() -> None:
    for page in ("quickstart.md", "migration.md"):
        kinds = [(kind, (arg or "").split(" ")[0]) for kind, arg, _ in marked_blocks(page)]
        assert ("runnable", "") in kinds, f"{page} has no runnable block"
        assert ("runnable", "service") in kinds, f"{page} has no service block"


def programs() -> tuple[dict[str, str], dict[str, tuple[str, dict[str, Any]]]]:
    """The page programs (page -> code) and the service blocks (id -> code, spec) of docs/."""
    pages: dict[str, str] = {}
    services: dict[str, tuple[str, dict[str, Any]]] = {}
    seen: set[str] = set()
    for page in doc_pages():
        runnable = []
        for index, (kind, arg, code) in enumerate(marked_blocks(page)):
            if kind != "runnable":
                continue
            if not arg:
                runnable.append(code)
            elif arg.startswith("service ") and code not in seen:  # the same program runs once
                seen.add(code)
                services[f"{page}-{index}"] = (code, json.loads(arg.removeprefix("service ")))
            elif not arg.startswith("service "):
                pytest.fail(f"{page}: unknown mark `runnable: {arg}`")
        if runnable:
            pages[page] = "\n".join(runnable)
    return pages, services


PAGES, SERVICES = programs()


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment without the machine's Camunda settings, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CAMUNDA_", "ZEEBE_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


@attrs.define
class Run:
    """One program of the docs, launched as a script; filled in when it has ended."""

    process: subprocess.Popen[str]
    code: str
    spec: dict[str, Any] = attrs.Factory(dict)
    job_keys: dict[str, dict[str, Any]] = attrs.Factory(dict)
    stdout: str = ""
    stderr: str = ""
    problem: str = ""  # why the run is known to have gone wrong (a timeout...)
    finished: bool = False
    results: dict[str, dict[str, Any]] = attrs.Factory(dict)


def launch(directory: Path, code: str, env: dict[str, str]) -> subprocess.Popen[str]:
    directory.mkdir()
    script = directory / "program.py"
    script.write_text(code, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script)],
        cwd=directory,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(run: Run, *, terminate: bool) -> None:
    if run.finished:
        return
    run.finished = True
    if terminate and run.process.poll() is None:
        run.process.send_signal(signal.SIGTERM)
    try:
        run.stdout, run.stderr = run.process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        run.process.kill()
        run.stdout, run.stderr = run.process.communicate()
        run.problem = run.problem or f"did not exit within {RUN_TIMEOUT:g} s"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every program of the docs, run at once (each in a fresh interpreter) to keep this fast."""
    from camunda_worker.engine import Engine, EngineServer

    base = tmp_path_factory.mktemp("docs")
    launched: dict[str, Run] = {}
    with contextlib.ExitStack() as stack:
        engines = {}
        for name, (code, spec) in SERVICES.items():
            engine = Engine()
            server = stack.enter_context(EngineServer(engine))
            keys = {
                engine.create_job(job["type"], variables=job["variables"]): job
                for job in spec["jobs"]
            }
            env = clean_environment(
                CAMUNDA_REST_ADDRESS=server.address, CAMUNDA_WORKER_TIMEOUT="30000"
            )
            launched[name] = Run(launch(base / name, code, env), code, spec, keys)
            engines[name] = engine
        for page, code in PAGES.items():
            launched[page] = Run(launch(base / page, code, clean_environment()), code)

        def completed(name: str) -> bool:
            states = {job.key: job.state for job in engines[name].jobs()}
            return all(states.get(key) == "COMPLETED" for key in launched[name].job_keys)

        waiting = set(SERVICES)
        give_up = time.monotonic() + RUN_TIMEOUT
        while waiting:
            for name in list(waiting):
                run = launched[name]
                if completed(name):
                    waiting.discard(name)
                    finish(run, terminate=True)  # SIGTERM once its jobs are done
                elif run.process.poll() is not None:
                    waiting.discard(name)
                    run.problem = "exited before completing all its jobs"
                elif time.monotonic() > give_up:
                    waiting.discard(name)
                    run.problem = f"did not complete its jobs within {RUN_TIMEOUT:g} s"
                    run.process.kill()
            time.sleep(0.02)
        for name, run in launched.items():
            if name in SERVICES:
                finish(run, terminate=True)
                run.results = {
                    job.key: dict(job.result_variables or {}) for job in engines[name].jobs()
                }
            else:
                finish(run, terminate=False)
        yield launched


@pytest.mark.parametrize("page", list(PAGES))
def test_the_runnable_blocks_of_the_page_run_and_print_what_they_claim(
    page: str, runs: dict[str, Run]
) -> None:
    run = runs[page]
    assert not run.problem, f"{page}'s runnable blocks {run.problem}:\n{run.stderr}"
    assert run.process.returncode == 0, f"{page}'s runnable blocks failed:\n{run.stderr}"
    claims = [m["expected"] for line in run.code.splitlines() if (m := _EXPECTED_PRINT.match(line))]
    assert claims, f"{page}: no `print(...)  # output` line tells what the blocks print"
    printed = run.stdout.splitlines()
    position = 0
    for claim in claims:
        assert claim in printed[position:], (
            f"{page} claims `{claim}` is printed, but the blocks printed:\n{run.stdout}"
        )
        position = printed.index(claim, position) + 1


@pytest.mark.parametrize("name", list(SERVICES))
def test_a_service_block_completes_its_jobs_and_exits_cleanly_on_sigterm(
    name: str, runs: dict[str, Run]
) -> None:
    run = runs[name]
    assert not run.problem, f"the worker program {run.problem}:\n{run.stderr}"
    assert run.process.returncode == 0, f"the worker did not exit cleanly on SIGTERM:\n{run.stderr}"
    for key, job in run.job_keys.items():
        assert run.results[key].items() >= job["expect"].items(), (
            f"job {job['type']} completed with {run.results[key]}, expected at least {job['expect']}"
        )
