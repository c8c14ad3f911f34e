"""Finding what a test left running: threads, child processes and open file descriptors.

A :class:`Snapshot` is taken before a test and compared after it (:func:`find_leaks`), with a
short grace period for threads and processes that are just ending. What the process keeps on
purpose is never a leak: multiprocessing's resource tracker and fork server (started once, on
first use, with their pipes), and threads whose names match the ignore patterns (the plugin
ignores idle pool threads of event loops, which may outlive a test by design).
"""

from __future__ import annotations

import fnmatch
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import attrs

__all__ = ["Leaks", "Snapshot", "find_leaks", "take_snapshot"]

_PROC_FD = Path("/proc/self/fd")
_POLL = 0.01


@attrs.frozen
class Snapshot:
    """Threads, child processes (pids) and file descriptors (fd and target)."""

    threads: frozenset[threading.Thread]
    children: frozenset[int]
    fds: frozenset[tuple[int, str]]

    def __sub__(self, other: Snapshot) -> Snapshot:
        return Snapshot(
            self.threads - other.threads,
            self.children - other.children,
            self.fds - other.fds,
        )


# The command lines multiprocessing starts its process-wide helpers with (``-c 'from
# multiprocessing.resource_tracker import main;main(5)'``, the fork server's likewise).
_HELPERS = (b"multiprocessing.resource_tracker", b"multiprocessing.forkserver")


def _kept_by_multiprocessing() -> tuple[set[int], set[int]]:
    """Pids and fds of multiprocessing's process-wide helpers (they live until exit).

    The resource tracker and the fork server are the children whose command line runs one of
    multiprocessing's helper modules; the descriptors this process keeps to them are those
    naming a pipe or socket the helper holds too (both ends of a pipe show the same inode).
    Read from ``/proc`` only: the standard library names neither the helpers' pids nor their
    pipes publicly. Where there is no ``/proc`` the helpers are not listed as children either.
    """
    pids: set[int] = set()
    shared: set[str] = set()
    for pid in _child_pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if not any(helper in cmdline for helper in _HELPERS):
            continue
        pids.add(pid)
        shared.update(_fd_targets(Path(f"/proc/{pid}/fd")).values())
    fds = {
        fd
        for fd, target in _fd_targets(_PROC_FD).items()
        if target in shared and target.startswith(("pipe:", "socket:"))
    }
    return pids, fds


def _fd_targets(directory: Path) -> dict[int, str]:
    """What each descriptor listed in ``directory`` (``/proc/<pid>/fd``) points at."""
    targets: dict[int, str] = {}
    try:
        names = os.listdir(directory)
    except OSError:
        return targets
    for name in names:
        try:
            targets[int(name)] = os.readlink(directory / name)
        except (OSError, ValueError):
            continue  # closed meanwhile
    return targets


def _child_pids() -> set[int]:
    """This process's children, as ``/proc`` lists them (empty without ``/proc``)."""
    found: set[int] = set()
    tasks = Path(f"/proc/{os.getpid()}/task")
    if tasks.is_dir():
        for task in tasks.iterdir():
            try:
                listed = (task / "children").read_text()
            except OSError:
                continue
            found.update(map(int, listed.split()))
    return found


def _describe_pid(pid: int) -> str:
    for process in multiprocessing.active_children():
        if process.pid == pid:
            return f"{process.name} (multiprocessing)"
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()[:200] or "?"


def _children(kept: set[int]) -> frozenset[int]:
    # active_children() also reaps multiprocessing children that have ended.
    found = {process.pid for process in multiprocessing.active_children() if process.pid}
    found |= _child_pids()
    return frozenset(found - kept)


def _fds(kept: set[int]) -> frozenset[tuple[int, str]]:
    if not _PROC_FD.is_dir():
        return frozenset()
    found = set()
    for name in os.listdir(_PROC_FD):
        fd = int(name)
        if fd in kept:
            continue
        try:
            target = os.readlink(_PROC_FD / name)
        except OSError:
            continue  # closed meanwhile (e.g. the descriptor of the listing itself)
        found.add((fd, target))
    return frozenset(found)


def take_snapshot() -> Snapshot:
    """What this process runs and holds open now (file descriptors: Linux only)."""
    pids, fds = _kept_by_multiprocessing()
    return Snapshot(frozenset(threading.enumerate()), _children(pids), _fds(fds))


@attrs.frozen
class Leaks:
    """What a test left behind."""

    threads: tuple[threading.Thread, ...] = ()
    children: tuple[int, ...] = ()
    fds: tuple[tuple[int, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.threads or self.children or self.fds)

    def describe(self) -> str:
        """A report, one resource per line."""
        lines = []
        if self.threads:
            lines.append(f"{len(self.threads)} thread(s) still running:")
            lines.extend(
                f"  - {thread.name!r}{' (daemon)' if thread.daemon else ''}"
                for thread in self.threads
            )
        if self.children:
            lines.append(f"{len(self.children)} child process(es) still running:")
            lines.extend(f"  - pid {pid}: {_describe_pid(pid)}" for pid in self.children)
        if self.fds:
            lines.append(f"{len(self.fds)} file descriptor(s) still open:")
            lines.extend(f"  - fd {fd} -> {target}" for fd, target in self.fds)
        return "\n".join(lines)


def _ignored(thread: threading.Thread, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(thread.name, pattern) for pattern in patterns)


def _compare(before: Snapshot, ignore_threads: Iterable[str]) -> Leaks:
    new = take_snapshot() - before
    patterns = tuple(ignore_threads)
    threads = sorted(
        (t for t in new.threads if t.is_alive() and not _ignored(t, patterns)),
        key=lambda t: t.name,
    )
    return Leaks(tuple(threads), tuple(sorted(new.children)), tuple(sorted(new.fds)))


def find_leaks(
    before: Snapshot,
    *,
    grace: float = 2.0,
    ignore_threads: Iterable[str] = (),
) -> Leaks:
    """Compare now with ``before``, waiting up to ``grace`` seconds for things that are ending.

    Args:
        before: the snapshot taken before the test.
        grace: seconds to wait for threads, processes and descriptors to go away.
        ignore_threads: thread-name patterns (``fnmatch``) never reported.

    Returns:
        What is still there after the grace period (empty: nothing leaked).
    """
    deadline = time.monotonic() + grace
    while True:
        leaks = _compare(before, ignore_threads)
        if not leaks or time.monotonic() >= deadline:
            return leaks
        time.sleep(_POLL)
