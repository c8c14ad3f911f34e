"""Developer sessions: tests, coverage gate, lint, types, docs, benchmarks, demo.

Every session runs on the interpreter that runs nox, in its own virtualenv, so a fresh machine
needs nothing but ``python3 -m pip install nox``.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "types", "coverage"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

TEST_EXTRAS = ".[test]"
PYTHON_PATHS = ("camunda_worker", "tests", "benchmarks", "noxfile.py")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pass pytest arguments after --)."""
    session.install("-e", TEST_EXTRAS)
    session.run("pytest", *session.posargs)


@nox.session
def coverage(session: nox.Session) -> None:
    """Run the test suite under coverage and enforce the gate from pyproject.toml."""
    session.install("-e", TEST_EXTRAS)
    session.run("coverage", "erase")
    # `coverage run` (not pytest-cov): the pytest plugin imports camunda_worker while pytest
    # loads plugins, before pytest-cov would start measuring.
    session.run("coverage", "run", "-m", "pytest", *session.posargs)
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report")


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and common bugs with ruff (lint and format), and the rooms' import contracts."""
    session.install("ruff>=0.6", "import-linter>=2.1")
    session.run("ruff", "check", *PYTHON_PATHS)
    session.run("ruff", "format", "--check", *PYTHON_PATHS)
    # The contracts in pyproject.toml ([tool.importlinter]); the package is read from the tree.
    session.run("lint-imports", "--no-cache", env={"PYTHONPATH": "."})


@nox.session
def types(session: nox.Session) -> None:
    """Type-check the package with mypy --strict."""
    session.install("-e", ".[engine,metrics]", "mypy>=1.11", "pytest>=8")
    session.run("mypy", "--strict")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ in strict mode (a broken link or anchor fails)."""
    session.install("-e", ".[docs]")
    session.run(
        "mkdocs", "build", "--strict", "--site-dir", "site", env={"NO_MKDOCS_2_WARNING": "1"}
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks (not part of the test suite) and write docs/benchmarks.md."""
    session.install("-e", ".[engine,bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Run the demo against the built-in engine."""
    session.install("-e", ".[engine]")
    session.run("camunda-worker", "demo", *session.posargs)
