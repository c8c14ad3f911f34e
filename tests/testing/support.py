"""Running a user's test suite with pytester, as pytest would run it in their project."""

from __future__ import annotations

import pytest

# An in-process run forgets the modules first imported during it, but a package keeps its
# submodules as attributes: a module the library imports lazily (the process strategy's runner,
# the HTTP server) would come back as a second copy, and the worker's child-process entry point would no
# longer pickle ("not the same object"). Importing them here, once, keeps one copy for everyone.
import camunda_worker.worker._process_runner  # noqa: F401
from camunda_worker.engine._http.server import _server_class

_server_class()

USER_INI = """
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
camunda_leak_guard_grace = 0.5
"""

# hypothesis's plugin (when installed) imports hypothesis after every in-process run, and the
# run's module snapshot throws it away again: a second per run, for nothing these tests use.
INNER_ARGS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def run_user_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run the user's tests in this process (the plugin comes from the installed entry point)."""
    return pytester.runpytest_inprocess(*INNER_ARGS, *args)
