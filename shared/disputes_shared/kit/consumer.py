"""Consuming contract events: validated, each handled once, the bad ones parked with the reason."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from kombu import Connection, Consumer, Queue
from kombu.message import Message

from ..contract.agencies import Agency
from ..contract.envelope import COMPRESSED_BODY, Envelope, decode_or_reason
from .broker import ConfirmedPublisher, inbox, inbox_shards, park, require_queue

log = logging.getLogger(__name__)


class SeenEvents(Protocol):
    """Which events a consumer has handled. A store that records the event id in the same
    transaction as the handler's own effect makes handling exactly-once; any other store makes
    a crash between the two re-handle that one event."""

    def seen(self, consumer: str, event_id: str) -> bool: ...

    def remember(self, consumer: str, event_id: str) -> None: ...


class MemorySeenEvents:
    """For tests and for handlers that are idempotent anyway: forgotten on restart."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def seen(self, consumer: str, event_id: str) -> bool:
        return (consumer, event_id) in self._seen

    def remember(self, consumer: str, event_id: str) -> None:
        self._seen.add((consumer, event_id))


class SqliteSeenEvents:
    """Kept in a SQLite file, so duplicates are recognised across restarts."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS seen_events (consumer TEXT NOT NULL, "
                             "event_id TEXT NOT NULL, PRIMARY KEY (consumer, event_id))")

    def seen(self, consumer: str, event_id: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM seen_events WHERE consumer = ? AND event_id = ?",
                                   (consumer, event_id)).fetchone()
        return row is not None

    def remember(self, consumer: str, event_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR IGNORE INTO seen_events VALUES (?, ?)", (consumer, event_id))

    def close(self) -> None:
        self._db.close()


Handler = Callable[[Envelope], None]


class CompressedBody(ValueError):
    """A message names a ``compression`` (see ``PlainConsumer``)."""


class PlainConsumer(Consumer):
    """kombu's consumer, except that it never inflates a body. kombu undoes whatever
    ``compression`` a message's headers name before anyone sees the message, and a small body
    can inflate to gigabytes; the platform compresses nothing, so such a message goes to
    ``on_decode_error`` as it came, its header kept as ``x-compression``."""

    def _receive_callback(self, message: Any) -> Any:
        headers = message.properties.get("application_headers") or {}
        if "compression" not in headers:
            return super()._receive_callback(message)
        headers["x-compression"] = headers.pop("compression")
        if self.on_decode_error is None or self.channel is None:
            raise CompressedBody(COMPRESSED_BODY)
        return self.on_decode_error(self.channel.message_to_python(message), CompressedBody())


class EventSubscriber:
    """Consumes one agency's queue (by default the one the contract declares for it) and calls
    ``handler`` with each valid ``Envelope``, once per event id.

    A message that is not a valid event (not JSON, bad envelope, unknown type or major, invalid
    payload), or whose handler raised, is parked on the dead-letter queue with the reason and
    then acknowledged; if parking fails it is left for the broker to deliver again.
    """

    def __init__(self, amqp_uri: str, agency: Agency | str, handler: Handler,
                 seen: SeenEvents | None = None, queue: Queue | None = None,
                 prefetch: int = 10) -> None:
        self.amqp_uri = amqp_uri
        self.agency = Agency(agency)
        self.handler = handler
        self.seen = seen if seen is not None else MemorySeenEvents()
        # An outside agency's one inbox; a platform service's shards (a replica of it, or a test).
        self.queues = [queue] if queue else inbox(self.agency, inbox_shards(), declare=False)
        self.prefetch = prefetch
        self.counts = {"handled": 0, "duplicate": 0, "parked": 0}
        self._connection: Connection | None = None
        self._parker = ConfirmedPublisher(amqp_uri)
        self._running = False

    @property
    def name(self) -> str:
        return str(self.agency)

    def _consumer(self) -> Connection:
        if self._connection is None:
            connection = Connection(self.amqp_uri)
            connection.ensure_connection(max_retries=3)
            for queue in self.queues:
                if getattr(queue, "no_declare", False):  # the set-up's queue: not ours to declare
                    require_queue(connection, queue.name)
            consumer = PlainConsumer(connection.default_channel, queues=self.queues,
                                on_message=self._on_message,
                                on_decode_error=lambda message, exc: self._park(
                                    message, COMPRESSED_BODY))
            consumer.qos(prefetch_count=self.prefetch)
            consumer.consume()
            self._connection = connection
        return self._connection

    def drain(self, seconds: float) -> dict[str, int]:
        """Handle what arrives for up to ``seconds``; the counts so far."""
        connection = self._consumer()
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                connection.drain_events(timeout=min(left, 1.0))
            except TimeoutError:
                continue
        return dict(self.counts)

    def run(self) -> None:
        """Handle messages until ``stop`` is called (from another thread or a handler)."""
        self._running = True
        while self._running:
            self.drain(1.0)

    def stop(self) -> None:
        self._running = False

    def _on_message(self, message: Message) -> None:
        envelope, reason = decode_or_reason(message.body, message.properties.get("user_id"))
        if envelope is None:
            self._park(message, reason)
            return
        if self.seen.seen(self.name, envelope.event_id):
            self.counts["duplicate"] += 1
            message.ack()
            return
        try:
            self.handler(envelope)
        except Exception as exc:
            log.exception("handler failed on %s %s", envelope.event_type, envelope.event_id)
            self._park(message, f"{type(exc).__name__}: {exc}")
            return
        self.seen.remember(self.name, envelope.event_id)
        self.counts["handled"] += 1
        message.ack()

    def _park(self, message: Message, reason: str) -> None:
        try:
            park(self._parker, message, self.name, reason)
        except Exception:
            log.exception("could not park a message; leaving it to be delivered again")
            message.requeue()
            return
        log.warning("parked a message: %s", reason)
        self.counts["parked"] += 1
        message.ack()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.release()
        self._parker.close()

    def __enter__(self) -> EventSubscriber:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
