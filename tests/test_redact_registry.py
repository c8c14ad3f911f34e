"""The registry of live secrets must not deadlock when garbage collection frees an owner while
the registry holds its lock (a weakref callback then runs in the same thread, inside the lock).
Seen as a hang of the whole suite under coverage, which allocates more and collects more often."""

from __future__ import annotations

import gc
import threading

from camunda_worker._base.redact import known_secrets, remember_secrets, scrub


class _Owner:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the garbage collector frees it


def _churn(rounds: int) -> None:
    for index in range(rounds):
        owner = _Owner()
        remember_secrets(owner, [f"secret-{index}-xyz"])
        del owner
        remember_secrets(_Owner(), [])  # allocations under the lock while cycles wait for the GC


def test_owners_freed_by_the_collector_while_the_registry_is_busy_do_not_deadlock_it() -> None:
    old = gc.get_threshold()
    gc.set_threshold(1)  # collect at nearly every allocation: inside the registry's lock too
    try:
        worker = threading.Thread(target=_churn, args=(300,), daemon=True)
        worker.start()
        worker.join(60)  # a deadlock never ends; a healthy run takes well under a second
        alive = worker.is_alive()
    finally:
        gc.set_threshold(*old)
    assert not alive, "the registry of secrets deadlocked on a collected owner"
    gc.collect()
    assert not any(secret.startswith("secret-") for secret in known_secrets())


def test_a_secret_is_masked_while_its_owner_lives_and_forgotten_after() -> None:
    owner = _Owner()
    remember_secrets(owner, ["hunter2-registry"])
    assert "hunter2-registry" not in scrub("the password is hunter2-registry")
    del owner
    gc.collect()
    assert "hunter2-registry" not in known_secrets()
