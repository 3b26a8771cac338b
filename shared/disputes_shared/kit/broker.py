"""The broker side of the contract, with kombu alone: topology, confirmed publishing, parking.

Used by the platform's services and by outside agency systems through the kit alike, so both
declare the same exchanges and queues and publish the same way.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kombu import Connection, Exchange, Producer, Queue, binding
from kombu.message import Message

from ..contract.agencies import Agency
from ..contract.routing import (
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    DOSSIERS_EXCHANGE,
    EVENTS_EXCHANGE,
    SUBSCRIPTIONS,
    queue_name,
)

log = logging.getLogger(__name__)

QUORUM = {"x-queue-type": "quorum"}


def amqp_uri() -> str:
    """``DISPUTES_AMQP_URI``, else the local broker."""
    return os.environ.get("DISPUTES_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
EXCHANGES = {
    EVENTS_EXCHANGE: Exchange(EVENTS_EXCHANGE, type="topic", durable=True),
    DOSSIERS_EXCHANGE: Exchange(DOSSIERS_EXCHANGE, type="topic", durable=True),
    DEAD_LETTER_EXCHANGE: Exchange(DEAD_LETTER_EXCHANGE, type="fanout", durable=True),
}
DEAD_LETTERS = Queue(DEAD_LETTER_QUEUE, EXCHANGES[DEAD_LETTER_EXCHANGE], durable=True,
                     queue_arguments=QUORUM)


def agency_queue(agency: Agency) -> Queue:
    """The one inbound queue of an agency's service, bound as the contract says."""
    return Queue(
        queue_name(agency),
        bindings=[binding(EXCHANGES[b.exchange], routing_key=b.routing_key)
                  for b in SUBSCRIPTIONS[agency]],
        durable=True,
        queue_arguments=QUORUM,
    )


def declare_topology(connection: Connection) -> None:
    """Declare every exchange and queue of the platform, so no event finds its queue missing
    because the service that consumes it has not started yet."""
    channel = connection.default_channel
    for exchange in EXCHANGES.values():
        exchange(channel).declare()
    DEAD_LETTERS(channel).declare()
    for agency in SUBSCRIPTIONS:
        agency_queue(agency)(channel).declare()


class Unroutable(RuntimeError):
    """The broker returned a mandatory message: no queue is bound for it."""


class Refused(RuntimeError):
    """The broker nacked a message: it did not take responsibility for it."""


@dataclass(frozen=True)
class Outgoing:
    """One message to publish, persistent and mandatory."""

    body: str | bytes
    exchange: str
    routing_key: str
    message_id: str
    headers: dict[str, Any] | None = None
    content_type: str = "application/json"
    app_id: str | None = None  # the agency publishing, so a message it got wrong is still its own


class ConfirmedPublisher:
    """Publishes persistent, mandatory messages and returns only once the broker confirmed them.

    ``publish_many`` pipelines a batch: it publishes every message, then waits for all the
    confirms at once (a round trip per batch, not per message) and says which were confirmed.
    One connection per publisher; a lock keeps greenthreads from interleaving on its channel.
    """

    def __init__(self, amqp_uri: str, confirm_timeout: float = 30.0) -> None:
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._next_tag = 1
        self._unsettled: set[int] = set()
        self._nacked: set[int] = set()
        self._returned: set[str] = set()

    def _ensure(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri)
            connection.ensure_connection(max_retries=3)
            declare_topology(connection)
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._connection, self._next_tag = connection, 1
            self._unsettled, self._nacked, self._returned = set(), set(), set()
            self._producer = Producer(channel, on_return=self._on_return)
        return self._producer

    def _settle(self, delivery_tag: int, multiple: bool) -> set[int]:
        settled = {t for t in self._unsettled if t <= delivery_tag} if multiple else {delivery_tag}
        self._unsettled -= settled
        return settled

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked |= self._settle(delivery_tag, multiple)

    def _on_return(self, exception: Any, exchange: str, routing_key: str, message: Any) -> None:
        # The broker sends basic.return before the confirm of the same message.
        message_id = message.properties.get("message_id")
        if message_id:
            self._returned.add(message_id)

    def publish_many(self, messages: list[Outgoing]) -> list[Exception | None]:
        """Publish every message, then wait for every confirm; per message, None when the broker
        confirmed and routed it, else why not (``Unroutable``, ``Refused``). Raises when the
        connection fails or the confirms do not come in time: then nothing is known confirmed."""
        with self._lock:
            try:
                producer = self._ensure()
                tags = []
                for m in messages:
                    producer.publish(
                        m.body, exchange=m.exchange, routing_key=m.routing_key, mandatory=True,
                        delivery_mode=2, content_type=m.content_type, content_encoding="utf-8",
                        message_id=m.message_id, headers=m.headers or {},
                        **({"app_id": m.app_id} if m.app_id else {}),
                    )
                    tags.append(self._next_tag)
                    self._unsettled.add(self._next_tag)
                    self._next_tag += 1
                self._await_confirms(set(tags))
            except Exception:
                self.close()  # reconnect on the next publish
                raise
            outcomes: list[Exception | None] = []
            for m, tag in zip(messages, tags, strict=True):
                if tag in self._nacked:
                    outcomes.append(Refused(f"the broker nacked {m.message_id}"))
                elif m.message_id in self._returned:
                    outcomes.append(Unroutable(f"no queue bound for {m.exchange} {m.routing_key}"))
                else:
                    outcomes.append(None)
            self._nacked -= set(tags)
            self._returned -= {m.message_id for m in messages}
            return outcomes

    def _await_confirms(self, tags: set[int]) -> None:
        assert self._connection is not None
        deadline = time.monotonic() + self.confirm_timeout
        while self._unsettled & tags:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self._unsettled & tags)} publisher confirms not received")
            try:
                self._connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue

    def publish(self, body: str | bytes, exchange: str, routing_key: str, message_id: str,
                headers: dict[str, Any] | None = None,
                content_type: str = "application/json", app_id: str | None = None) -> None:
        """Publish one message; raise unless the broker confirmed and routed it."""
        (outcome,) = self.publish_many([Outgoing(body, exchange, routing_key, message_id, headers,
                                                 content_type, app_id)])
        if outcome is not None:
            raise outcome

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # the connection is being dropped either way
                log.debug("error closing publisher connection", exc_info=True)


def park(publisher: ConfirmedPublisher, message: Message, parked_by: str, reason: str) -> None:
    """Put a message we cannot handle on the dead-letter queue, with why and where from."""
    delivery = message.delivery_info or {}
    headers = dict(message.headers or {})
    headers.update({
        "x-parked-reason": reason[:2000],
        "x-parked-by": parked_by,
        "x-parked-at": datetime.now(UTC).isoformat(),
        "x-original-exchange": delivery.get("exchange", ""),
        "x-original-routing-key": delivery.get("routing_key", ""),
    })
    message_id = message.properties.get("message_id") or f"parked-{id(message)}"
    publisher.publish(message.body, DEAD_LETTER_EXCHANGE, "", message_id=str(message_id),
                      headers=headers, content_type=message.content_type or "application/data")
