"""What ``camunda-worker run`` tells an operator: reached, lost, back, every request at debug;
the banner only once a request succeeded; a non-zero exit when none ever did."""

from __future__ import annotations

import signal
import socket
import textwrap
from pathlib import Path

import pytest

from camunda_worker.cli._logging import use_colour

from .conftest import (
    TIMEOUT,
    ServedEngine,
    clean_environment,
    read_line_with,
    run_cli,
    start_cli,
    wait_until,
)

GREET = """
import camunda_worker

@camunda_worker.task("greet")
async def greet(job):
    return {"greeting": "hello"}
"""


def handlers(folder: Path) -> Path:
    path = folder / "greet_tasks.py"
    path.write_text(textwrap.dedent(GREET), encoding="utf-8")
    return path


def test_an_outage_is_one_warning_and_one_line_when_back(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    # the first activation goes through, the next five get 503, then the cluster is back
    served_engine.app.faults.script("activate", [None, *["503"] * 5])
    key = served_engine.engine.create_job("greet")
    result = run_cli(
        "run",
        str(handlers(tmp_path)),
        "--run-timeout",
        "6",
        "--log-level",
        "debug",
        env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000", CAMUNDA_WORKER_REQUEST_TIMEOUT="100"),
    )
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert served_engine.app.faults.pending("activate") == 0, err
    assert err.count(f"reached {served_engine.url} (Camunda 8.9.0)") == 1, err
    assert err.count("activating jobs failed at") == 1, err
    assert "503" in err
    assert err.count(f"failed attempt(s) ({served_engine.url})") == 1, err
    assert err.count("activating jobs works again after") == 1, err
    assert "retrying in" not in err  # no line per retry above DEBUG
    assert "activation retry 5 failed" in err  # ...but each is a DEBUG line
    # DEBUG: each activation (asked, got, took) and acknowledgement (sent, answered)
    assert "activating up to 10 job(s)" in err
    assert "activated 1 of 10 job(s) in " in err
    assert f"sending the completion of job {key}" in err
    assert f"the completion of job {key} was answered in " in err
    assert "polling" in result.stdout


def test_at_info_an_idle_worker_says_it_reached_the_cluster(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    result = run_cli(
        "run",
        str(handlers(tmp_path)),
        "--run-timeout",
        "1",
        env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000"),
    )
    assert result.returncode == 0, result.stderr
    assert f"reached {served_engine.url} (Camunda 8.9.0)" in result.stderr
    assert "DEBUG" not in result.stderr
    assert f"polling {served_engine.url} for greet (async)" in result.stdout


def test_a_cluster_never_reached_prints_no_banner_and_exits_5(tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{free.getsockname()[1]}/v2"
    result = run_cli(
        "run",
        str(handlers(tmp_path)),
        "--run-timeout",
        "2",
        env=clean_environment(CAMUNDA_REST_ADDRESS=dead, CAMUNDA_WORKER_TIMEOUT="30000"),
    )
    assert result.returncode == 5, result.stderr
    assert "polling" not in result.stdout
    assert f"cannot reach the cluster yet at {dead} (ConnectError" in result.stderr
    assert result.stderr.count("cannot reach the cluster yet") == 1
    assert f"no request to {dead} ever succeeded" in result.stderr


class Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_colour_on_a_terminal_unless_no_color_and_forced_by_force_color() -> None:
    assert use_colour(Stream(tty=True), {}) is True  # type: ignore[arg-type]
    assert use_colour(Stream(tty=False), {}) is False  # type: ignore[arg-type]
    assert use_colour(Stream(tty=True), {"NO_COLOR": "1"}) is False  # type: ignore[arg-type]
    assert use_colour(Stream(tty=True), {"NO_COLOR": ""}) is True  # type: ignore[arg-type]
    assert use_colour(Stream(tty=False), {"FORCE_COLOR": "1"}) is True  # type: ignore[arg-type]
    both = {"FORCE_COLOR": "1", "NO_COLOR": "1"}
    assert use_colour(Stream(tty=True), both) is False  # type: ignore[arg-type]


def test_force_color_colours_the_log_lines_of_a_pipe(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    args = ("run", str(handlers(tmp_path)), "--run-timeout", "0.5")
    plain = run_cli(*args, env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000"))
    forced = run_cli(*args, env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000", FORCE_COLOR="1"))
    assert "reached" in plain.stderr
    assert "\x1b[" not in plain.stderr
    assert "\x1b[" in forced.stderr


SYNC = """
import camunda_worker

@camunda_worker.task("plain")
def plain(job):
    return {}

@camunda_worker.task("pinned", strategy="thread", max_concurrent_jobs=3)
def pinned(job):
    return {}
"""


def test_concurrency_and_strategy_flags_apply_where_a_task_does_not_say(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    module = tmp_path / "flag_tasks.py"
    module.write_text(textwrap.dedent(SYNC), encoding="utf-8")
    result = run_cli(
        "run",
        str(module),
        "-c",
        "2",
        "--strategy",
        "process",
        "--run-timeout",
        "1",
        "--log-level",
        "debug",
        env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000"),
    )
    assert result.returncode == 0, result.stderr
    assert "plain (process), pinned (thread)" in result.stdout
    assert "[job_type=plain" in result.stderr
    plain = [line for line in result.stderr.splitlines() if "[job_type=plain" in line]
    pinned = [line for line in result.stderr.splitlines() if "[job_type=pinned" in line]
    assert any("activating up to 2 job(s)" in line for line in plain)
    assert any("activating up to 3 job(s)" in line for line in pinned)


VERSIONED = """
import camunda_worker

@camunda_worker.task("versioned")
async def versioned(job):
    return {{"version": {version}}}
"""


def test_watch_restarts_on_a_code_change(served_engine: ServedEngine, tmp_path: Path) -> None:
    pytest.importorskip("watchfiles", reason="--watch needs the watch extra (watchfiles)")
    module = tmp_path / "versioned_tasks.py"
    module.write_text(textwrap.dedent(VERSIONED.format(version=1)), encoding="utf-8")
    process = start_cli(
        "run",
        "versioned_tasks",
        "--watch",
        env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000"),
        cwd=tmp_path,
    )
    try:
        read_line_with(process, "polling")
        served_engine.engine.create_job("versioned")
        [first] = wait_until(lambda: served_engine.completed("versioned"))
        module.write_text(textwrap.dedent(VERSIONED.format(version=2)), encoding="utf-8")
        read_line_with(process, "versioned_tasks.py changed; restarting")
        read_line_with(process, "polling")
        served_engine.engine.create_job("versioned")
        done = wait_until(lambda: len(served_engine.completed("versioned")) == 2)
        assert done
        versions = [job.result_variables["version"] for job in served_engine.completed("versioned")]
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert first.result_variables == {"version": 1}
    assert versions == [1, 2]
    assert process.returncode == 0
