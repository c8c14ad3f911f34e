"""``camunda-worker run``: a subprocess runs a module's handlers against the engine over TCP."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import (
    TIMEOUT,
    ServedEngine,
    read_line_with,
    run_cli,
    start_cli,
    wait_until,
)

STRATEGIES = """
import os
import camunda_worker

@camunda_worker.task("greet")
async def greet(job):
    return {"greeting": f"hello {job.variables['name']}"}

@camunda_worker.task("measure", strategy="thread")
def measure(job):
    return {"length": len(job.variables["name"])}

@camunda_worker.task("stamp", strategy="process")
def stamp(job):
    return {"pid": os.getpid()}
"""

GREET = """
import camunda_worker

@camunda_worker.task("greet")
async def greet(job):
    return {"greeting": "hello"}
"""

SLOW = """
import os
import pathlib
import time
import camunda_worker

@camunda_worker.task("slow", strategy="thread")
def slow(job):
    started = os.environ.get("SLOW_STARTED_FILE")
    if started:
        pathlib.Path(started).write_text(job.job_key)
    time.sleep(1.0)
    return {"slept": True}
"""


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_runs_every_strategy_and_stops_at_the_limit(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    handlers = write(tmp_path, "shop_tasks.py", STRATEGIES)
    for name in ("ada", "grace"):
        for job_type in ("greet", "measure", "stamp"):
            served_engine.engine.create_job(job_type, variables={"name": name})
    process = start_cli(
        "run", str(handlers), "--limit", "6", env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000")
    )
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
    greetings = sorted(job.result_variables["greeting"] for job in served_engine.completed("greet"))
    assert greetings == ["hello ada", "hello grace"]
    assert sorted(j.result_variables["length"] for j in served_engine.completed("measure")) == [
        3,
        5,
    ]
    stamped = served_engine.completed("stamp")
    assert len(stamped) == 2
    assert all(job.result_variables["pid"] != process.pid for job in stamped)  # a child ran it
    assert "greet (async), measure (thread), stamp (process)" in out
    assert "stamp: 2 completed, 0 failed" in out


def test_sigterm_drains_the_job_in_flight_and_exits_0(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    handlers = write(tmp_path, "slow_tasks.py", SLOW)
    key = served_engine.engine.create_job("slow")
    started = tmp_path / "started"
    env = served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000", SLOW_STARTED_FILE=str(started))
    process = start_cli("run", str(handlers), env=env)
    try:
        # The handler has the job (not only the engine's activation, whose answer may still be
        # on its way: a stop cancels a poll in flight, and its jobs come back after the timeout).
        wait_until(started.exists)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert [job.key for job in served_engine.completed("slow")] == [key]
    assert "draining" in err


def test_refused_credentials_exit_3_naming_the_job_type(tmp_path: Path) -> None:
    handlers = write(tmp_path, "greet_tasks.py", GREET)
    served = ServedEngine(basic_auth=("worker", "the-right-password"))
    with served.server:
        result = run_cli(
            "run",
            str(handlers),
            env=served.env(
                CAMUNDA_WORKER_TIMEOUT="30000",
                CAMUNDA_BASIC_AUTH_USERNAME="worker",
                CAMUNDA_BASIC_AUTH_PASSWORD="a-wrong-password-123",
            ),
        )
    served.engine.close()
    assert result.returncode == 3
    assert "authentication failed for job type 'greet'" in result.stderr
    assert "a-wrong-password-123" not in result.stdout + result.stderr


def test_run_timeout_stops_an_idle_worker_of_the_chosen_job_type(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    handlers = write(tmp_path, "idle_tasks.py", STRATEGIES)
    result = run_cli(
        "run",
        str(handlers),
        "--job-type",
        "greet",
        "--run-timeout",
        "0.5",
        env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000"),
    )
    assert result.returncode == 0, result.stderr
    assert "polling" in result.stdout
    assert "for greet (async)\n" in result.stdout
    assert "greet: 0 completed, 0 failed" in result.stdout
    assert "measure" not in result.stdout


def test_health_probes_and_metrics_are_served(served_engine: ServedEngine, tmp_path: Path) -> None:
    handlers = write(tmp_path, "probed_tasks.py", GREET)
    env = served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000", CAMUNDA_WORKER_HEALTH_PORT="0")
    process = start_cli("run", str(handlers), "--metrics-port", "0", env=env)
    try:
        metrics_url = read_line_with(process, "metrics on ").split("metrics on ")[1].strip()
        health_line = read_line_with(process, "health probes on ")
        health_url = health_line.split("health probes on ")[1].split("/livez")[0]
        wait_until(lambda: get(f"{health_url}/readyz")[0] == 200)
        served_engine.engine.create_job("greet")
        wait_until(lambda: served_engine.completed("greet"))
        status, body = get(f"{health_url}/livez")
        assert status == 200
        assert json.loads(body)["workers"][0]["job_type"] == "greet"

        def scraped() -> str | None:
            text = get(metrics_url)[1]
            done = 'camunda_worker_jobs_completed_total{job_type="greet"} 1.0' in text
            return text if done else None

        text = wait_until(scraped)
        assert 'camunda_worker_jobs_activated_total{job_type="greet"} 1.0' in text
        assert 'camunda_worker_free_capacity{job_type="greet"} 10.0' in text
        assert (
            'camunda_worker_handler_duration_seconds_count{job_type="greet",outcome="completed"} 1.0'
            in text
        )
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0


# -- mistakes found before anything is activated (exit code 2) ---------------------------------

NO_PROMETHEUS = "raise ImportError('No module named prometheus_client')\n"

CASES: dict[str, tuple[str, str, dict[str, str], tuple[str, ...]]] = {
    # name: (file contents or "" for a module name, extra args, extra env, expected texts)
    "missing module": ("", "no_such_module_h7", {}, ("no module named 'no_such_module_h7'",)),
    "no handler": ("x = 1\n", "", {}, ("registers no handler",)),
    "import error": ("raise RuntimeError('boom at import')\n", "", {}, ("boom at import",)),
    "unpicklable": (
        "import camunda_worker\nregistry = camunda_worker.TaskRegistry()\n"
        "registry.add(lambda job: {}, 'greet', strategy='process')\n",
        "",
        {},
        ("job type 'greet'", "cannot be pickled"),
    ),
    "no job timeout": (GREET, "", {"CAMUNDA_WORKER_TIMEOUT": ""}, ("CAMUNDA_WORKER_TIMEOUT",)),
    "unknown job type": (GREET, "--job-type=grete", {}, ("--job-type grete", "registers greet")),
    "metrics extra missing": (
        GREET,
        "--metrics-port=0",
        {"SHIM": "1"},
        ("pip install 'camunda-worker[metrics]'",),
    ),
    "port in use": (GREET, "--health-port=BUSY", {}, ("cannot listen",)),
}


@pytest.fixture(scope="module")
def refused(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, subprocess.CompletedProcess[str]], ServedEngine]]:
    """Every case of CASES, run at once (they are independent) against one engine."""
    served = ServedEngine()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    with served.server:
        served.engine.create_job("greet")
        processes = {}
        for name, (source, argument, extra, _) in CASES.items():
            folder = tmp_path_factory.mktemp("case")
            target = argument if source == "" else str(write(folder, "case_tasks.py", source))
            args = [target] if source == "" else [target, argument]
            args = [a.replace("BUSY", str(busy.getsockname()[1])) for a in args if a]
            env = served.env(CAMUNDA_WORKER_TIMEOUT="30000")
            env.update({k: v for k, v in extra.items() if k != "SHIM"})
            if "SHIM" in extra:
                shim = folder / "shim"
                (shim / "prometheus_client").mkdir(parents=True)
                (shim / "prometheus_client" / "__init__.py").write_text(NO_PROMETHEUS)
                env["PYTHONPATH"] = f"{shim}:{env['PYTHONPATH']}"
            env = {k: v for k, v in env.items() if v != ""}
            processes[name] = start_cli("run", *args, env=env, cwd=folder)
        results = {}
        for name, process in processes.items():
            out, err = process.communicate(timeout=TIMEOUT)
            results[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        yield results, served
    busy.close()
    served.engine.close()


@pytest.mark.parametrize("case", CASES)
def test_mistakes_exit_2_with_a_clear_message_before_any_activation(
    case: str, refused: tuple[dict[str, subprocess.CompletedProcess[str]], ServedEngine]
) -> None:
    results, served = refused
    result = results[case]
    assert result.returncode == 2, (result.stdout, result.stderr)
    for text in CASES[case][3]:
        assert text in result.stderr
    assert "Traceback" not in result.stderr or case == "import error"
    assert served.engine.stats().jobs_activated == 0


def test_health_and_metrics_share_one_port_when_given_the_same(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    handlers = write(tmp_path, "shared_port_tasks.py", GREET)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000")
    process = start_cli(
        "run", str(handlers), "--health-port", str(port), "--metrics-port", str(port), env=env
    )
    try:
        metrics_line = read_line_with(process, "metrics on ")
        health_line = read_line_with(process, "health probes on ")
        assert f"http://127.0.0.1:{port}/metrics" in metrics_line
        assert f"http://127.0.0.1:{port}/livez" in health_line
        wait_until(lambda: get(f"http://127.0.0.1:{port}/readyz")[0] == 200)
        status, text = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert 'camunda_worker_free_capacity{job_type="greet"}' in text
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0
