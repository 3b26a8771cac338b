"""Broker plumbing: topology, confirmed publishing, the event consumer and dead-lettering.

nameko's own consumer acks and drops a message whose handler raised, and crashes its consumer
thread on a body it cannot decode. ``consume_events`` keeps neither behaviour: a message that
cannot be handled is parked on the dead-letter queue with the reason, then acked.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu import Connection, Exchange, Producer, Queue, binding
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.message import Message
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer
from nameko.rpc import Rpc, RpcConsumer
from sqlalchemy.exc import DBAPIError, OperationalError

from ..contract.agencies import Agency
from ..contract.events import Envelope, PoisonMessage, decode
from ..contract.routing import (
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    DOSSIERS_EXCHANGE,
    EVENTS_EXCHANGE,
    SUBSCRIPTIONS,
    queue_name,
)
from .metrics import MetricsRegistry
from .ordering import CaseLanes

log = logging.getLogger(__name__)

QUORUM = {"x-queue-type": "quorum"}
# Seconds between attempts at an event whose handler failed for a passing reason; after the
# last, the message is parked like any other it cannot handle.
DEFAULT_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)


def is_transient(exc: BaseException) -> bool:
    """A failure that may pass by itself: the database locked or away, a connection lost."""
    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))
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
                content_type: str = "application/json") -> None:
        """Publish one message; raise unless the broker confirmed and routed it."""
        (outcome,) = self.publish_many([Outgoing(body, exchange, routing_key, message_id, headers,
                                                 content_type)])
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


class SettlingQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that acking or requeueing a message on a connection that
    has just died is not an error. nameko catches only amqp's own ``ConnectionError``; a reset
    socket raised from a worker would stop the whole service. The broker has taken the message
    back already and redelivers it, and the inbox drops what was applied."""

    def ack_message(self, message: Message) -> None:
        try:
            super().ack_message(message)
        except OSError as exc:
            log.warning("could not ack (connection lost: %s); the broker redelivers", exc)

    def requeue_message(self, message: Message) -> None:
        try:
            super().requeue_message(message)
        except OSError as exc:
            log.warning("could not requeue (connection lost: %s); the broker redelivers", exc)


class RawQueueConsumer(SettlingQueueConsumer):
    """The queue consumer of events, except that kombu does not decode the body: a body it could
    not decode would kill the consumer thread. The contract decodes and validates it instead."""

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue],
                on_message=partial(self.handle_message, provider, None),
            )
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()


class EventConsumer(Consumer):
    """Consumes the agency's inbound queue and calls the method with a validated ``Envelope``.

    Invalid messages never reach the method; a method that raises has its message parked.
    A case's events are handled one at a time in delivery order (see ``ordering``).
    """

    queue_consumer = RawQueueConsumer()
    metrics_registry = MetricsRegistry()

    def __init__(self, agency: Agency | None = None, **kwargs: Any) -> None:
        """``agency`` defaults to the one whose service this is."""
        self.agency = Agency(agency) if agency else None
        super().__init__(queue=None, **kwargs)
        self._publisher: ConfirmedPublisher | None = None
        self._lanes: CaseLanes[tuple[Envelope, Message]] = CaseLanes()

    def setup(self) -> None:
        from .config import agency_of_service

        self.agency = self.agency or agency_of_service(self.container.service_name)
        self.queue = agency_queue(self.agency)
        with Connection(self.container.config["AMQP_URI"]) as connection:
            declare_topology(connection)  # every queue exists before anyone publishes
        self._publisher = ConfirmedPublisher(self.container.config["AMQP_URI"])
        super().setup()

    def stop(self) -> None:
        super().stop()
        if self._publisher is not None:
            self._publisher.close()

    def handle_message(self, body: Any, message: Message) -> None:
        try:
            envelope = decode(message.body)
        except PoisonMessage as exc:
            self.park_and_ack(message, str(exc))
            return
        if self._lanes.admit(envelope.case_id, (envelope, message)):
            self._attempt(envelope, message, attempt=1)

    def _attempt(self, envelope: Envelope, message: Message, attempt: int) -> None:
        try:
            self.container.spawn_worker(
                self, (envelope,), {}, context_data=self.unpack_message_headers(message),
                handle_result=partial(self._handled, message, envelope, attempt))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)
            self._next_of_case(envelope)

    def _next_of_case(self, envelope: Envelope) -> None:
        """The delivery is settled: start the next one of its case, in a thread of its own so
        that this worker frees its slot first."""
        following = self._lanes.finish(envelope.case_id)
        if following is not None:
            self.container.spawn_managed_thread(partial(self._attempt, *following, attempt=1))

    def _handled(self, message: Message, envelope: Envelope, attempt: int, worker_ctx: Any,
                 result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            self._next_of_case(envelope)
            return result, exc_info
        exc_type, exc, tb = exc_info
        delays = self.container.config.get("EVENT_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)
        if is_transient(exc) and attempt <= len(delays):
            # The database or the broker is briefly away: try again later, still holding the
            # message unacknowledged (a restart in the meantime gets it redelivered).
            log.warning("transient failure on attempt %d (%s); retrying in %ss",
                        attempt, exc, delays[attempt - 1])
            self.container.spawn_managed_thread(
                partial(self._retry_later, envelope, message, attempt, delays[attempt - 1]))
            return result, exc_info
        reason = f"{exc_type.__name__}: {exc}"
        if attempt > 1:
            reason += f" (after {attempt} attempts)"
        if not isinstance(exc, PoisonMessage):
            log.error("handler failed on %s: %s", message.delivery_info.get("routing_key"),
                      "".join(traceback.format_exception(exc_type, exc, tb)))
        self.park_and_ack(message, reason)
        self._next_of_case(envelope)
        return result, exc_info

    def _retry_later(self, envelope: Envelope, message: Message, attempt: int, delay: float) -> None:
        time.sleep(delay)
        self._attempt(envelope, message, attempt + 1)

    def park_and_ack(self, message: Message, reason: str) -> None:
        assert self._publisher is not None
        try:
            park(self._publisher, message, str(self.agency), reason)
        except Exception:
            # Not parked, so not acked: the broker redelivers it rather than lose it.
            log.exception("could not park a message; leaving it to be redelivered")
            self.queue_consumer.requeue_message(message)
            return
        log.warning("parked a message on %s: %s", DEAD_LETTER_QUEUE, reason)
        self.metrics_registry.metrics.dead_lettered.labels(str(self.agency)).inc()
        self.queue_consumer.ack_message(message)


consume_events = EventConsumer.decorator


class SettlingRpcConsumer(RpcConsumer):
    """nameko's RPC consumer on a ``SettlingQueueConsumer``; a reply that cannot be sent because
    the broker went away is logged, not raised (raising would stop the service). The request,
    not acked, is redelivered; staff commands are refused by the case's transition table when
    run again on a case that has already moved, so none takes effect twice."""

    queue_consumer = SettlingQueueConsumer()

    def handle_result(self, message: Message, result: Any, exc_info: Any) -> tuple[Any, Any]:
        try:
            return super().handle_result(message, result, exc_info)
        except (OSError, AMQPConnectionError, KombuOperationalError) as exc:
            log.warning("could not reply to an RPC request (%s); it will be redelivered", exc)
            return result, exc_info


class SettlingRpc(Rpc):
    rpc_consumer = SettlingRpcConsumer()


rpc = SettlingRpc.decorator
"""nameko's ``@rpc``, on consumers that survive the broker going away mid-request."""
