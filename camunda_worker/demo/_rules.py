"""The demo's business rules, shared by its handlers and by the check of where orders end.

Every rule depends only on the order's variables, so the demo knows in advance where each order
must end and can prove that every process instance got there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

__all__ = [
    "OUT_OF_STOCK_SKUS",
    "Outcome",
    "expected_outcome",
    "gateway_times_out",
    "in_stock",
    "payment_declined",
]

Outcome = Literal["shipped", "back-ordered", "payment-declined"]

OUT_OF_STOCK_SKUS = frozenset({"SKU-07", "SKU-13"})
"""Articles the warehouse has run out of: an order with one of them is back-ordered."""

_DECLINED_CARD_SUFFIX = "0000"
_FIRST_ATTEMPT_RETRIES = 3  # the retries the BPMN gives the payment task


def in_stock(items: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every article of the order is in stock."""
    return not any(item["sku"] in OUT_OF_STOCK_SKUS for item in items)


def payment_declined(card: str) -> bool:
    """Whether the card is declined (test cards ending in 0000 are)."""
    return card.endswith(_DECLINED_CARD_SUFFIX)


def gateway_times_out(order_number: int, retries: int) -> bool:
    """Whether the payment gateway times out on this attempt (every 16th order, first attempt)."""
    return order_number % 16 == 5 and retries == _FIRST_ATTEMPT_RETRIES


def expected_outcome(variables: Mapping[str, Any]) -> Outcome:
    """Where an order must end, from the variables it was started with."""
    if not in_stock(variables["items"]):
        return "back-ordered"
    if payment_declined(variables["card"]):
        return "payment-declined"
    return "shipped"
