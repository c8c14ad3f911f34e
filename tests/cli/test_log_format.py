"""``--log-format json``: one flat JSON object per line, the job's context at the top level."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from .conftest import ServedEngine, run_cli

LOGGING = """
import camunda_worker

@camunda_worker.task("greet")
async def greet(job):
    job.log.info("greeting {}", job.variables["name"])
    try:
        raise ValueError("no such customer")
    except ValueError:
        job.log.exception("lookup failed")
    return {"greeted": True}
"""


def test_json_log_lines_are_flat_objects_with_the_job_context(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    handlers = tmp_path / "logging_tasks.py"
    handlers.write_text(textwrap.dedent(LOGGING), encoding="utf-8")
    key = served_engine.engine.create_job("greet", variables={"name": "ada"})
    result = run_cli(
        "run",
        str(handlers),
        "--limit",
        "1",
        "--log-format",
        "json",
        env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000", CAMUNDA_WORKER_NAME="w-1"),
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    records: list[dict[str, Any]] = [json.loads(line) for line in lines]  # each line is JSON
    assert records
    for record in records:
        assert {"time", "level", "message", "logger"} <= set(record)
        assert "record" not in record
        assert "text" not in record
        assert all(not isinstance(value, dict) for value in record.values())
    [greeting] = [r for r in records if r["message"] == "greeting ada"]
    assert greeting["level"] == "INFO"
    assert greeting["job_type"] == "greet"
    assert greeting["job_key"] == str(key)
    assert greeting["worker"] == "w-1"
    assert "process_instance_key" in greeting
    assert "exception" not in greeting
    [failure] = [r for r in records if r["message"] == "lookup failed"]
    assert failure["level"] == "ERROR"
    assert failure["job_key"] == str(key)
    assert "ValueError: no such customer" in failure["exception"]
    assert failure["exception"].startswith("Traceback (most recent call last):")
