"""The services' event consumer on nameko, with dead-lettering (topology, confirmed publishing
and parking themselves are in ``kit.broker``, shared with outside agency systems).

nameko's own consumer acks and drops a message whose handler raised, and crashes its consumer
thread on a body it cannot decode. ``consume_events`` keeps neither behaviour: a message that
cannot be handled is parked on the dead-letter queue with the reason, then acked. A message
carrying personal data is parked sealed (``parked_personal_data``), and parked so before its
handler runs once the broker is about to give up on it: the broker would park it as it was sent.
"""

from __future__ import annotations

import functools
import logging
import math
import socket
import sys
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu import Connection, serialization
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.message import Message
from kombu.pools import producers
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_RETRY_POLICY,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    PERSISTENT,
)
from nameko.exceptions import ContainerBeingKilled, UnserializableValueError
from nameko.exceptions import serialize as serialize_error
from nameko.messaging import Consumer, QueueConsumer
from nameko.rpc import RPC_QUEUE_TEMPLATE, Rpc, RpcConsumer, get_rpc_exchange
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..contract.agencies import Agency
from ..contract.envelope import COMPRESSED_BODY, Envelope, PoisonMessage, decode_or_reason
from ..contract.routing import (
    CASE_ID_HEADER,
    DEAD_LETTER_QUEUE,
    DELIVERY_LIMIT,
    HOLD_NO_CASES,
    REPLAYS_HEADER,
    case_sequence_of,
    near_delivery_limit,
)
from ..kit.broker import (
    ConfirmedPublisher,
    _close_quietly,
    first_sent_to,
    inbox,
    inbox_shards,
    park,
    require_inbox,
)
from ..kit.consumer import PlainConsumer
from .metrics import MetricsRegistry
from .ordering import CaseLanes
from .parked_personal_data import (
    ParkedDossierKeys,
    carries_personal_data,
    is_sealed,
    opened_after_replay,
    sealed_for_parking,
    withheld_for_parking,
)
from .personal_data import KeyManagement, PersonalDataError, key_management

log = logging.getLogger(__name__)

# Seconds between attempts at an event whose handler failed for a passing reason; after the
# last, the message is parked like any other it cannot handle. About five minutes in all: a
# database restarting or failing over takes tens of seconds, and parking every message in flight
# meanwhile would leave each case waiting for an operator's replay.
DEFAULT_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0) + (30.0,) * 9


# PostgreSQL's codes for failures that pass: serialization failure, deadlock, lock timeout,
# statement timeout (query canceled), idle-in-transaction timeout.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014", "25P03"})


@functools.cache
def _transient_postgres_errors() -> tuple[type[Exception], ...]:
    try:
        from psycopg2 import errors  # type: ignore[import-untyped]
    except ImportError:  # a deployment on SQLite alone
        return ()
    return tuple(errors.lookup(code) for code in sorted(TRANSIENT_SQLSTATES))


def is_transient(exc: BaseException) -> bool:
    """A failure that may pass by itself: the database locked or away, a connection lost, no
    connection free in the pool in time. PostgreSQL's lock and statement timeouts, serialization
    failures and deadlocks reach here as ``OperationalError`` (psycopg2 classes them so)."""
    if isinstance(exc, (OperationalError, PoolTimeout)):
        return True
    if isinstance(exc, DBAPIError) and (
            exc.connection_invalidated or isinstance(exc.orig, _transient_postgres_errors())):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


def failure_reason(exc: BaseException) -> str:
    """Why a handler failed, for a parked message's header: a database error by its class and
    the first line of the server's message, without the statement or the detail lines (the
    detail may quote a row's values; the parameters are hidden by the engine already)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        first_line = (str(exc.orig).strip().splitlines() or [""])[0]
        return f"{type(exc).__name__} ({type(exc.orig).__name__}): {first_line}"
    return f"{type(exc).__name__}: {exc}"


def failure_trace(exc: BaseException) -> str:
    """A failure for the log: its reason (``failure_reason``) and the frames it passed through,
    not the rest of its text (a database error's statement and detail lines, an exception chained
    from one), which may quote a dossier."""
    return f"{failure_reason(exc)}\n{''.join(traceback.format_tb(exc.__traceback__))}"


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


# How the replicas of a service share its inbox's shards (see ``RawQueueConsumer``): how often a
# replica compares the shards it applies with its share, and for how long after its last
# delivery a shard counts as one it applies.
SHARE_CHECK_SECONDS = 2.0
APPLYING_SECONDS = 10.0


def share_of_shards(shards: int, replicas: int) -> int:
    """How many of an inbox's shards one replica applies at most, the service running
    ``replicas`` replicas: its fair share, rounded up so that every shard has a replica."""
    return math.ceil(shards / max(1, replicas))


class HandedOut:
    """The delivery tags a channel handed out and not yet settled here, in order: a run of
    them acked together, from the oldest unsettled on, takes one ``basic.ack`` (``multiple``),
    which acks every tag up to its own. Tags settled out of run are acked one by one."""

    def __init__(self) -> None:
        self._tags: deque[int] = deque()
        self._settled: set[int] = set()  # settled, and a tag before them still unsettled

    def add(self, tag: int) -> None:
        self._tags.append(tag)

    def requeued(self, tag: int) -> None:
        self._settle({tag})

    def acked(self, tags: set[int]) -> tuple[int | None, set[int]]:
        """Acking ``tags``: the one to ack with ``multiple`` (None: none), and those to ack
        one by one (an earlier tag is still unsettled)."""
        return self._settle(tags), tags & self._settled

    def _settle(self, tags: set[int]) -> int | None:
        self._settled |= tags
        highest = None
        while self._tags and self._tags[0] in self._settled:
            tag = self._tags.popleft()
            self._settled.discard(tag)
            if tag in tags:
                highest = tag
        return highest


@dataclass
class Shard:
    """One shard of the inbox as this replica consumes it: on a channel of its own, so that it
    can be handed to another replica alone."""

    queue: Any
    provider: Any
    channel: Any
    last_delivery: float = -math.inf
    handing_over: bool = False


class RawQueueConsumer(SettlingQueueConsumer):
    """The queue consumer of events, except that kombu does not decode the body: a body it could
    not decode would kill the consumer thread. The contract decodes and validates it instead.

    It consumes every shard, each on its own channel, and lets a shard go by closing its channel,
    never by cancelling its consumer: a shard's next consumer (another replica) becomes active the
    moment this one is cancelled, while this one still holds deliveries unsettled, and would
    apply a case's later events before them. A closed channel hands every unsettled delivery back
    at once, in order, before the next consumer is activated; one that was running here is
    redelivered there and dropped by the inbox.

    Replicas share the shards: each consumes every shard (the broker makes one consumer per
    shard active, and the next on failover), and one that applies more than its share
    (``share_of_shards``; the replicas are the consumers of the service's RPC queue) hands a
    shard over: it starts none of the shard's deliveries, waits for those running to settle,
    closes the shard's channel and consumes the shard again, behind the replicas waiting.
    """

    _channel: Any = None
    _replica_probe: Any = None
    _next_share_check = 0.0

    def __init__(self) -> None:
        super().__init__()
        self._shards: dict[str, Shard] = {}
        self._shard_by_channel: dict[Any, Shard] = {}
        self._handed_out: dict[Any, HandedOut] = {}

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        self._channel = channel
        self._shards, self._shard_by_channel, self._handed_out = {}, {}, {}
        self._replica_probe = None
        for provider in self._providers:
            for queue in provider.queues:
                self._consume_shard(provider, queue)
            self._consumers[provider] = [queue.name for queue in provider.queues]
        return []  # each shard's consumer is on its own channel, consuming already

    def _consume_shard(self, provider: Any, queue: Any) -> None:
        channel = self._channel.connection.channel()
        consumer = PlainConsumer(
            channel, queues=[queue], on_decode_error=self.on_decode_error,
            on_message=partial(self.handle_message, provider, None),
        )
        consumer.qos(prefetch_count=self.prefetch_count)
        consumer.consume()
        shard = Shard(queue, provider, channel)
        self._shards[queue.name] = shard
        self._shard_by_channel[channel] = shard
        self._handed_out[channel] = HandedOut()

    def _close_shard(self, shard: Shard) -> None:
        self._shard_by_channel.pop(shard.channel, None)
        self._handed_out.pop(shard.channel, None)
        _close_quietly(shard.channel)

    def handle_message(self, provider: Any, body: Any, message: Message) -> None:
        shard = self._shard_by_channel.get(message.channel)
        if shard is not None:
            shard.last_delivery = time.monotonic()
        self._record(message)
        super().handle_message(provider, body, message)

    def _record(self, message: Message) -> None:
        handed_out = self._handed_out.get(message.channel)
        if handed_out is not None:
            handed_out.add(message.delivery_tag)

    def ack_message(self, message: Message) -> None:
        self.ack_messages([message])

    def ack_messages(self, messages: list[Message]) -> None:
        """Ack the messages, those of a channel that end a run of its oldest deliveries with
        one ``basic.ack`` (the broker and this process do one ack's work, not one each)."""
        by_channel: dict[Any, dict[int, Message]] = {}
        for message in messages:
            by_channel.setdefault(message.channel, {})[message.delivery_tag] = message
        for channel, by_tag in by_channel.items():
            handed_out = self._handed_out.get(channel)
            if handed_out is None:  # a channel closed since: the broker has them back
                for message in by_tag.values():
                    super().ack_message(message)
                continue
            highest, alone = handed_out.acked(set(by_tag))
            try:
                if highest is not None and channel.connection:
                    by_tag[highest].ack(multiple=True)
                for tag in sorted(alone):
                    super().ack_message(by_tag[tag])
            except (OSError, AMQPConnectionError) as exc:
                log.warning("could not ack (connection lost: %s); the broker redelivers", exc)

    def requeue_message(self, message: Message) -> None:
        handed_out = self._handed_out.get(message.channel)
        if handed_out is not None:
            handed_out.requeued(message.delivery_tag)
        super().requeue_message(message)

    def holds(self, message: Message) -> bool:
        """The message came on a shard this replica still applies: not one it is handing over,
        nor one whose channel is closed (its unsettled deliveries are back with the broker)."""
        shard = self._shard_by_channel.get(message.channel)
        return shard is not None and not shard.handing_over

    def on_iteration(self) -> None:
        super().on_iteration()
        if self.should_stop:
            return
        self._hand_over_settled_shards()
        now = time.monotonic()
        if now >= self._next_share_check:
            self._next_share_check = now + SHARE_CHECK_SECONDS
            self._hand_over_beyond_share(now)

    def _hand_over_beyond_share(self, now: float) -> None:
        replicas = self._replicas()
        for provider in self._providers:
            if provider.in_one_lane:  # its lane spans the shards: it keeps what it has
                continue
            shards = [s for s in self._shards.values() if s.provider is provider]
            if any(s.handing_over for s in shards):
                continue
            applying = [s for s in shards if now - s.last_delivery < APPLYING_SECONDS]
            metrics = provider.metrics_registry.metrics
            metrics.inbox_shards_applying.labels(str(provider.agency)).set(len(applying))
            if len(applying) > share_of_shards(len(shards), replicas):
                # The one that settles soonest: its channel closes once none of it runs.
                shard = min(applying, key=lambda s: (provider.running_on(s.channel), s.queue.name))
                log.info("applying %d of %d shards with %d replicas: handing %s over",
                         len(applying), len(shards), replicas, shard.queue.name)
                shard.handing_over = True
                metrics.inbox_shards_handed_over.labels(str(provider.agency)).inc()

    def _hand_over_settled_shards(self) -> None:
        for shard in list(self._shards.values()):
            if shard.handing_over and shard.provider.running_on(shard.channel) == 0:
                self._close_shard(shard)
                self._consume_shard(shard.provider, shard.queue)

    def _replicas(self) -> int:
        """The service's replicas running: its RPC queue's consumers (one per replica; a
        shard's queue counts only its active consumer). 1 when that cannot be told."""
        name = RPC_QUEUE_TEMPLATE.format(self.container.service_name)
        try:
            if self._replica_probe is None or not self._replica_probe.is_open:
                self._replica_probe = self._channel.connection.channel()
            return max(1, self._replica_probe.queue_declare(name, passive=True).consumer_count)
        except Exception as exc:  # no RPC queue (the broker closes the channel): alone
            log.debug("could not count the replicas on %s: %s", name, exc)
            return 1

    def _cancel_consumers_if_requested(self) -> None:
        removals: dict[Any, Any] = dict(self._pending_remove_providers)
        self._pending_remove_providers.clear()
        if not removals:
            return
        for provider in removals:
            provider.hand_back()
            self._consumers.pop(provider)
        for shard in list(self._shards.values()):
            if shard.provider in removals:  # in the consumer's own thread: a clean close
                del self._shards[shard.queue.name]
                self._close_shard(shard)
        for removed in removals.values():
            removed.send()

    def kill(self) -> None:
        for provider in self._providers:
            provider.hand_back()
        self.should_stop = True  # no reconnecting once the socket is dropped
        connection = getattr(self._channel, "connection", None)
        sock = getattr(getattr(connection, "transport", None), "sock", None)
        if sock is not None:
            # From another thread than the consumer's: drop the socket, as a crash would,
            # rather than cancel first (the consumer thread's way out).
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                log.debug("socket already closed", exc_info=True)
        super().kill()

    def on_decode_error(self, message: Message, exc: Exception) -> None:
        """A compressed body (``PlainConsumer``); kombu's own handler would log the body and
        drop the message. It is parked instead. Every provider here consumes for the one agency
        of the service."""
        self._record(message)
        provider = next(iter(self._providers))
        self.container.spawn_managed_thread(
            partial(provider.park_and_ack, message, COMPRESSED_BODY))


# Deliveries applied in one transaction at most (``consume_events(batches=True)``). Batches
# form only while deliveries come faster than they are applied: at a light load each starts
# alone, at once. As many batches run at once as the service has workers (a replay at half load
# saw fewer make a handoff's delivery wait: p50 twice as long).
DEFAULT_BATCH_LIMIT = 32


@dataclass(eq=False)
class Delivery:
    envelope: Envelope
    message: Message
    alone: bool = False  # in a batch that failed: now applied by itself


class EventConsumer(Consumer):
    """Consumes the agency's inbox (every shard of it) and calls the method with a validated
    ``Envelope``, or with ``batches`` a list of them to apply in one transaction.

    Invalid messages never reach the method; a method that raises has its message parked.
    A case's events are handled in delivery order, the next only once the one before is
    settled (see ``ordering``); with ``in_one_lane`` every event is, for a consumer whose
    handling reads across cases (across cases in the order the shards deliver them, which is not
    the order they were published). A batch holds the first waiting events of several cases (of
    a case, several in order); one that fails is applied again one event at a time, so that
    only the event that fails is retried or parked.
    """

    queue_consumer = RawQueueConsumer()
    metrics_registry = MetricsRegistry()

    def __init__(self, agency: Agency | None = None, in_one_lane: bool = False,
                 batches: bool = False, **kwargs: Any) -> None:
        """``agency`` defaults to the one whose service this is."""
        self.agency = Agency(agency) if agency else None
        self.in_one_lane = in_one_lane
        self.batches = batches
        super().__init__(queue=None, **kwargs)
        self._publisher: ConfirmedPublisher | None = None
        self._lanes: CaseLanes[Delivery] = CaseLanes()
        self._ready: deque[str] = deque()  # lanes whose first delivery may start
        self._started = 0  # batches running
        self._keys: KeyManagement | None = None
        self._handed_back = False
        self._running: Counter[Any] = Counter()  # deliveries being handled, by channel

    def keys(self) -> KeyManagement:
        """The service's key management, made on first need (parking or opening a dossier)."""
        if self._keys is None:
            self._keys = key_management(self.container.service_name, self.container.config)
        return self._keys

    def parked_dossier_keys(self) -> ParkedDossierKeys | None:
        """The case keys of the service's database, which seal the dossiers it parks (None in a
        service that keeps none)."""
        from .nameko_deps import Storage  # which imports this module

        storages = [d for d in self.container.dependencies if isinstance(d, Storage)]
        return storages[0].parked_dossier_keys if storages else None

    def setup(self) -> None:
        from .config import agency_of_service

        config = self.container.config
        self.agency = self.agency or agency_of_service(self.container.service_name)
        shards = int(config.get("INBOX_SHARDS") or inbox_shards())
        self.queues = inbox(self.agency, shards, declare=False)
        self.queue = self.queues[0]
        if self.batches:
            self.batch_limit = int(config.get("EVENT_BATCH_LIMIT") or DEFAULT_BATCH_LIMIT)
            self.batches_at_once = int(config.get("EVENT_BATCHES_AT_ONCE") or self.container.max_workers)
        else:
            self.batch_limit, self.batches_at_once = 1, self.container.max_workers
        with Connection(config["AMQP_URI"]) as connection:
            # The broker's set-up declared every queue before anyone published; the agency's
            # user may only consume its own.
            require_inbox(connection, self.agency, shards)
        self._publisher = ConfirmedPublisher(config["AMQP_URI"])
        super().setup()

    def stop(self) -> None:
        super().stop()
        if self._publisher is not None:
            self._publisher.close()

    def handle_message(self, body: Any, message: Message) -> None:
        if self._handed_back or not self.queue_consumer.holds(message):
            return  # the broker takes it back with the channel
        count = near_delivery_limit(message.headers)
        if count is not None and self.seals_when_parking(message):
            # Handled now, a crash would leave the broker to park it at its limit, as sent.
            self.park_before_the_limit(message, (
                f"handed out {count} times without being settled: parked sealed before the "
                f"broker's delivery limit ({DELIVERY_LIMIT}) would park it as it was sent"))
            return
        raw = message.body
        if is_sealed(message.headers, raw):  # parked here sealed, and sent back by a replay
            try:
                raw = opened_after_replay(self.keys(), raw, dict(message.headers),
                                          self.parked_dossier_keys())
            except (PersonalDataError, ValueError) as exc:
                self.park_and_ack(message, f"a sealed parked message that does not open here: {exc}")
                return
            except Exception as exc:  # the case keys' database away: the broker redelivers it
                delay = (self.container.config.get("EVENT_RETRY_DELAYS") or DEFAULT_RETRY_DELAYS)[-1]
                log.warning("could not open a sealed parked message (%s); requeued in %ss",
                            failure_reason(exc), delay)
                self.container.spawn_managed_thread(partial(self._requeue_later, message, delay))
                return
        envelope, reason = decode_or_reason(raw, message.properties.get("user_id"))
        if envelope is None:
            self.park_and_ack(message, reason)
            return
        if REPLAYS_HEADER not in (message.headers or {}):  # a replay comes late by design
            envelope = replace(envelope, case_sequence=case_sequence_of(message.headers))
        lane = self._lane_of(envelope)
        if self._lanes.admit(lane, Delivery(envelope, message)):
            self._ready.append(lane)
            self._start_ready()

    def hand_back(self) -> None:
        """The broker takes back every delivery not settled (the channel closes): start none
        that is waiting its turn or a retry; the shard's next consumer has it."""
        self._handed_back = True

    def running_on(self, channel: Any) -> int:
        """Deliveries from the channel being handled now (retries waiting their time excluded)."""
        return self._running[channel]

    def _start_ready(self) -> None:
        """Start the lanes whose turn it is, in batches, as long as fewer than
        ``batches_at_once`` run."""
        while self._ready and self._started < self.batches_at_once and not self._handed_back:
            batch: list[Delivery] = []
            while self._ready and len(batch) < self.batch_limit:
                if batch and self._lanes.first(self._ready[0]).alone:
                    break
                batch += self._lanes.start(self._ready.popleft(), self.batch_limit - len(batch),
                                           alone=lambda delivery: delivery.alone)
                if batch[-1].alone:
                    break
            self._attempt(batch, attempt=1)

    def _start_ready_later(self) -> None:
        """From a worker's end: in a thread of its own, so that the worker frees its slot first."""
        if self._ready:
            self.container.spawn_managed_thread(self._start_ready)

    def _attempt(self, batch: list[Delivery], attempt: int) -> None:
        if self._handed_back:
            return
        for lane in {self._lane_of(d.envelope) for d in batch if not self.queue_consumer.holds(d.message)}:
            self._drop_case(lane)
            batch = [d for d in batch if self._lane_of(d.envelope) != lane]
        if not batch:
            return
        for delivery in batch:
            self._running[delivery.message.channel] += 1
        self._started += 1
        envelopes = [d.envelope for d in batch]
        try:
            self.container.spawn_worker(
                self, (envelopes if self.batches else envelopes[0],), {},
                context_data=self.unpack_message_headers(batch[0].message),
                handle_result=partial(self._handled, batch, attempt))
        except ContainerBeingKilled:
            self._no_longer_running(batch)
            for lane in _lanes_in_order(batch, self._lane_of):
                self._give_back_case(lane)

    def _no_longer_running(self, batch: list[Delivery]) -> None:
        self._started -= 1
        for delivery in batch:
            channel = delivery.message.channel
            self._running[channel] -= 1
            if not self._running[channel]:
                del self._running[channel]

    def _drop_case(self, lane: str) -> None:
        """A delivery's shard was handed to another replica (its channel closed, or closing):
        the broker has it back, with the case's waiting ones. Those of a shard held again since
        (a case's shard can come back while a retry waits) start in their order."""
        for waiting in self._lanes.give_back(lane):
            if self.queue_consumer.holds(waiting.message) and self._lanes.admit(lane, waiting):
                self._ready.append(lane)
        self._start_ready_later()

    def _lane_of(self, envelope: Envelope) -> str:
        return "" if self.in_one_lane else envelope.case_id

    def _give_back_case(self, lane: str) -> None:
        """The case's running delivery was requeued: the broker hands it out again after those
        it handed out already, so the case's later deliveries waiting here are requeued too,
        behind it and in their order, rather than applied before it."""
        for delivery in self._lanes.give_back(lane):
            self.queue_consumer.requeue_message(delivery.message)

    def _finish(self, lane: str) -> None:
        """The lane's running deliveries are settled: its next may start."""
        if self._lanes.finish(lane):
            self._ready.append(lane)

    def _handled(self, batch: list[Delivery], attempt: int, worker_ctx: Any,
                 result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        try:
            return self._settle(batch, attempt, result, exc_info)
        finally:  # acked or parked by now, or requeued, or held for a retry
            self._no_longer_running(batch)
            self._start_ready_later()

    def _settle(self, batch: list[Delivery], attempt: int, result: Any,
                exc_info: Any) -> tuple[Any, Any]:
        if exc_info is None:
            self.queue_consumer.ack_messages([d.message for d in batch])
            for lane in _lanes_in_order(batch, self._lane_of):
                self._finish(lane)
            return result, exc_info
        _, exc, _ = exc_info
        if len(batch) > 1:
            # Nothing of it was committed: each case's first is applied again by itself, and
            # the rest of the batch after it, so that only what fails is retried or parked.
            log.info("a batch of %d events failed (%s); applying them one at a time",
                     len(batch), failure_reason(exc))
            for delivery in batch:
                delivery.alone = True
            lanes = _lanes_in_order(batch, self._lane_of)
            for lane in lanes:
                self._lanes.stop(lane)
            self._ready.extendleft(reversed(lanes))  # before any other: they came first
            return result, exc_info
        delivery = batch[0]
        message = delivery.message
        delays = self.container.config.get("EVENT_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)
        if is_transient(exc) and attempt <= len(delays):
            # The database or the broker is briefly away: try again later, still holding the
            # message unacknowledged (a restart in the meantime gets it redelivered).
            log.warning("transient failure on attempt %d (%s); retrying in %ss",
                        attempt, failure_reason(exc), delays[attempt - 1])
            self.container.spawn_managed_thread(
                partial(self._retry_later, delivery, attempt, delays[attempt - 1]))
            return result, exc_info
        reason = failure_reason(exc)
        if attempt > 1:
            reason += f" (after {attempt} attempts)"
        if not isinstance(exc, PoisonMessage):
            log.error("handler failed on %s: %s", message.delivery_info.get("routing_key"),
                      failure_trace(exc))
        lane = self._lane_of(delivery.envelope)
        if self.park_and_ack(message, reason):
            self._finish(lane)
        else:
            self._give_back_case(lane)
        return result, exc_info

    def _retry_later(self, delivery: Delivery, attempt: int, delay: float) -> None:
        time.sleep(delay)
        self._attempt([delivery], attempt + 1)

    def seals_when_parking(self, message: Message) -> bool:
        """It carries personal data in the clear: parked, it is sealed (or left out)."""
        body = _body_bytes(message)
        return not is_sealed(message.headers, body) and carries_personal_data(first_sent_to(message)[0], body)

    def parking_copy(self, message: Message) -> tuple[bytes | None, dict[str, Any]]:
        """What goes on the dead-letter stream in place of a message's body: personal data
        sealed with this service's keys (under its case's key where it names one), or left out
        by a service that keeps none; anything else (a sealed one parked again included) as it
        came (None)."""
        if not self.seals_when_parking(message):
            return None, {}
        body = _body_bytes(message)
        if self.agency in HOLD_NO_CASES:
            return withheld_for_parking(body, str(self.agency))
        return sealed_for_parking(self.keys(), body, self.parked_dossier_keys(),
                                  (message.headers or {}).get(CASE_ID_HEADER))

    def park_and_ack(self, message: Message, reason: str, requeue_if_not_parked: bool = True) -> bool:
        """Park the message, then ack it; whether it was parked. Not parked, it is not acked:
        requeued, the broker redelivers it rather than lose it (or else still held, unsettled)."""
        assert self._publisher is not None
        try:
            body, headers = self.parking_copy(message)
            park(self._publisher, message, str(self.agency), reason, body, headers)
        except Exception:
            log.exception("could not park a message; leaving it to be redelivered")
            if requeue_if_not_parked:
                self.queue_consumer.requeue_message(message)
            return False
        log.warning("parked a message on %s: %s", DEAD_LETTER_QUEUE, reason)
        self.metrics_registry.metrics.dead_lettered.labels(str(self.agency)).inc()
        self.queue_consumer.ack_message(message)
        return True

    def park_before_the_limit(self, message: Message, reason: str, attempt: int = 1) -> None:
        """Park a message the broker is about to give up on, trying again while it is held (a
        requeue would bring it nearer the limit), as a handler's passing failure is retried."""
        if self.park_and_ack(message, reason, requeue_if_not_parked=False):
            return
        delays = self.container.config.get("EVENT_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)
        if attempt > len(delays) or self._handed_back or not self.queue_consumer.holds(message):
            self.queue_consumer.requeue_message(message)
            return
        self.container.spawn_managed_thread(partial(self._park_later, message, reason, attempt, delays[attempt - 1]))

    def _requeue_later(self, message: Message, delay: float) -> None:
        time.sleep(delay)
        self.queue_consumer.requeue_message(message)

    def _park_later(self, message: Message, reason: str, attempt: int, delay: float) -> None:
        time.sleep(delay)
        self.park_before_the_limit(message, reason, attempt + 1)


def _lanes_in_order(batch: list[Delivery], lane_of: Callable[[Envelope], str]) -> list[str]:
    return list(dict.fromkeys(lane_of(d.envelope) for d in batch))


def _body_bytes(message: Message) -> bytes:
    return message.body if isinstance(message.body, bytes) else str(message.body).encode("utf-8")


consume_events = EventConsumer.decorator


class SettlingRpcConsumer(RpcConsumer):
    """nameko's RPC consumer on a ``SettlingQueueConsumer``; a reply that cannot be sent because
    the broker went away is logged, not raised (raising would stop the service). The request,
    not acked, is redelivered; staff commands are refused by the case's transition table when
    run again on a case that has already moved, so none takes effect twice.

    It replies as nameko's ``Responder`` does (persistent, through kombu's producer pool, each
    reply confirmed by the broker before the request is acked, retried on a lost connection;
    an error or an unserialisable result as nameko encodes them), but serialises the reply once:
    the ``Responder`` serialises a result to check it, then the whole reply again to send it,
    and makes its connection's description anew for every reply."""

    queue_consumer = SettlingQueueConsumer()

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.reply_exchange = get_rpc_exchange(config)
        # nameko's ``Publisher`` defaults: the pool it keys by them holds the connections.
        self.reply_connection = Connection(
            config[AMQP_URI_CONFIG_KEY],
            transport_options={**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": True},
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))

    def handle_result(self, message: Message, result: Any, exc_info: Any) -> tuple[Any, Any]:
        try:
            result, exc_info = self.reply(message, result, exc_info)
        except (OSError, AMQPConnectionError, KombuOperationalError) as exc:
            log.warning("could not reply to an RPC request (%s); it will be redelivered", exc)
            return result, exc_info
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def reply(self, message: Message, result: Any, exc_info: Any) -> tuple[Any, Any]:
        """Send the reply, encoded as the request was, and wait for the broker's confirm."""
        error = None if exc_info is None else serialize_error(exc_info[1])
        serializer = serialization.registry.type_to_name[message.properties["content_type"]]
        try:
            content_type, encoding, body = serialization.dumps({"result": result, "error": error},
                                                               serializer)
        except Exception:  # the result cannot be serialised: the caller gets nameko's error
            exc_info = sys.exc_info()
            result, error = None, serialize_error(UnserializableValueError(result))
            content_type, encoding, body = serialization.dumps({"result": None, "error": error},
                                                               serializer)
        with producers[self.reply_connection].acquire(block=True) as producer:
            producer.publish(body, content_type=content_type, content_encoding=encoding,
                             exchange=self.reply_exchange, routing_key=message.properties["reply_to"],
                             correlation_id=message.properties.get("correlation_id"),
                             delivery_mode=PERSISTENT, retry=True, retry_policy=DEFAULT_RETRY_POLICY)
        return result, exc_info


class SettlingRpc(Rpc):
    rpc_consumer = SettlingRpcConsumer()


rpc = SettlingRpc.decorator
"""nameko's ``@rpc``, on consumers that survive the broker going away mid-request."""


class CallerRpcProxy(ClusterRpcProxy):
    """nameko's RPC client, its reply queue named after the caller (``rpc.reply-operator-<id>``,
    not nameko's ``standalone_rpc_proxy`` for every caller): the broker lets each caller's user
    read its own replies alone (``contract.routing.broker_permissions``)."""

    def __init__(self, config: dict[str, Any], caller: str, **options: Any) -> None:
        super().__init__(config, **options)
        self._reply_listener.container.service_name = caller
