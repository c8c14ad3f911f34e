"""``camunda-worker config`` run as a user runs it: a subprocess with its own environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "ZEEBE_"))}
    return subprocess.run(
        [sys.executable, "-m", "camunda_worker", "config", *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
        check=False,
    )


def _table(stdout: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in stdout.splitlines()[1:]:
        if line.startswith("warning:"):
            continue
        name, *rest = line.split()
        rows[name] = (" ".join(rest[:-1]), rest[-1])
    return rows


def test_prints_each_value_with_its_source(tmp_path: Path) -> None:
    envfile = tmp_path / "worker.env"
    envfile.write_text("CAMUNDA_WORKER_NAME=from-file\nCAMUNDA_WORKER_MAX_CONCURRENT_JOBS=7\n")
    result = _run(
        "--env-file",
        str(envfile),
        "--set",
        "CAMUNDA_WORKER_TIMEOUT=30000",
        env={"CAMUNDA_WORKER_MAX_CONCURRENT_JOBS": "12"},
    )
    assert result.returncode == 0, result.stderr
    rows = _table(result.stdout)
    assert rows["CAMUNDA_WORKER_TIMEOUT"] == ("30000", "flag")
    assert rows["CAMUNDA_WORKER_MAX_CONCURRENT_JOBS"] == ("12", "environment")
    assert rows["CAMUNDA_WORKER_NAME"] == ("from-file", ".env")
    assert rows["CAMUNDA_REST_ADDRESS"] == ("http://localhost:8080/v2", "default")


def test_secrets_are_masked_and_typos_reported() -> None:
    result = _run(
        env={
            "CAMUNDA_CLIENT_ID": "worker",
            "CAMUNDA_CLIENT_SECRET": "top-secret-value-123",
            "CAMUNDA_WORKER_TIMOUT": "5",
        }
    )
    assert result.returncode == 0, result.stderr
    assert "top-secret-value-123" not in result.stdout + result.stderr
    assert "CAMUNDA_WORKER_TIMOUT" in result.stdout
    assert "did you mean CAMUNDA_WORKER_TIMEOUT?" in result.stdout


def test_json_output() -> None:
    result = _run("--json", env={"CAMUNDA_WORKER_NAME": "billing"})
    document = json.loads(result.stdout)
    by_name = {row["name"]: row for row in document["settings"]}
    assert by_name["CAMUNDA_WORKER_NAME"] == {
        "name": "CAMUNDA_WORKER_NAME",
        "value": "billing",
        "source": "environment",
    }


def test_bad_value_is_a_clear_error_with_exit_code_2() -> None:
    result = _run(env={"CAMUNDA_WORKER_MAX_CONCURRENT_JOBS": "lots"})
    assert result.returncode == 2
    assert "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS" in result.stderr
    assert "lots" in result.stderr


def test_malformed_set_flag_is_rejected() -> None:
    result = _run("--set", "CAMUNDA_WORKER_TIMEOUT")
    assert result.returncode == 2
    assert "KEY=VALUE" in result.stderr
