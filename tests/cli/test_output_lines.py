"""The command's own lines reach a shared pipe whole, even when Python runs unbuffered.

``run --processes N`` gives the supervisor and its N processes one stdout: a line written as
two system calls (text, then newline) by one process can be joined by another's line.
"""

from __future__ import annotations

import re
import subprocess
import sys

from .conftest import TIMEOUT, clean_environment

WRITER = """
import sys
from camunda_worker.cli._logging import say

name = sys.argv[1]
for number in range(3000):
    say(f"camunda-worker: polling from {name} line {number}")
    say(f"camunda-worker: {name}: {number} completed", stream=sys.stderr)
"""

LINE = re.compile(r"camunda-worker: (polling from \w+ line \d+|\w+: \d+ completed)")


def test_lines_of_two_unbuffered_processes_on_one_pipe_never_merge() -> None:
    env = clean_environment(PYTHONUNBUFFERED="1")
    # Both writers share one pipe for stdout and stderr, as the supervisor's children do.
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys\n"
            "cmd = [sys.executable, '-c', sys.argv[1]]\n"
            "procs = [subprocess.Popen([*cmd, name], stderr=subprocess.STDOUT)"
            " for name in ('ada', 'grace')]\n"
            "sys.exit(max(p.wait() for p in procs))\n",
            WRITER,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    out, err = reader.communicate(timeout=TIMEOUT)
    assert reader.returncode == 0, err
    lines = out.splitlines()
    broken = [line for line in lines if not LINE.fullmatch(line)]
    assert broken == []
    assert len(lines) == 4 * 3000
