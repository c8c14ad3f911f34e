"""The pytest plugin of camunda-worker: an in-memory Camunda engine per test, workers, a leak guard.

Installing the package registers it (entry point ``pytest11``, name ``camunda_worker``); disable
it with ``-p no:camunda_worker``. Fixtures:

- ``camunda_engine``: a fresh in-memory engine for the test
  (:class:`~camunda_worker.testing.EngineHarness`), configured by ``@pytest.mark.camunda``;
- ``camunda_client`` / ``camunda_async_client``: clients bound to it in-process;
- ``camunda_server``: the same engine served over TCP on 127.0.0.1, for code that needs a socket;
- ``job_worker``: starts workers against it (``job_worker(handler, "job-type", ...)``), drained
  and closed at teardown even when the test fails.

The leak guard (an autouse fixture) fails a test that leaves threads, child processes or file
descriptors behind. It watches the tests that use these fixtures (ini ``camunda_leak_guard =
fixtures``, the default), every test (``all``) or none (``off``);
``@pytest.mark.camunda_allow_leaks`` exempts one test.

Importing this module imports neither the engine nor the worker: they load with the first
fixture (or watched test) that needs them, so the plugin costs next to nothing to sessions that
do not use it. Only plain fixtures and hooks are used, no hook wrappers: any pytest >= 7 loads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from camunda_worker._client import CamundaAsyncClient, CamundaClient
    from camunda_worker.engine import EngineServer
    from camunda_worker.testing import EngineHarness
    from camunda_worker.testing._coverage import CoverageCollector
    from camunda_worker.worker import JobWorker

__all__ = [
    "camunda_async_client",
    "camunda_client",
    "camunda_engine",
    "camunda_server",
    "job_worker",
]

_FIXTURES = frozenset(
    {"camunda_engine", "camunda_client", "camunda_async_client", "camunda_server", "job_worker"}
)
"""The plugin's fixtures: a test that uses one of them is watched by the leak guard."""

_MODES = ("fixtures", "all", "off")
_COVERAGE: pytest.StashKey[CoverageCollector] = pytest.StashKey()
_COVERAGE_RESULT: pytest.StashKey[tuple[dict[str, Any], list[str]]] = pytest.StashKey()
_IGNORED_THREADS = ["AnyIO worker thread", "asyncio_*", "Trio thread *"]
_MARKER_OPTIONS = (
    "bpmn",
    "faults",
    "server_line",
    "manual_clock",
    "record",
    "backoff",
    "search_lag_ms",
)


# -- registration ------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the BPMN coverage options and the ini options (leak guard, assertions)."""
    group = parser.getgroup("camunda-coverage", "BPMN coverage (camunda-worker)")
    group.addoption(
        "--camunda-coverage",
        action="store_true",
        default=False,
        help="record the BPMN flow nodes and sequence flows each test's process instances "
        "passed (tests using camunda_engine), and report them",
    )
    group.addoption(
        "--camunda-coverage-json",
        default="camunda-coverage.json",
        metavar="PATH",
        help="where the JSON coverage report goes (default camunda-coverage.json; '' for none)",
    )
    group.addoption(
        "--camunda-coverage-html",
        default="camunda-coverage.html",
        metavar="PATH",
        help="where the HTML coverage report goes (default camunda-coverage.html; '' for none)",
    )
    group.addoption(
        "--camunda-coverage-fail-under",
        type=float,
        default=None,
        metavar="N",
        help="fail the run when the total BPMN coverage is below N percent (implies "
        "--camunda-coverage)",
    )
    parser.addini(
        "camunda_leak_guard",
        "which tests fail when they leave threads, child processes or file descriptors "
        "behind: 'fixtures' (those using camunda-worker's fixtures), 'all' or 'off'",
        default="fixtures",
    )
    parser.addini(
        "camunda_leak_guard_grace",
        "seconds the leak guard waits for threads and processes that are ending (default 2)",
        default="2.0",
    )
    parser.addini(
        "camunda_leak_guard_ignore_threads",
        "thread-name patterns (fnmatch) the leak guard never reports",
        type="linelist",
        default=list(_IGNORED_THREADS),
    )
    parser.addini(
        "camunda_assert_timeout",
        "seconds the fluent assertions (assert_that(...).is_completed()...) wait at most "
        "(default 5)",
        default="5.0",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers and check the ini options."""
    config.addinivalue_line(
        "markers",
        "camunda(*bpmn, faults=None, server_line='8.9', manual_clock=True, record=True, "
        "backoff=False, search_lag_ms=0): configure the in-memory engine of the camunda_engine "
        "fixture "
        "(BPMN files to deploy, faults to inject...)",
    )
    config.addinivalue_line(
        "markers",
        "camunda_allow_leaks: the test may leave threads, child processes or file "
        "descriptors behind (camunda-worker's leak guard)",
    )
    mode = str(config.getini("camunda_leak_guard")).strip()
    if mode not in _MODES:
        raise pytest.UsageError(f"camunda_leak_guard = {mode!r} is not one of {', '.join(_MODES)}")
    if (
        config.getoption("camunda_coverage")
        or config.getoption("camunda_coverage_fail_under") is not None
    ):
        from camunda_worker.testing._coverage import CoverageCollector  # noqa: PLC0415 - lazy

        config.stash[_COVERAGE] = CoverageCollector()
    for option in ("camunda_leak_guard_grace", "camunda_assert_timeout"):
        try:
            float(str(config.getini(option)))
        except ValueError:
            raise pytest.UsageError(f"{option} must be a number of seconds") from None


# -- the engine and what comes with it ---------------------------------------------------------


def _resources(value: Any) -> tuple[Any, ...]:
    # One path or XML text, or a sequence of resources (paths, XML, (name, content) pairs).
    if value is None:
        return ()
    if isinstance(value, (str, Path)):
        return (value,)
    return tuple(value)


def _marker_options(node: pytest.Item) -> dict[str, Any]:
    """The ``camunda`` markers of a test, merged (the closest one wins, key by key)."""
    options: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("camunda"))):
        unknown = sorted(set(marker.kwargs) - set(_MARKER_OPTIONS))
        if unknown:
            pytest.fail(
                f"@pytest.mark.camunda: unknown option(s) {', '.join(unknown)}; "
                f"expected {', '.join(_MARKER_OPTIONS)}",
                pytrace=False,
            )
        given = dict(marker.kwargs)
        bpmn = tuple(marker.args) + _resources(given.pop("bpmn", None))
        if bpmn:
            options["bpmn"] = bpmn
        options.update(given)
    return options


@pytest.fixture
def camunda_engine(request: pytest.FixtureRequest) -> Iterator[EngineHarness]:
    """A fresh in-memory Camunda engine for this test, closed (with its workers) after it.

    Configure it with ``@pytest.mark.camunda("order.bpmn", faults=[...], ...)`` (BPMN paths
    relative to the test file). Retry back-off delays of the library are off during the test
    (``set_testing``) unless the marker says ``backoff=True``.
    """
    from camunda_worker._client.retry import is_testing, set_testing  # noqa: PLC0415 - lazy, see module
    from camunda_worker.testing import EngineHarness  # noqa: PLC0415

    options = _marker_options(request.node)
    backoff = bool(options.pop("backoff", False))
    previous = is_testing()
    set_testing(not backoff)
    try:
        harness = EngineHarness(
            base_dir=request.path.parent,
            assert_timeout=float(str(request.config.getini("camunda_assert_timeout"))),
            **options,
        )
        try:
            yield harness
        finally:
            try:
                collector = request.config.stash.get(_COVERAGE, None)
                if collector is not None:
                    collector.record(harness.engine, request.node.nodeid)
            finally:
                harness.close()
    finally:
        set_testing(previous)


@pytest.fixture
def camunda_client(camunda_engine: EngineHarness) -> CamundaClient:
    """A blocking :class:`~camunda_worker.CamundaClient` bound to ``camunda_engine`` in-process."""
    return camunda_engine.client()


@pytest.fixture
def camunda_async_client(camunda_engine: EngineHarness) -> CamundaAsyncClient:
    """An async :class:`~camunda_worker.CamundaAsyncClient` bound to ``camunda_engine``.

    A plain fixture (no event loop needed to build it): use it from pytest-asyncio or anyio
    tests alike.
    """
    return camunda_engine.async_client()


@pytest.fixture
def camunda_server(camunda_engine: EngineHarness) -> EngineServer:
    """``camunda_engine`` served over TCP on 127.0.0.1 (``.url``, ``.address``), for sockets."""
    return camunda_engine.serve()


@pytest.fixture
def job_worker(camunda_engine: EngineHarness) -> Iterator[Callable[..., JobWorker]]:
    """Start workers against ``camunda_engine``: ``job_worker(handler, "job-type", **options)``.

    Same arguments as :meth:`~camunda_worker.testing.EngineHarness.start_worker`. Every
    worker is stopped, drained and closed when the test ends, passed or failed.
    """
    try:
        yield camunda_engine.start_worker
    finally:
        camunda_engine.close_workers()


# -- the leak guard ----------------------------------------------------------------------------


def _guarded(request: pytest.FixtureRequest) -> bool:
    mode = str(request.config.getini("camunda_leak_guard")).strip()
    if mode == "off" or request.node.get_closest_marker("camunda_allow_leaks") is not None:
        return False
    if mode == "all":
        return True
    return not _FIXTURES.isdisjoint(request.fixturenames)


@pytest.fixture(autouse=True)
def _camunda_leak_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if it leaves threads, child processes or file descriptors behind.

    Autouse and function-scoped, so it is set up after the fixtures of wider scope (what they
    start is not the test's) and before the test's own fixtures, and torn down after them.
    """
    if not _guarded(request):
        yield
        return
    from camunda_worker.testing._leaks import find_leaks, take_snapshot  # noqa: PLC0415

    before = take_snapshot()
    yield
    config = request.config
    leaks = find_leaks(
        before,
        grace=float(str(config.getini("camunda_leak_guard_grace"))),
        ignore_threads=config.getini("camunda_leak_guard_ignore_threads"),
    )
    if leaks:
        pytest.fail(
            f"{request.node.nodeid} left resources behind (camunda-worker leak guard):\n"
            f"{leaks.describe()}\n"
            "Close what the test opens (workers: use the job_worker fixture or `with "
            "JobWorker(...)`; clients: `with`/`close()`), or mark the test with "
            "@pytest.mark.camunda_allow_leaks.",
            pytrace=False,
        )


# -- BPMN coverage -----------------------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the coverage reports and apply ``--camunda-coverage-fail-under``."""
    config = session.config
    collector = config.stash.get(_COVERAGE, None)
    if collector is None:
        return
    import json  # noqa: PLC0415 - lazy, see module

    from camunda_worker.testing._coverage_html import render_html  # noqa: PLC0415

    report = collector.to_json()
    written = []
    json_path = str(config.getoption("camunda_coverage_json"))
    if json_path:
        _write(Path(json_path), json.dumps(report, indent=2) + "\n")
        written.append(f"JSON: {json_path}")
    html_path = str(config.getoption("camunda_coverage_html"))
    if html_path:
        _write(Path(html_path), render_html(collector.processes, report["totals"]))
        written.append(f"HTML: {html_path}")
    config.stash[_COVERAGE_RESULT] = (report["totals"], written)
    fail_under = config.getoption("camunda_coverage_fail_under")
    if fail_under is not None and report["totals"]["percent"] < fail_under and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the BPMN coverage summary: per process, what the tests passed and what not."""
    collector = config.stash.get(_COVERAGE, None)
    if collector is None:
        return
    from camunda_worker.testing._coverage import summary_lines  # noqa: PLC0415 - lazy

    totals, written = config.stash.get(_COVERAGE_RESULT, (collector.totals(), []))
    terminalreporter.write_sep("-", "BPMN coverage (camunda-worker)")
    for line in summary_lines(collector.processes, totals):
        terminalreporter.write_line(line)
    for line in written:
        terminalreporter.write_line(line)
    fail_under = config.getoption("camunda_coverage_fail_under")
    if fail_under is not None:
        if totals["percent"] < fail_under:
            terminalreporter.write_line(
                f"FAIL Required BPMN coverage of {fail_under:g}% not reached: "
                f"{totals['percent']:.2f}%",
                red=True,
            )
        else:
            terminalreporter.write_line(
                f"Required BPMN coverage of {fail_under:g}% reached: {totals['percent']:.2f}%"
            )
