"""Fault injection: added latency, error rates per endpoint, scripted faults.

A :class:`FaultPlan` sits on the engine's app and is consulted once per request, before the
request reaches the engine::

    plan = FaultPlan(seed=7)
    plan.latency(20)                             # every endpoint answers 20 ms later
    plan.error_rate("complete", "503", 0.1)      # 10 % of completions: 503 RESOURCE_EXHAUSTED
    plan.script("activate", ["503"] * 3)         # the next 3 activations answer 503
    plan.script("token", ["401", None, "drop"])  # token endpoint: refuse, answer, drop

Kinds of fault:

=============  ==============================================================================
``"503"``      503 ``RESOURCE_EXHAUSTED`` (backpressure)
``"500"``      500 ``INTERNAL``
``"429"``      429 ``TOO_MANY_REQUESTS``
``"504"``      504 ``DEADLINE_EXCEEDED``
``"401"``      401: the API refuses the credentials; the token endpoint answers ``invalid_client``
``"drop"``     the connection is closed without an answer; the request never reaches the engine
``"drop-after"``  the engine processes the request, then the connection is closed without an
               answer (the client cannot know the request took effect)
=============  ==============================================================================

Endpoints are named ``activate``, ``complete``, ``fail``, ``error``, ``update``, ``search_jobs``,
``deploy``, ``create_instance``, ``get_instance``, ``cancel_instance``, ``search_instances``,
``resolve_incident``, ``set_variables``, ``publish``, ``topology``, ``status``, ``token``;
``"*"`` means every endpoint. Rates draw from a seeded
random generator, so a run with the same seed and the same request order injects the same faults.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable
from typing import Literal, cast, get_args

__all__ = ["ENDPOINTS", "FaultKind", "FaultPlan", "parse_fault_spec"]

FaultKind = Literal["503", "500", "429", "504", "401", "drop", "drop-after"]
"""A kind of injected fault (see the module documentation)."""

ENDPOINTS = (
    "activate",
    "complete",
    "fail",
    "error",
    "update",
    "search_jobs",
    "deploy",
    "create_instance",
    "get_instance",
    "cancel_instance",
    "search_instances",
    "resolve_incident",
    "set_variables",
    "publish",
    "topology",
    "status",
    "correlate",
    "broadcast",
    "assign_user_task",
    "unassign_user_task",
    "update_user_task",
    "complete_user_task",
    "pin_clock",
    "reset_clock",
    "search_incidents",
    "search_element_instances",
    "search_variables",
    "search_user_tasks",
    "search_process_definitions",
    "search_message_subscriptions",
    "get_incident",
    "get_element_instance",
    "get_variable",
    "get_user_task",
    "get_process_definition",
    "search_instance_incidents",
    "search_element_instance_incidents",
    "search_user_task_variables",
    "call_hierarchy",
    "get_process_definition_xml",
    "search_user_task_effective_variables",
    "instance_statistics",
    "definition_statistics",
    "get_user_task_form",
    "get_process_definition_form",
    "evaluate_expression",
    "modify_instance",
    "token",
)
_KINDS: tuple[str, ...] = get_args(FaultKind)
_ANY = "*"


def _endpoint(name: str) -> str:
    if name != _ANY and name not in ENDPOINTS:
        raise ValueError(
            f"unknown endpoint {name!r}: expected '*' or one of {', '.join(ENDPOINTS)}"
        )
    return name


def _kind(value: FaultKind | int | str) -> FaultKind:
    text = str(value)
    if text not in _KINDS:
        raise ValueError(f"unknown fault kind {value!r}: expected one of {', '.join(_KINDS)}")
    return cast("FaultKind", text)


class FaultPlan:
    """What goes wrong, and when: latency, error rates and scripted faults per endpoint.

    Thread-safe: tests may change the plan while workers and the server use it.

    Args:
        seed: seed of the random generator behind error rates (``None``: unpredictable).
        latency_ms: latency added to every endpoint, in milliseconds.
    """

    def __init__(self, *, seed: int | None = 0, latency_ms: float = 0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)  # noqa: S311 - fault injection, not cryptography
        self._latency: dict[str, float] = {}
        self._rates: dict[str, list[tuple[FaultKind, float]]] = {}
        self._scripts: dict[str, deque[FaultKind | None]] = {}
        if latency_ms:
            self.latency(latency_ms)

    def latency(self, milliseconds: float, *, endpoint: str = _ANY) -> FaultPlan:
        """Delay answers of ``endpoint`` (default: all) by ``milliseconds``.

        A per-endpoint latency replaces the one for all endpoints. A long poll's added latency
        comes before the poll starts waiting.

        Returns:
            The plan itself, so calls can be chained.
        """
        if milliseconds < 0:
            raise ValueError("latency must not be negative")
        with self._lock:
            self._latency[_endpoint(endpoint)] = milliseconds / 1000
        return self

    def error_rate(self, endpoint: str, kind: FaultKind | int, rate: float) -> FaultPlan:
        """Answer a fraction of the requests to ``endpoint`` with a fault of ``kind``.

        Several rates for one endpoint add up (their sum must not exceed 1); rates for ``"*"``
        apply to every endpoint on top of its own.

        Args:
            endpoint: an endpoint name or ``"*"``.
            kind: the fault, e.g. ``"503"``, ``503`` or ``"drop"``.
            rate: the probability, between 0 and 1.

        Returns:
            The plan itself.
        """
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        with self._lock:
            self._rates.setdefault(_endpoint(endpoint), []).append((_kind(kind), rate))
        return self

    def script(self, endpoint: str, faults: Iterable[FaultKind | int | None]) -> FaultPlan:
        """Script the next calls of ``endpoint``: one entry per call, ``None`` lets it through.

        Scripted faults come before rates and are appended to a script already queued.

        Returns:
            The plan itself.
        """
        queued = [None if fault is None else _kind(fault) for fault in faults]
        with self._lock:
            self._scripts.setdefault(_endpoint(endpoint), deque()).extend(queued)
        return self

    def clear(self) -> None:
        """Remove every latency, rate and pending scripted fault."""
        with self._lock:
            self._latency.clear()
            self._rates.clear()
            self._scripts.clear()

    def pending(self, endpoint: str) -> int:
        """Return how many scripted entries for ``endpoint`` are still waiting."""
        with self._lock:
            script = self._scripts.get(_endpoint(endpoint))
            return len(script) if script else 0

    def delay_for(self, endpoint: str) -> float:
        """Return the latency to add to a call of ``endpoint``, in seconds."""
        latency = self._latency
        if not latency:
            return 0.0
        return latency.get(endpoint, latency.get(_ANY, 0.0))

    def next_fault(self, endpoint: str) -> FaultKind | None:
        """Decide the fault of one call of ``endpoint`` (consumes a scripted entry).

        Returns:
            The fault to inject, or ``None`` to let the call through.
        """
        if not self._scripts and not self._rates:
            return None
        with self._lock:
            for name in (endpoint, _ANY):
                script = self._scripts.get(name)
                if script:
                    fault = script.popleft()
                    if not script:
                        del self._scripts[name]
                    return fault
            rates = self._rates.get(endpoint, []) + self._rates.get(_ANY, [])
            if not rates:
                return None
            draw = self._random.random()
            for kind, rate in rates:
                if draw < rate:
                    return kind
                draw -= rate
            return None


def parse_fault_spec(spec: str) -> tuple[str, FaultKind, float]:
    """Parse a command-line fault ``ENDPOINT:KIND:RATE``, e.g. ``activate:503:0.1``.

    Returns:
        ``(endpoint, kind, rate)``.

    Raises:
        ValueError: when the text is malformed.
    """
    parts = spec.split(":")
    if len(parts) != 3:
        raise ValueError(f"expected ENDPOINT:KIND:RATE, got {spec!r}")
    endpoint, kind, rate_text = parts
    try:
        rate = float(rate_text)
    except ValueError:
        raise ValueError(f"rate must be a number, got {rate_text!r}") from None
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be between 0 and 1, got {rate_text}")
    return _endpoint(endpoint), _kind(kind), rate
