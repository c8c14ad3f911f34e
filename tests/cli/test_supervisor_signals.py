"""The supervisor's second signal reaches its processes even when the first is still pending."""

from __future__ import annotations

import signal
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import TIMEOUT, CliProcess, clean_environment, read_line_with

# A process that cannot take its signals yet (its handlers are not in place, it is not
# scheduled): both stay pending until it looks. It reports what is pending once released.
CHILD = """
import pathlib
import signal
import sys
import time

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
print("child ready", flush=True)
release = pathlib.Path(sys.argv[1])
while not release.exists():
    time.sleep(0.01)
pending = sorted(signal.Signals(number).name for number in signal.sigpending())
print("pending: " + " ".join(pending), flush=True)
"""

SUPERVISOR = """
import sys

from camunda_worker.cli._logging import say
from camunda_worker.cli._supervisor import Supervisor

child, release = sys.argv[1], sys.argv[2]
supervisor = Supervisor(
    lambda index: [sys.executable, child, release], 1, bounded=False, say=say
)
sys.exit(supervisor.run())
"""


@pytest.mark.skipif(not hasattr(signal, "sigpending"), reason="needs POSIX signal masks")
@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_is_not_merged_into_a_first_still_pending(
    tmp_path: Path, first: signal.Signals
) -> None:
    child = tmp_path / "child.py"
    child.write_text(textwrap.dedent(CHILD), encoding="utf-8")
    script = tmp_path / "supervise.py"
    script.write_text(textwrap.dedent(SUPERVISOR), encoding="utf-8")
    release = tmp_path / "release"
    process = CliProcess(
        [sys.executable, str(script), str(child), str(release)], env=clean_environment()
    )
    try:
        read_line_with(process, "child ready")
        process.send_signal(first)
        read_line_with(process, f"{first.name}: draining 1 process(es)")
        process.send_signal(first)
        read_line_with(process, f"second {first.name}: ending the drain")
        release.touch()
        pending = read_line_with(process, "pending:")
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    # Two signals were sent to the process; it must be able to tell it got two.
    assert pending.split(":")[1].split() == ["SIGINT", "SIGTERM"], (out, err)
    assert process.returncode == 0, (out, err)
