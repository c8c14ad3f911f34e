"""The demo's job handlers: one per job type, on each execution strategy.

``registry`` holds them (``camunda-worker run camunda_worker.demo.handlers`` runs them against
any cluster that has the demo process deployed). The handlers simulate their work with short
waits and a little CPU, enough to show each strategy doing what it is for:

- ``demo-check-stock`` (async): an I/O-bound call, awaited on the event loop;
- ``demo-charge-payment`` (thread): a blocking client call, in a thread; it throws the BPMN
  error ``PAYMENT_DECLINED`` for declined cards, and fails once when the gateway times out (the
  job is retried);
- ``demo-create-invoice`` (process): CPU-bound hashing, in a child process;
- ``demo-notify-customer`` (async): the message named by the task's ``template`` header.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import Any

from camunda_worker.demo._rules import gateway_times_out, in_stock, payment_declined
from camunda_worker.worker import AsyncJobContext, JobContext, JobError, SyncJobContext
from camunda_worker.worker._registry import TaskRegistry

__all__ = ["charge_payment", "check_stock", "create_invoice", "notify_customer", "registry"]

registry = TaskRegistry()
"""The demo's tasks (a registry of its own: importing the demo registers nothing globally)."""

_INVOICE_ROUNDS = 4_000


@registry.task("demo-check-stock", strategy="async")
async def check_stock(job: AsyncJobContext) -> dict[str, Any]:
    """Price the order and ask the warehouse whether every article is in stock."""
    items = job.variables["items"]
    await asyncio.sleep(0.002)  # the warehouse service answers
    total = round(sum(item["price"] * item["quantity"] for item in items), 2)
    return {"total": total, "inStock": in_stock(items)}


@registry.task("demo-charge-payment", strategy="thread", max_concurrent_jobs=16)
def charge_payment(job: SyncJobContext) -> dict[str, Any]:
    """Charge the card through a (simulated) blocking payment gateway client."""
    order = job.variables
    time.sleep(0.005)  # a blocking HTTP call to the payment gateway
    if gateway_times_out(order["orderNumber"], job.retries):
        raise TimeoutError("the payment gateway did not answer in time")
    if payment_declined(order["card"]):
        raise JobError("PAYMENT_DECLINED", f"card ending {order['card'][-4:]} was declined")
    return {"paymentId": f"PAY-{order['orderNumber']:06d}"}


@registry.task("demo-create-invoice", strategy="process")
def create_invoice(job: JobContext) -> dict[str, Any]:
    """Render and sign the invoice: CPU-bound, so it runs in a child process."""
    document = json.dumps(job.variables, sort_keys=True).encode()
    digest = hashlib.sha256(document).digest()
    for _ in range(_INVOICE_ROUNDS):
        digest = hashlib.sha256(digest + document).digest()
    return {"invoiceNumber": "INV-" + digest.hex()[:12].upper(), "outcome": "shipped"}


@registry.task("demo-notify-customer", strategy="async")
async def notify_customer(job: AsyncJobContext) -> dict[str, Any]:
    """Tell the customer what happened, with the message the task's header names."""
    template = job.custom_headers.get("template", "back-ordered")
    await asyncio.sleep(0.001)  # the mail service answers
    return {"outcome": template, "customerNotified": True}
