"""The demo's orders: random but reproducible (``--seed``), each with the end it must reach."""

from __future__ import annotations

import random
from typing import Any

from camunda_worker.demo._rules import expected_outcome

__all__ = ["PROCESS_ID", "SKUS", "make_orders", "outcome_counts"]

PROCESS_ID = "demo-order-process"
"""The BPMN process id of ``order-process.bpmn``."""

SKUS = tuple(f"SKU-{number:02d}" for number in range(1, 21))
"""The catalogue (two of its articles are out of stock: see ``_rules.OUT_OF_STOCK_SKUS``)."""

_DECLINED_SHARE = 0.12


def _card(rng: random.Random) -> str:
    last = "0000" if rng.random() < _DECLINED_SHARE else f"{rng.randint(1, 9999):04d}"
    return f"4111 1111 1111 {last}"


def make_orders(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` orders (the variables each process instance starts with).

    Args:
        count: how many orders.
        seed: the random seed: the same seed gives the same orders.

    Returns:
        The orders; ``expected_outcome(order)`` tells where each must end.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not cryptography
    orders = []
    for number in range(1, count + 1):
        items = [
            {
                "sku": rng.choice(SKUS),
                "quantity": rng.randint(1, 3),
                "price": round(rng.uniform(5, 120), 2),
            }
            for _ in range(rng.randint(1, 3))
        ]
        orders.append(
            {
                "orderNumber": number,
                "customer": f"customer-{rng.randint(1, 500):03d}",
                "items": items,
                "card": _card(rng),
            }
        )
    return orders


def outcome_counts(orders: list[dict[str, Any]]) -> dict[str, int]:
    """How many orders must end each way."""
    counts: dict[str, int] = {}
    for order in orders:
        outcome = expected_outcome(order)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
