"""What a process costs, read from Linux's /proc: CPU time, resident memory, open descriptors.

Read from outside the measured process, so measuring adds no code to it. A process tree (the
``process`` strategy's children) is summed. On a system without /proc every reading is ``None``.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    return text[text.rindex(")") + 2 :].split()


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` alive now."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(kids)
        frontier.extend(kids)
    return found


def cpu_seconds(pid: int, *, tree: bool = False) -> float | None:
    """User + system CPU seconds used by ``pid`` (and its live descendants with ``tree``)."""
    total = 0.0
    for each in [pid, *(children(pid) if tree else [])]:
        fields = _stat_fields(each)
        if fields is None:
            if each == pid:
                return None
            continue
        # utime, stime are fields 14 and 15 of stat (11 and 12 after the command name).
        total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


def rss_bytes(pid: int) -> int | None:
    """The resident set size of ``pid`` (VmRSS)."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def open_fds(pid: int) -> int | None:
    """How many file descriptors ``pid`` holds open."""
    try:
        return len(os.listdir(PROC / str(pid) / "fd"))
    except OSError:
        return None


def machine_cpu_seconds() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, all cores summed."""
    try:
        first = (PROC / "stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    values = [int(value) for value in first[1:9]]  # user nice system idle iowait irq softirq steal
    idle = values[3] + values[4]
    total = sum(values)
    return (total - idle) / _TICKS, total / _TICKS
