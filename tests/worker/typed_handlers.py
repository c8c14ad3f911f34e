"""Module-level handlers with typed parameters: picklable, for every strategy, sync and async."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import os
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

import attrs
from pydantic import BaseModel, Field

from camunda_worker import JobContext, JobError, JobFailure, JobLogger, Variable


class Item(BaseModel):
    sku: str
    price: decimal.Decimal


class Address(BaseModel):
    city: str


class Speed(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


class Order(BaseModel):
    order_id: str = Field(alias="orderId")
    total: decimal.Decimal


class Stock:
    """A picklable dependency (a stand-in for a pool)."""

    def __init__(self, left: int) -> None:
        self.left = left


class CardDeclined(Exception):
    pass


class ExpiredCard(CardDeclined):
    pass


def ship(
    order_id: Annotated[str, Variable("orderId")],
    weight_kg: float,
    items: list[Item],
    ship_at: datetime.datetime,
    mode: Literal["air", "sea"],
    speed: Speed,
    address: Annotated[Address, Variable()],
    order: Order,
    job: JobContext,
    log: JobLogger,
    custom_headers: Mapping[str, str],
    stock: Stock,
    note: str = "none",
) -> dict[str, Any]:
    log.info("shipping")
    return {
        "orderId": order_id,
        "weight": weight_kg * 2,
        "firstPrice": str(items[0].price + decimal.Decimal("0.01")),
        "year": ship_at.year,
        "mode": mode,
        "speed": speed.value,
        "city": address.city,
        "orderTotal": str(order.total),
        "jobKey": job.job_key,
        "fetched": sorted(job.variables),
        "header": custom_headers.get("region"),
        "stock": stock.left,
        "note": note,
        "pid": os.getpid(),
    }


async def ship_async(
    order_id: Annotated[str, Variable("orderId")],
    weight_kg: float,
    items: list[Item],
    ship_at: datetime.datetime,
    mode: Literal["air", "sea"],
    speed: Speed,
    address: Annotated[Address, Variable()],
    order: Order,
    job: JobContext,
    log: JobLogger,
    custom_headers: Mapping[str, str],
    stock: Stock,
    note: str = "none",
) -> dict[str, Any]:
    return ship(
        order_id,
        weight_kg,
        items,
        ship_at,
        mode,
        speed,
        address,
        order,
        job,
        log,
        custom_headers,
        stock,
        note,
    )


SHIP_VARIABLES = {
    "orderId": "A-1",
    "weight_kg": "2.5",
    "items": [{"sku": "x", "price": "1.10"}],
    "ship_at": "2026-03-01T10:00:00Z",
    "mode": "air",
    "speed": "fast",
    "address": {"city": "Lyon"},
    "total": "9.90",
    "unrelated": "not fetched",
}


def needs_count(count: int) -> dict[str, Any]:
    return {"doubled": count * 2}


async def needs_count_async(count: int) -> dict[str, Any]:
    return {"doubled": count * 2}


@dataclasses.dataclass
class Shipped:
    when: datetime.datetime
    cost: decimal.Decimal
    speed: Speed


@attrs.define
class Parcel:
    label: str
    address: Address


class Receipt(BaseModel):
    receipt_id: str = Field(alias="receiptId")
    when: datetime.datetime


def results_for(kind: str) -> Any:
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    if kind == "dataclass":
        return Shipped(when=when, cost=decimal.Decimal("1.50"), speed=Speed.SLOW)
    if kind == "attrs":
        return Parcel(label="p1", address=Address(city="Oslo"))
    return Receipt(receiptId="R-1", when=when)


def return_kind(kind: str) -> Any:
    return results_for(kind)


async def return_kind_async(kind: str) -> Any:
    return results_for(kind)


def error_with_record(kind: str) -> None:
    raise JobError("NO_STOCK", "none left", variables=results_for(kind))


async def error_with_record_async(kind: str) -> None:
    error_with_record(kind)


def charge(card: str) -> None:
    if card == "expired":
        raise ExpiredCard("card expired")
    if card == "declined":
        raise CardDeclined("declined by the bank")
    if card == "retry":
        raise JobFailure("explicit", retries=7, retry_back_off=60_000)
    raise ValueError(f"unknown card kind {card!r}")


async def charge_async(card: str) -> None:
    charge(card)


def on_error(error: Exception, job: Any) -> JobError | JobFailure | None:
    if "weird" in str(error):
        return JobError("WEIRD", f"{type(error).__name__} for {job.job_key}")
    return None


def stamp(job: Any, call_next: Callable[[], Any]) -> Any:
    try:
        result = call_next()
    except CardDeclined as error:
        return {"rescued": str(error)}
    return {**(result or {}), "stamps": [*(result or {}).get("stamps", []), "outer"]}


def inner_stamp(job: Any, call_next: Callable[[], Any]) -> Any:
    result = call_next()
    return {**(result or {}), "stamps": [*(result or {}).get("stamps", []), "inner"]}


async def stamp_async(job: Any, call_next: Callable[[], Any]) -> Any:
    try:
        result = await call_next()
    except CardDeclined as error:
        return {"rescued": str(error)}
    return {**(result or {}), "stamps": [*(result or {}).get("stamps", []), "outer"]}


async def inner_stamp_async(job: Any, call_next: Callable[[], Any]) -> Any:
    result = await call_next()
    return {**(result or {}), "stamps": [*(result or {}).get("stamps", []), "inner"]}


SYNC_AND_ASYNC = {
    "ship": (ship, ship_async),
    "needs_count": (needs_count, needs_count_async),
    "return_kind": (return_kind, return_kind_async),
    "error_with_record": (error_with_record, error_with_record_async),
    "charge": (charge, charge_async),
    "stamp": (stamp, stamp_async),
    "inner_stamp": (inner_stamp, inner_stamp_async),
}


def pick(name: str, kind: str) -> Any:
    sync, async_ = SYNC_AND_ASYNC[name]
    return async_ if kind == "async" else sync


def current_trace() -> dict[str, str]:
    """The trace and span ids current while the handler runs (in whatever process it runs)."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }
