"""The services' event consumer on nameko, with dead-lettering (topology, confirmed publishing
and parking themselves are in ``kit.broker``, shared with outside agency systems).

nameko's own consumer acks and drops a message whose handler raised, and crashes its consumer
thread on a body it cannot decode. ``consume_events`` keeps neither behaviour: a message that
cannot be handled is parked on the dead-letter queue with the reason, then acked.
"""

from __future__ import annotations

import logging
import time
import traceback
from functools import partial
from typing import Any

from kombu import Connection
from kombu.message import Message
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer
from sqlalchemy.exc import DBAPIError, OperationalError

from ..contract.agencies import Agency
from ..contract.events import PoisonMessage, decode
from ..contract.routing import DEAD_LETTER_QUEUE
from ..kit.broker import ConfirmedPublisher, agency_queue, declare_topology, park
from .metrics import MetricsRegistry

log = logging.getLogger(__name__)

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


class RawQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that kombu does not decode the body: a body it could not
    decode would kill the consumer thread. The contract decodes and validates it instead."""

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
    """

    queue_consumer = RawQueueConsumer()
    metrics_registry = MetricsRegistry()

    def __init__(self, agency: Agency | None = None, **kwargs: Any) -> None:
        """``agency`` defaults to the one whose service this is."""
        self.agency = Agency(agency) if agency else None
        super().__init__(queue=None, **kwargs)
        self._publisher: ConfirmedPublisher | None = None

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
        self._attempt(envelope, message, attempt=1)

    def _attempt(self, envelope: Any, message: Message, attempt: int) -> None:
        try:
            self.container.spawn_worker(
                self, (envelope,), {}, context_data=self.unpack_message_headers(message),
                handle_result=partial(self._handled, message, envelope, attempt))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _handled(self, message: Message, envelope: Any, attempt: int, worker_ctx: Any,
                 result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
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
        return result, exc_info

    def _retry_later(self, envelope: Any, message: Message, attempt: int, delay: float) -> None:
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
