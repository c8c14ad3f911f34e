"""The leak guard: a test that leaves a thread, a child process or a file descriptor fails."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import run_user_suite

pytest_plugins = ["pytester"]

# The user's tests leave things behind in *this* process (pytester runs them in-process); they
# wait on this module's event and file list, and the outer test cleans up after them.
LEFTOVERS = """
import subprocess
import sys
import threading

STOP = threading.Event()
OPEN_FILES = []
CHILDREN = []


def leave_a_thread():
    threading.Thread(target=STOP.wait, name="forgotten-poller", daemon=True).start()


def leave_a_file(path):
    OPEN_FILES.append(open(path, "rb"))


def leave_a_child():
    CHILDREN.append(subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                                     stdin=subprocess.PIPE))
"""


@pytest.fixture
def leftovers(user_project: pytest.Pytester) -> Iterator[object]:
    user_project.makepyfile(leftovers=LEFTOVERS)
    import leftovers as module  # shared with the user's tests (same process)

    yield module
    module.STOP.set()
    for file in module.OPEN_FILES:
        file.close()
    for child in module.CHILDREN:
        child.stdin.close()
        child.wait()
    module.STOP.clear()
    module.OPEN_FILES.clear()
    module.CHILDREN.clear()
    del sys.modules["leftovers"]


LEAKY_TESTS = """
import pytest

import leftovers


def test_thread(camunda_engine):
    leftovers.leave_a_thread()


def test_file(camunda_engine):
    leftovers.leave_a_file(__file__)


def test_child(camunda_engine):
    leftovers.leave_a_child()


@pytest.mark.camunda_allow_leaks
def test_allowed(camunda_engine):
    leftovers.leave_a_thread()


def test_without_the_plugins_fixtures():
    leftovers.leave_a_thread()


def test_clean(camunda_engine, job_worker, camunda_client, camunda_async_client, camunda_server):
    job_worker(lambda job: {"ok": True}, "work")
    camunda_engine.create_job("work")
"""


def test_tests_that_leave_threads_files_or_children_fail_and_say_what_they_left(
    user_project: pytest.Pytester, leftovers: object
) -> None:
    user_project.makepyfile(test_leaky=LEAKY_TESTS)
    result = run_user_suite(user_project, "-o", "camunda_leak_guard_grace=0.1")
    result.assert_outcomes(passed=6, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*test_leaky.py::test_thread left resources behind (camunda-worker leak guard):",
            "1 thread(s) still running:",
            "  - 'forgotten-poller' (daemon)",
            "*test_leaky.py::test_file left resources behind*",
            "1 file descriptor(s) still open:",
            "  - fd * -> */test_leaky.py",
            "*test_leaky.py::test_child left resources behind*",
            "1 child process(es) still running:",
            "  - pid *: *python* -c import sys; sys.stdin.read()",
        ]
    )
    errors = {line.split(" - ")[0] for line in result.stdout.lines if line.startswith("ERROR ")}
    assert errors == {
        "ERROR test_leaky.py::test_thread",
        "ERROR test_leaky.py::test_file",
        "ERROR test_leaky.py::test_child",
    }


def test_the_guard_can_watch_every_test_or_none(
    user_project: pytest.Pytester, leftovers: object
) -> None:
    user_project.makepyfile(
        test_plain="import leftovers\n\ndef test_plain():\n    leftovers.leave_a_thread()\n"
    )
    all_tests = ("-o", "camunda_leak_guard=all", "-o", "camunda_leak_guard_grace=0.1")
    run_user_suite(user_project, *all_tests).assert_outcomes(passed=1, errors=1)
    run_user_suite(user_project, "-o", "camunda_leak_guard=off").assert_outcomes(passed=1)


def test_an_unknown_guard_mode_is_a_usage_error(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run_user_suite(user_project, "-o", "camunda_leak_guard=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*camunda_leak_guard = 'sometimes' is not one of*"])


WIDER_SCOPE = """
import threading

import pytest

STOP = threading.Event()


@pytest.fixture(scope="module")
def background_service():
    thread = threading.Thread(target=STOP.wait, name="module-service", daemon=True)
    thread.start()
    yield thread
    STOP.set()
    thread.join()


def test_first(background_service, camunda_engine):
    assert background_service.is_alive()


def test_second(background_service, camunda_engine):
    assert background_service.is_alive()
"""


def test_what_a_fixture_of_wider_scope_starts_is_not_a_leak(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(test_service=WIDER_SCOPE)
    run_user_suite(user_project).assert_outcomes(passed=2)


def test_thread_names_can_be_ignored(user_project: pytest.Pytester, leftovers: object) -> None:
    user_project.makepyfile(
        test_named="import leftovers\n\n"
        "def test_named(camunda_engine):\n    leftovers.leave_a_thread()\n"
    )
    result = run_user_suite(user_project, "-o", "camunda_leak_guard_ignore_threads=forgotten-*")
    result.assert_outcomes(passed=1)


_HELPERS_SCRIPT = """
import multiprocessing, sys
from camunda_worker.testing._leaks import find_leaks, take_snapshot

before = take_snapshot()
context = multiprocessing.get_context("forkserver")  # starts the fork server and the tracker
process = context.Process(target=print, args=("child",))
process.start()
process.join()
process.close()  # its sentinel is the test's own descriptor
context.Lock()  # a semaphore: the resource tracker keeps it
leaks = find_leaks(before, grace=2.0)
print("LEAKS" if leaks else "CLEAN", leaks.describe())
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="descriptors are read from /proc")
def test_multiprocessing_s_own_helpers_started_during_a_test_are_not_leaks() -> None:
    # In a fresh interpreter, so the fork server and the resource tracker start inside the
    # snapshot's window: they live until the process exits, on purpose.
    result = subprocess.run(
        [sys.executable, "-c", _HELPERS_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.returncode == 0, result.stderr
    assert "CLEAN" in result.stdout, result.stdout
