"""Module-level (picklable) handlers for test_overdue_adversary.py (the process strategy)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def hang_once(job: Any) -> dict[str, Any]:
    """The first run writes its pid to ``marker`` and hangs forever; any later run returns."""
    marker = Path(job.variables["marker"])
    if marker.exists():
        return {"second": True, "pid": os.getpid()}
    marker.write_text(str(os.getpid()))
    while True:
        time.sleep(0.05)


def hold_until_release(job: Any) -> dict[str, Any]:
    """Note the run (``runs_dir/<key>-<pid>-<n>``), then wait until ``release`` exists."""
    runs = Path(job.variables["runs_dir"])
    (runs / f"{job.job_key}-{os.getpid()}-{time.monotonic_ns()}").touch()
    release = Path(job.variables["release"])
    while not release.exists():
        time.sleep(0.01)
    return {"ran": job.job_key}
