"""Message subscriptions and the buffer of published messages, as Zeebe correlates them.

- A **subscription** is opened when a message catch event, a receive task, or an activity with a
  message boundary event is entered (name and correlation key evaluated then), and closed when
  that element instance ends. A non-interrupting boundary event's subscription stays open and
  takes every matching message while its activity is active.
- A **published** message goes to the oldest open subscription of each process (by BPMN process
  id) with its name, correlation key and tenant; it starts an instance of each process with a
  message start event of that name, unless an instance started with the same correlation key
  is still active; with a time to live it is **buffered**, and a subscription opened before it
  expires takes it, unless the message already reached an instance of that process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

__all__ = ["BufferedMessage", "MessageState", "MessageSubscription"]


@attrs.define(slots=True, eq=False)
class MessageSubscription:
    """An open message subscription of an element instance.

    Attributes:
        key: the subscription key.
        name: the message name.
        correlation_key: the correlation key.
        tenant_id: the tenant.
        process_id: the BPMN process id of its process instance.
        process_instance_key: its process instance.
        element_key: the catch event's or receive task's element instance, or the activity a
            boundary event is attached to.
        node_id: the catching element's id (the event or receive task).
    """

    key: int
    name: str
    correlation_key: str
    tenant_id: str
    process_id: str
    process_instance_key: int
    element_key: int
    node_id: str


@attrs.define(slots=True, eq=False)
class BufferedMessage:
    """A published message kept until its time to live passes.

    Attributes:
        key: the message key.
        name: the message name.
        correlation_key: the correlation key.
        tenant_id: the tenant.
        variables: its variables.
        expires_ms: when it is dropped.
        correlated: the BPMN process ids it reached already (at most once per process).
    """

    key: int
    name: str
    correlation_key: str
    tenant_id: str
    variables: dict[str, Any]
    expires_ms: int
    correlated: set[str] = attrs.field(factory=set)


class MessageState:
    """Open subscriptions (by name, correlation key and tenant) and buffered messages."""

    def __init__(self) -> None:
        self._by_match: dict[tuple[str, str, str], list[MessageSubscription]] = {}
        self._by_element: dict[int, list[MessageSubscription]] = {}
        self.buffer: list[BufferedMessage] = []

    def open(self, subscription: MessageSubscription) -> None:
        """Open a subscription."""
        match = (subscription.tenant_id, subscription.name, subscription.correlation_key)
        self._by_match.setdefault(match, []).append(subscription)
        self._by_element.setdefault(subscription.element_key, []).append(subscription)

    def close_element(self, element_key: int) -> None:
        """Close the subscriptions of an element instance that ended."""
        subscriptions = self._by_element.pop(element_key, None)
        if not subscriptions:
            return
        for subscription in subscriptions:
            match = (subscription.tenant_id, subscription.name, subscription.correlation_key)
            waiting = self._by_match.get(match)
            if waiting and subscription in waiting:
                waiting.remove(subscription)
                if not waiting:
                    del self._by_match[match]

    def close_nodes(self, element_key: int, node_ids: list[str]) -> None:
        """Close the subscriptions of some events of an element instance (by the events' ids)."""
        subscriptions = self._by_element.get(element_key)
        if not subscriptions:
            return
        kept = [
            subscription for subscription in subscriptions if subscription.node_id not in node_ids
        ]
        for subscription in subscriptions:
            if subscription.node_id in node_ids:
                match = (subscription.tenant_id, subscription.name, subscription.correlation_key)
                waiting = self._by_match.get(match)
                if waiting and subscription in waiting:
                    waiting.remove(subscription)
                    if not waiting:
                        del self._by_match[match]
        if kept:
            self._by_element[element_key] = kept
        else:
            del self._by_element[element_key]

    def matching(
        self, tenant_id: str, name: str, correlation_key: str
    ) -> list[MessageSubscription]:
        """The open subscriptions for a message, oldest first."""
        return list(self._by_match.get((tenant_id, name, correlation_key), ()))

    def buffered_for(
        self, subscription: MessageSubscription, now_ms: int
    ) -> BufferedMessage | None:
        """The oldest live buffered message a new subscription takes, if any."""
        self.expire(now_ms)
        for message in self.buffer:
            if (
                message.tenant_id == subscription.tenant_id
                and message.name == subscription.name
                and message.correlation_key == subscription.correlation_key
                and subscription.process_id not in message.correlated
            ):
                return message
        return None

    def expire(self, now_ms: int) -> None:
        """Drop buffered messages whose time to live passed."""
        if self.buffer and any(message.expires_ms <= now_ms for message in self.buffer):
            self.buffer = [message for message in self.buffer if message.expires_ms > now_ms]

    def subscriptions(self) -> Iterator[MessageSubscription]:
        """Every open subscription."""
        for subscriptions in self._by_element.values():
            yield from subscriptions

    def __len__(self) -> int:
        return sum(len(subscriptions) for subscriptions in self._by_element.values())
