"""Checked by ``mypy --strict`` (tests/test_handler_typing.py): decorated handlers keep their types."""

from __future__ import annotations

import decimal
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from pydantic import BaseModel
from typing_extensions import assert_type

from camunda_worker import (
    ExponentialBackoff,
    JobContext,
    JobWorker,
    TaskRegistry,
    Variable,
    WorkerConfig,
    task,
)

registry = TaskRegistry()


class Order(BaseModel):
    total: decimal.Decimal


class CardDeclined(Exception):
    pass


def audit(job: JobContext, call_next: Callable[[], Any]) -> Any:
    return call_next()


@task(
    "ship",
    bpmn_errors={CardDeclined: "CARD_DECLINED"},
    retry_back_off=ExponentialBackoff(initial=1000, maximum=60_000),
    middleware=[audit],
    dependencies={"rate": decimal.Decimal("1.2")},
)
def ship(
    order_id: Annotated[str, Variable("orderId")], weight_kg: float, order: Order
) -> dict[str, str]:
    return {"orderId": order_id}


@registry.task("charge", invalid_variables="retry")
async def charge(amount: decimal.Decimal, job: JobContext) -> None:
    return None


ship_type: Callable[[str, float, Order], dict[str, str]] = ship
charge_type: Callable[[decimal.Decimal, JobContext], Coroutine[Any, Any, None]] = charge
assert_type(ship("A-1", 2.5, Order(total=decimal.Decimal(1))), dict[str, str])
# Were the decorated function Any, these ignores would be unused: an error under --strict.
ship(1, 2.5, Order(total=decimal.Decimal(1)))  # type: ignore[arg-type]
charge("ten", None).close()  # type: ignore[arg-type]

worker = JobWorker(ship, WorkerConfig("ship"), dependencies={"rate": decimal.Decimal(1)})
