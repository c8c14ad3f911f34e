"""``camunda-worker run --processes N``: N worker processes under one supervisor.

The supervisor runs ``camunda-worker run`` (without ``--processes``) N times as child processes,
each in its own process group, so that a Ctrl-C on the terminal reaches them only through the
supervisor, once. It forwards SIGINT/SIGTERM: the first one drains every process (each with its
own drain timeout), a second one ends the drains at once (it is forwarded as the other of the
two signals, which the kernel cannot merge with a first one still pending); a process still
running 5 s after that is killed. A process that dies while nobody asked it to stop (killed, an
internal error) is started again after a back-off (0.5 s, doubled on each death in a row up to
30 s; a process that ran 30 s counts as healthy again). A process that exits with a
configuration error (2) or a failed worker (3) is not restarted: the others are stopped and the
supervisor exits with that code. Health and metrics endpoints are per process: process ``i``
(from 0) listens on ``PORT + i`` (0 still picks a free port for each).

Exit codes: the first non-zero exit code a process ended with, in the order they ended (deaths
that were restarted do not count; a process killed while stopping counts as 4, its jobs
abandoned), 0 when every process ended with 0.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType

from camunda_worker._config.settings import CamundaSettings

__all__ = ["Supervisor", "child_arguments"]

_POLL_SECONDS = 0.05
_FIRST_BACK_OFF = 0.5
_MAX_BACK_OFF = 30.0
_HEALTHY_AFTER = 30.0  # a process that ran this long resets the back-off
_KILL_AFTER_SECOND_SIGNAL = 5.0
_ABANDONED = 4  # the exit code of a process that stopped with jobs still in flight
_FATAL = frozenset({2, 3})  # configuration error, failed worker: a restart cannot fix them
_BOUNDED_ENDS = frozenset({0, 4, 5})  # under --limit/--run-timeout: a process's own end


def child_arguments(argv: Sequence[str], settings: CamundaSettings, index: int) -> list[str]:
    """The ``camunda-worker run`` arguments of process ``index``: ``argv`` with its own ports.

    ``argv`` has no ``--processes``; ``--set`` wins over every other source of a setting, so the
    ports resolved from the flags, the environment or a ``.env`` file are moved by ``index``.
    """
    arguments = list(argv)
    for name, port in (
        ("CAMUNDA_WORKER_HEALTH_PORT", settings.worker_health_port),
        ("CAMUNDA_WORKER_METRICS_PORT", settings.worker_metrics_port),
    ):
        if port:  # None: no endpoint; 0: each process picks a free port
            arguments += ["--set", f"{name}={port + index}"]
    return arguments


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _other(number: int) -> int:
    """The signal that ends a process's drain after ``number`` began it.

    A process counts SIGINT and SIGTERM alike: its second signal of either ends the drain. The
    kernel keeps one pending signal of each number, so a second SIGTERM sent while the first is
    still pending (the process was not scheduled in between, or the user's two signals reached
    the supervisor at once and were forwarded together) would be merged into the first and the
    drain would go on. Two different numbers are never merged.
    """
    return signal.SIGINT if number == signal.SIGTERM else signal.SIGTERM


def _restrict_to_own_group() -> None:  # pragma: no cover - runs in the forked child
    """In the child before exec: its own process group, and SIGTERM when the supervisor dies."""
    import os  # noqa: PLC0415 - only in the child

    os.setpgrp()
    if sys.platform == "linux":
        import ctypes  # noqa: PLC0415

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


class _Slot:
    """One of the N places: the process filling it now, and its deaths in a row."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.deaths_in_a_row = 0
        self.restart_at: float | None = None
        self.final_code: int | None = None


class Supervisor:
    """Runs N copies of a command, forwards signals, restarts the ones that die.

    Args:
        command: builds the command line of the process in slot ``index``.
        processes: how many processes.
        bounded: the processes stop on their own (``--limit``, ``--run-timeout``): an exit
            with 0, 4 or 5 is their end, not a death to restart.
        say: prints one line for the user (stdout).
    """

    def __init__(
        self,
        command: Callable[[int], list[str]],
        processes: int,
        *,
        bounded: bool,
        say: Callable[[str], None],
    ) -> None:
        self._command = command
        self._ends = _BOUNDED_ENDS if bounded else frozenset()
        self._slots = [_Slot(index) for index in range(processes)]
        self._say = say
        self._signals: list[int] = []
        self._stopping = False
        self._kill_at: float | None = None
        self._first_forwarded: int = signal.SIGTERM
        self._ended: list[int] = []  # final exit codes, in the order the processes ended

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        self._signals.append(number)

    def run(self) -> int:
        """Start the processes and supervise them until all have ended; the exit code."""
        previous = {
            number: signal.signal(number, self._on_signal)
            for number in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for slot in self._slots:
                self._start(slot)
            while any(slot.final_code is None for slot in self._slots):
                self._handle_signals()
                self._reap()
                self._restart_due()
                self._kill_if_overdue()
                time.sleep(_POLL_SECONDS)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        return next((code for code in self._ended if code), 0)

    def _start(self, slot: _Slot) -> None:
        slot.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self._command(slot.index),
            preexec_fn=_restrict_to_own_group,  # noqa: PLW1509 - the supervisor has no threads
        )
        slot.started_at = time.monotonic()
        slot.restart_at = None
        self._say(
            f"process {slot.index + 1} of {len(self._slots)} started (pid {slot.process.pid})"
        )

    def _running(self) -> list[subprocess.Popen[bytes]]:
        return [
            slot.process
            for slot in self._slots
            if slot.process is not None and slot.process.returncode is None
        ]

    def _forward(self, number: int) -> None:
        for process in self._running():
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile: reaped next round
                process.send_signal(number)

    def _handle_signals(self) -> None:
        while self._signals:
            number = self._signals.pop(0)
            name = signal.Signals(number).name
            if not self._stopping:
                self._say(f"{name}: draining {len(self._running())} process(es)")
                self._stop_all(number)
            else:
                self._say(f"second {name}: ending the drain")
                self._forward(_other(self._first_forwarded))
                self._kill_at = time.monotonic() + _KILL_AFTER_SECOND_SIGNAL

    def _stop_all(self, number: int) -> None:
        self._stopping = True
        self._first_forwarded = number
        for slot in self._slots:
            if slot.restart_at is not None:  # waiting for its restart: it stays stopped
                slot.restart_at = None
                slot.final_code = 0 if slot.final_code is None else slot.final_code
        self._forward(number)

    def _reap(self) -> None:
        for slot in self._slots:
            process = slot.process
            if process is None or slot.final_code is not None or slot.restart_at is not None:
                continue
            code = process.poll()
            if code is None:
                continue
            where = f"process {slot.index + 1} (pid {process.pid})"
            if self._stopping or code in self._ends:
                slot.final_code = _ABANDONED if code < 0 else code  # killed: its jobs are lost
                self._ended.append(slot.final_code)
                if code and not self._stopping:
                    self._say(f"{where} {_describe(code)}")
            elif code in _FATAL:
                slot.final_code = code
                self._ended.append(code)
                self._say(f"{where} {_describe(code)}; not restarting it, stopping the others")
                self._stop_all(signal.SIGTERM)
            else:
                self._schedule_restart(slot, where, code)

    def _schedule_restart(self, slot: _Slot, where: str, code: int) -> None:
        now = time.monotonic()
        if now - slot.started_at >= _HEALTHY_AFTER:
            slot.deaths_in_a_row = 0
        delay = min(_FIRST_BACK_OFF * 2**slot.deaths_in_a_row, _MAX_BACK_OFF)
        slot.deaths_in_a_row += 1
        slot.restart_at = now + delay
        self._say(f"{where} {_describe(code)}; restarting it in {delay:g} s")

    def _restart_due(self) -> None:
        now = time.monotonic()
        for slot in self._slots:
            if slot.restart_at is not None and now >= slot.restart_at and not self._stopping:
                self._start(slot)

    def _kill_if_overdue(self) -> None:
        if self._kill_at is not None and time.monotonic() >= self._kill_at:
            for process in self._running():
                self._say(f"process (pid {process.pid}) still running; killing it")
                process.kill()
            self._kill_at = None
