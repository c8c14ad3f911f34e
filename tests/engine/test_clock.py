"""Clocks: the manual clock moves only when told, thread-safely, and notifies subscribers."""

from __future__ import annotations

import threading
import time

import pytest

from camunda_worker.engine._runtime.clock import (
    DEFAULT_MANUAL_EPOCH_MS,
    Clock,
    ManualClock,
    SystemClock,
)


def test_system_clock_reads_the_wall_clock() -> None:
    before = time.time_ns() // 1_000_000
    now = SystemClock().now_ms()
    after = time.time_ns() // 1_000_000
    assert before <= now <= after
    assert isinstance(SystemClock(), Clock)
    assert repr(SystemClock()) == "SystemClock()"


def test_manual_clock_starts_at_a_fixed_epoch_or_the_given_one() -> None:
    assert ManualClock().now_ms() == DEFAULT_MANUAL_EPOCH_MS
    assert ManualClock(42).now_ms() == 42
    assert isinstance(ManualClock(), Clock)
    assert "epoch_ms=42" in repr(ManualClock(42))


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(1_000)
    clock.advance(250)
    assert clock.now_ms() == 1_250
    clock.set(500)
    assert clock.now_ms() == 500


def test_manual_clock_refuses_to_go_back_with_advance() -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        ManualClock().advance(-1)


def test_subscribers_hear_every_change_until_they_unsubscribe() -> None:
    clock = ManualClock(0)
    seen: list[int] = []
    unsubscribe = clock.subscribe(lambda: seen.append(clock.now_ms()))
    clock.advance(10)
    clock.set(100)
    unsubscribe()
    clock.advance(1)
    unsubscribe()  # twice is harmless
    assert seen == [10, 100]


def test_concurrent_advances_are_not_lost() -> None:
    clock = ManualClock(0)

    def advance() -> None:
        for _ in range(1_000):
            clock.advance(1)

    threads = [threading.Thread(target=advance) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now_ms() == 4_000
