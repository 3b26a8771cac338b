"""The broker side of the contract, with kombu alone: topology, confirmed publishing, parking.

Used by the platform's services and by outside agency systems through the kit alike, so both
declare the same exchanges and queues and publish the same way.
"""

from __future__ import annotations

import logging
import os
import threading
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


class ConfirmedPublisher:
    """Publishes persistent, mandatory messages and returns only once the broker confirmed them.

    One connection per publisher; a lock keeps greenthreads from interleaving on its channel.
    """

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._returned: set[str] = set()

    def _ensure(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True})
            connection.ensure_connection(max_retries=3)
            declare_topology(connection)
            self._connection = connection
            self._producer = Producer(connection.default_channel, on_return=self._on_return)
        return self._producer

    def _on_return(self, exception: Any, exchange: str, routing_key: str, message: Any) -> None:
        message_id = message.properties.get("message_id")
        if message_id:
            self._returned.add(message_id)

    def publish(self, body: str | bytes, exchange: str, routing_key: str, message_id: str,
                headers: dict[str, Any] | None = None,
                content_type: str = "application/json", app_id: str | None = None) -> None:
        """``app_id``: the agency publishing, so a message it cannot get right is still its own."""
        with self._lock:
            try:
                producer = self._ensure()
                producer.publish(
                    body, exchange=exchange, routing_key=routing_key, mandatory=True,
                    delivery_mode=2, content_type=content_type, content_encoding="utf-8",
                    message_id=message_id, headers=headers or {},
                    **({"app_id": app_id} if app_id else {}),
                )
            except Exception:
                self.close()  # reconnect on the next publish
                raise
            if message_id in self._returned:
                self._returned.discard(message_id)
                raise Unroutable(f"no queue bound for {exchange} {routing_key}")

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
