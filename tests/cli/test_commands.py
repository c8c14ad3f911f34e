"""The commands called in-process: the same paths as the subprocess tests, cheaper to repeat."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from camunda_worker.cli import _logging as cli_logging
from camunda_worker.cli import demo, run

from .conftest import ServedEngine

TASKS = """
import camunda_worker

registry = camunda_worker.TaskRegistry()  # not the global registry: this runs in pytest

@registry.task("hello")
async def hello(job):
    job.log.info("saying hello")
    return {"said": "hello"}

@registry.task("shout", strategy="thread")
def shout(job):
    return {"said": "HELLO"}
"""


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the commands off the test process's loguru sinks; no Camunda settings leak in."""
    monkeypatch.setattr(run, "setup_cli_logging", lambda *args, **kwargs: None)
    monkeypatch.setattr(demo, "setup_cli_logging", lambda *args, **kwargs: None)
    for name in list(os.environ):
        if name.startswith(("CAMUNDA_", "ZEEBE_")):
            monkeypatch.delenv(name)


@pytest.fixture
def tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    name = f"inproc_{request.node.name.replace('[', '_').replace(']', '_')}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(TASKS), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield path
    sys.modules.pop(name, None)


def test_run_completes_serves_its_endpoints_and_reports(
    served_engine: ServedEngine,
    tasks: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CAMUNDA_REST_ADDRESS", served_engine.url)
    monkeypatch.setenv("CAMUNDA_WORKER_TIMEOUT", "30000")
    monkeypatch.setenv("CAMUNDA_WORKER_TIMOUT", "5")  # a typo: warned about
    served_engine.engine.create_job("hello")
    served_engine.engine.create_job("shout")
    code = run.main([str(tasks), "--limit", "2", "--health-port", "0", "--metrics-port", "0"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "metrics on http://127.0.0.1:" in out
    assert "health probes on http://127.0.0.1:" in out
    assert "hello: 1 completed" in out
    assert "shout: 1 completed" in out
    assert "did you mean CAMUNDA_WORKER_TIMEOUT?" in err
    assert [job.result_variables for job in served_engine.completed("shout")] == [{"said": "HELLO"}]


def test_run_exits_3_when_the_credentials_are_refused(
    tasks: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served = ServedEngine(basic_auth=("worker", "right"))
    monkeypatch.setenv("CAMUNDA_WORKER_TIMEOUT", "30000")
    monkeypatch.setenv("CAMUNDA_BASIC_AUTH_USERNAME", "worker")
    monkeypatch.setenv("CAMUNDA_BASIC_AUTH_PASSWORD", "wrong-pass-456")
    with served.server:
        monkeypatch.setenv("CAMUNDA_REST_ADDRESS", served.url)  # known once it listens
        code = run.main([str(tasks), "--run-timeout", "30"])
    served.engine.close()
    err = capsys.readouterr().err
    assert code == 3
    assert "authentication failed for job type 'hello'" in err
    assert "wrong-pass-456" not in err


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--job-type", "nope"], "--job-type nope: "),
        (
            ["--set", "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS=lots"],
            "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS",
        ),
        (["--health-port", "-1"], "CAMUNDA_WORKER_HEALTH_PORT"),
    ],
)
def test_run_mistakes_exit_2(
    tasks: Path,
    arguments: list[str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CAMUNDA_WORKER_TIMEOUT", "30000")
    assert run.main([str(tasks), *arguments]) == 2
    assert expected in capsys.readouterr().err


def test_a_module_that_fails_to_import_exits_2_with_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "inproc_broken_tasks.py"
    broken.write_text("import camunda_worker\nraise RuntimeError('no database')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert run.main([str(broken)]) == 2
    err = capsys.readouterr().err
    assert "importing" in err
    assert "RuntimeError: no database" in err


def test_the_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--instances", "6", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "result: OK" in out
    assert "demo-create-invoice" in out


def test_the_cli_sink_shows_a_records_job_context() -> None:
    record: Any = {"extra": {"job_type": "ship", "job_key": "42", "worker": "w"}}
    text = cli_logging.format_record(record)
    assert record["extra"]["cli_context"] == "[job_type=ship job_key=42] "
    assert "{extra[cli_context]}{message}" in text
    cli_logging.format_record(plain := {"extra": {}})  # type: ignore[arg-type]
    assert plain["extra"]["cli_context"] == ""


def test_the_cli_filter_applies_the_level_to_the_library_only() -> None:
    assert cli_logging.cli_filter("warn") == {"": "INFO", "camunda_worker": "WARNING"}
    assert cli_logging.cli_filter("debug") == {"": "DEBUG", "camunda_worker": "DEBUG"}
    assert cli_logging.cli_filter("silent") == {"": "INFO", "camunda_worker": False}
    with pytest.raises(ValueError, match="CAMUNDA_SDK_LOG_LEVEL"):
        cli_logging.cli_filter("loud")


def test_the_sink_level_is_the_lowest_level_its_filter_lets_through() -> None:
    assert cli_logging.sink_floor(cli_logging.cli_filter("info")) == 20  # INFO
    assert cli_logging.sink_floor(cli_logging.cli_filter("warn")) == 20  # the application's INFO
    assert cli_logging.sink_floor(cli_logging.cli_filter("debug")) == 10
    assert cli_logging.sink_floor(cli_logging.cli_filter("trace")) == 5
    assert cli_logging.sink_floor(cli_logging.cli_filter("silent")) == 20
