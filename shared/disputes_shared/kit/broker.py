"""The broker side of the contract, with kombu alone: topology, confirmed publishing, parking.

Used by the platform's services and by outside agency systems through the kit alike, so both
declare the same exchanges and queues and publish the same way.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import amqp
from amqp.exceptions import AccessRefused, NotFound, PreconditionFailed
from kombu import Connection, Exchange, Queue, binding
from kombu.message import Message

from ..contract.agencies import Agency
from ..contract.routing import (
    AGENCY_QUEUE_ARGUMENTS,
    AGENCY_QUEUE_POLICY,
    CASE_EXCHANGE_ARGUMENTS,
    CASE_ID_HEADER,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    DEFAULT_SHARDS,
    DELIVERY_LIMIT,
    DOSSIERS_EXCHANGE,
    EVENTS_EXCHANGE,
    PARKING_QUEUE_ARGUMENTS,
    SHARD_QUEUE_ARGUMENTS,
    SHARD_WEIGHT,
    SUBSCRIPTIONS,
    case_exchange_name,
    is_case_exchange,
    is_sharded,
    queue_name,
    shard_names,
)

log = logging.getLogger(__name__)

QUORUM = AGENCY_QUEUE_ARGUMENTS
STREAM = PARKING_QUEUE_ARGUMENTS


def amqp_uri() -> str:
    """The broker this process connects to, as its own broker user: ``DISPUTES_AMQP_URI`` (else
    the local broker), with the user ``DISPUTES_AMQP_USERNAME`` and the password
    ``DISPUTES_AMQP_PASSWORD`` or the one in the file ``DISPUTES_AMQP_PASSWORD_FILE`` when they
    are set (in a cluster, from the agency's Secret; locally, from the broker's set-up)."""
    uri = os.environ.get("DISPUTES_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    username = os.environ.get("DISPUTES_AMQP_USERNAME")
    if not username:
        return uri
    password = os.environ.get("DISPUTES_AMQP_PASSWORD")
    if password is None:
        password_file = os.environ.get("DISPUTES_AMQP_PASSWORD_FILE")
        if not password_file:
            raise ValueError("DISPUTES_AMQP_USERNAME is set but neither DISPUTES_AMQP_PASSWORD "
                             "nor DISPUTES_AMQP_PASSWORD_FILE")
        password = Path(password_file).read_text().strip()
    return as_user(uri, username, password)


def as_user(uri: str, username: str, password: str) -> str:
    """``uri`` with its credentials replaced by ``username`` and ``password``."""
    parts = urlsplit(uri)
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{parts.hostname or '127.0.0.1'}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


EXCHANGES = {
    EVENTS_EXCHANGE: Exchange(EVENTS_EXCHANGE, type="topic", durable=True),
    DOSSIERS_EXCHANGE: Exchange(DOSSIERS_EXCHANGE, type="topic", durable=True),
    DEAD_LETTER_EXCHANGE: Exchange(DEAD_LETTER_EXCHANGE, type="fanout", durable=True),
}
DEAD_LETTERS = Queue(DEAD_LETTER_QUEUE, EXCHANGES[DEAD_LETTER_EXCHANGE], durable=True,
                     queue_arguments=STREAM)


def inbox_shards() -> int:
    """How many shards each platform service's inbox has in this deployment:
    ``DISPUTES_INBOX_SHARDS`` (else 4). The broker's set-up and every service must agree."""
    shards = int(os.environ.get("DISPUTES_INBOX_SHARDS", DEFAULT_SHARDS))
    if shards < 1:
        raise ValueError(f"DISPUTES_INBOX_SHARDS must be at least 1, not {shards}")
    return shards


def case_exchange(agency: Agency) -> Exchange:
    """A platform service's consistent-hash exchange, between the topic exchanges and its shards."""
    return Exchange(case_exchange_name(agency), type="x-consistent-hash", durable=True,
                    arguments=CASE_EXCHANGE_ARGUMENTS)


def shard_queues(agency: Agency, shards: int, declare: bool = True) -> list[Queue]:
    """A platform service's inbox shards, each bound to its hash exchange (``declare``: as
    ``agency_queue``)."""
    return [Queue(name, exchange=case_exchange(agency), routing_key=SHARD_WEIGHT, durable=True,
                  queue_arguments=SHARD_QUEUE_ARGUMENTS, no_declare=not declare)
            for name in shard_names(agency, shards)]


def inbox(agency: Agency, shards: int, declare: bool = True) -> list[Queue]:
    """The queues an agency's events reach: a platform service's shards, an outside agency's
    single inbox."""
    return shard_queues(agency, shards, declare) if is_sharded(agency) else [agency_queue(agency, declare)]


def agency_queue(agency: Agency, declare: bool = True) -> Queue:
    """The one inbound queue of an agency's service, bound as the contract says. Consumers take
    it with ``declare=False``: ``declare_topology`` has declared it (or adopted a queue an
    older release declared with other arguments, which a second declaration would refuse)."""
    return Queue(
        queue_name(agency),
        bindings=[binding(EXCHANGES[b.exchange], routing_key=b.routing_key)
                  for b in SUBSCRIPTIONS.get(agency, ())],
        durable=True,
        queue_arguments=QUORUM,
        no_declare=not declare,
    )


def declare_topology(connection: Connection, shards: int | None = None) -> list[str]:
    """Declare every exchange and queue of the platform, so no event finds its queue missing
    because the service that consumes it has not started yet. Returns the queues that exist
    with other arguments (declared by an older release) and were kept as they are. The broker's
    set-up does this as an administrator; the agencies' users may not (see
    ``contract.routing.broker_permissions``)."""
    _declare_exchanges(connection)
    shards = inbox_shards() if shards is None else shards
    kept = []
    for queue in [DEAD_LETTERS, *(q for agency in SUBSCRIPTIONS for q in inbox(agency, shards))]:
        if not _declare_or_keep(connection, queue):
            kept.append(queue.name)
    for agency in SUBSCRIPTIONS:
        if is_sharded(agency):
            _route_to_shards(connection, agency)
    return kept


def _route_to_shards(connection: Connection, agency: Agency) -> None:
    """Bind the topic exchanges to the agency's hash exchange as the contract binds its inbox
    (exchange to exchange: publishers see no difference), and unbind the single inbox an older
    release consumed, if it is still there, so that nothing new lands in it
    (``drain_single_inbox`` empties it)."""
    channel = connection.channel()
    try:
        destination = case_exchange(agency)(channel)
        destination.declare()
        for b in SUBSCRIPTIONS[agency]:
            destination.bind_to(EXCHANGES[b.exchange].name, routing_key=b.routing_key)
    finally:
        _close_quietly(channel)
    channel = connection.channel()
    try:
        channel.queue_declare(queue_name(agency), passive=True)
        for b in SUBSCRIPTIONS[agency]:
            channel.queue_unbind(queue_name(agency), EXCHANGES[b.exchange].name, b.routing_key)
        log.warning("%s is an older release's inbox: unbound, to be drained (docs/deploying.md)",
                    queue_name(agency))
    except NotFound:
        return  # none: nothing to retire
    finally:
        _close_quietly(channel)


def drain_single_inbox(connection: Connection, publisher: ConfirmedPublisher,
                       agency: Agency) -> int | None:
    """Move what an older release's single inbox of a platform service still holds to its
    shards, in queue order, each message acked once the broker confirmed its copy, then delete
    the emptied queue; returns how many were moved (None when there is no such queue).

    The copy goes through the agency's hash exchange, sent as its first sender (``publisher``
    must be the operator's, which may impersonate), with the case id header taken from the
    envelope where the sender set none, and says where it was first sent, for parking and
    replay. A copy sent twice (a crash between the confirm and the ack) is dropped by the
    consumer's inbox by event id."""
    moved = 0
    channel = connection.channel()
    try:
        try:
            channel.queue_declare(queue_name(agency), passive=True)
        except NotFound:
            return None
        while (message := channel.basic_get(queue_name(agency), no_ack=False)) is not None:
            delivery = message.delivery_info
            headers = {"x-original-exchange": delivery.get("exchange", ""),
                       "x-original-routing-key": delivery.get("routing_key", ""),
                       **(message.headers or {})}
            headers.setdefault(CASE_ID_HEADER, _case_id_of(message.body))
            publisher.publish(message.body, case_exchange_name(agency), SHARD_WEIGHT,
                              message_id=str(message.properties.get("message_id") or ""),
                              headers=headers,
                              content_type=message.content_type or "application/data",
                              app_id=message.properties.get("app_id"),
                              user_id=message.properties.get("user_id"))
            channel.basic_ack(message.delivery_tag)
            moved += 1
        channel.queue_delete(queue_name(agency))
    finally:
        _close_quietly(channel)
    return moved


def _case_id_of(body: Any) -> str:
    """An envelope's case id, or "" for a body that is none (it is parked from its shard)."""
    try:
        return str(json.loads(body).get("case_id") or "")
    except (ValueError, TypeError, AttributeError):
        return ""


def first_sent_to(message: Message) -> tuple[str, str]:
    """The exchange and routing key a message was first published with: its delivery's, unless
    it was moved to a shard from an older release's inbox, which noted them."""
    delivery = message.delivery_info or {}
    exchange = delivery.get("exchange", "")
    if is_case_exchange(exchange):
        headers = message.headers or {}
        return (str(headers.get("x-original-exchange", "")),
                str(headers.get("x-original-routing-key", "")))
    return exchange, delivery.get("routing_key", "")


def declare_inbox(connection: Connection, agency: Agency) -> bool:
    """Declare one agency's inbox with its bindings (an outside agency's, when it is
    onboarded), the exchanges first; False when it was kept with an older release's arguments."""
    _declare_exchanges(connection)
    return _declare_or_keep(connection, agency_queue(agency))


def _declare_exchanges(connection: Connection) -> None:
    channel = connection.channel()
    try:
        for exchange in EXCHANGES.values():
            exchange(channel).declare()
    finally:
        channel.close()


class TopologyMissing(RuntimeError):
    """A queue the broker's set-up declares is not there."""


def require_queue(connection: Connection, name: str) -> None:
    """Check that ``name`` exists (a passive declaration, which needs no permission)."""
    channel = connection.channel()
    try:
        channel.queue_declare(name, passive=True)
    except NotFound:
        raise TopologyMissing(f"queue {name} does not exist: run the broker's set-up first "
                              "(disputes up does; see docs/operations.md)") from None
    finally:
        _close_quietly(channel)


def require_inbox(connection: Connection, agency: Agency, shards: int) -> None:
    """Check that the agency's inbox is there with as many shards as this process was told:
    with fewer, the cases hashed to a shard it does not know would wait there unread."""
    for queue in inbox(agency, shards, declare=False):
        require_queue(connection, queue.name)
    if is_sharded(agency):
        channel = connection.channel()
        try:
            channel.queue_declare(shard_names(agency, shards + 1)[-1], passive=True)
        except NotFound:
            return
        finally:
            _close_quietly(channel)
        raise TopologyMissing(f"{agency}'s inbox has more than {shards} shards: set "
                              "DISPUTES_INBOX_SHARDS as the broker's set-up has it")


def _declare_or_keep(connection: Connection, queue: Queue) -> bool:
    """Declare ``queue``; if it exists with other arguments, keep it and bind it as declared.
    The broker refuses a change of arguments (406): an operator moves such a queue by a policy
    (see the operations notes), and meanwhile the platform keeps running on it."""
    channel = connection.channel()
    try:
        queue(channel).declare()
        return True
    except PreconditionFailed as exc:
        log.warning("queue %s exists with other arguments (%s); using it as it is. Give it the "
                    "delivery limit and dead-lettering by a policy: %s", queue.name,
                    exc.reply_text, json.dumps(AGENCY_QUEUE_POLICY))
    finally:
        _close_quietly(channel)
    channel = connection.channel()  # the broker closed the one that was refused
    try:
        bound = queue(channel)
        bound.queue_declare(passive=True)
        if bound.exchange is not None and bound.exchange.name:
            bound.queue_bind()
        for b in bound.bindings:
            b.bind(bound)
    finally:
        _close_quietly(channel)
    return False


def _close_quietly(channel: Any) -> None:
    try:
        channel.close()
    except Exception:  # already closed by the broker
        log.debug("channel already closed", exc_info=True)


class Unroutable(RuntimeError):
    """The broker returned a mandatory message: no queue is bound for it."""


class Refused(RuntimeError):
    """The broker nacked a message: it did not take responsibility for it."""


class Forbidden(Refused):
    """The broker closed the channel on a message: this user may not publish it there (403
    ACCESS_REFUSED: the exchange, or the routing key's topic permission) or not as sent (406
    PRECONDITION_FAILED: a ``user_id`` that is not the connection's user)."""


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
    # The broker user the message is sent as: the connection's own unless the user may
    # impersonate (the operator replaying a parked message as the agency that first sent it).
    user_id: str | None = None


class ConfirmedPublisher:
    """Publishes persistent, mandatory messages and returns only once the broker confirmed them.

    ``publish_many`` pipelines a batch: it publishes every message, then waits for all the
    confirms at once (a round trip per batch, not per message) and says which were confirmed.
    One connection per publisher; a lock keeps greenthreads from interleaving on its channel.
    """

    def __init__(self, amqp_uri: str, confirm_timeout: float = 30.0) -> None:
        self.amqp_uri = amqp_uri
        self.user = str(Connection(amqp_uri).userid)  # the broker user it connects as
        self.confirm_timeout = confirm_timeout
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._channel: Any = None  # the connection's channel in confirm mode
        self._next_tag = 1
        self._unsettled: set[int] = set()
        self._nacked: set[int] = set()
        self._returned: set[str] = set()

    def _ensure(self) -> Any:
        if self._channel is None:
            connection = Connection(self.amqp_uri)
            connection.ensure_connection(max_retries=3)
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.events["basic_return"].add(self._on_return)
            self._connection, self._next_tag = connection, 1
            self._unsettled, self._nacked, self._returned = set(), set(), set()
            self._channel = channel
        return self._channel

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
        confirmed and routed it, else why not (``Unroutable``, ``Refused``, ``Forbidden``).
        Raises when the connection fails or the confirms do not come in time: then nothing is
        known confirmed."""
        try:
            with self._lock:
                return self._publish_batch(messages)
        except (AccessRefused, PreconditionFailed) as refusal:
            self.close()  # the broker closed the channel
            if len(messages) == 1:
                return [Forbidden(f"the broker refused {messages[0].message_id}: {refusal}")]
        # Which one the broker refused is not said: each again on its own, so that only that one
        # is refused (one confirmed before the refusal is sent twice; consumers drop the copy).
        return [self.publish_many([m])[0] for m in messages]

    def _publish_batch(self, messages: list[Outgoing]) -> list[Exception | None]:
        try:
            channel = self._ensure()
            first = self._next_tag
            # Straight to the channel, each message as kombu's producer would build it (its
            # serializing, declaring and retry wrappers are no use here, and cost a publish
            # more than the framing).
            for m in messages:
                channel.basic_publish(amqp.Message(
                    m.body.encode("utf-8") if isinstance(m.body, str) else m.body,
                    priority=0, content_type=m.content_type, content_encoding="utf-8",
                    application_headers=m.headers or {}, delivery_mode=2, message_id=m.message_id,
                    # RabbitMQ refuses a user_id other than the connection's own: consumers
                    # know from it which agency really sent a message.
                    user_id=m.user_id or self.user,
                    **({"app_id": m.app_id} if m.app_id else {}),
                ), exchange=m.exchange, routing_key=m.routing_key, mandatory=True)
                self._unsettled.add(self._next_tag)
                self._next_tag += 1
            tags = range(first, self._next_tag)
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
                content_type: str = "application/json", app_id: str | None = None,
                user_id: str | None = None) -> None:
        """Publish one message; raise unless the broker confirmed and routed it."""
        (outcome,) = self.publish_many([Outgoing(body, exchange, routing_key, message_id, headers,
                                                 content_type, app_id, user_id)])
        if outcome is not None:
            raise outcome

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # the connection is being dropped either way
                log.debug("error closing publisher connection", exc_info=True)


def park(publisher: ConfirmedPublisher, message: Message, parked_by: str, reason: str,
         body: bytes | None = None, extra_headers: dict[str, Any] | None = None) -> None:
    """Put a message we cannot handle on the dead-letter queue, with why and where from;
    ``body`` in place of the message's own (sealed, or left out), ``extra_headers`` added."""
    exchange, routing_key = first_sent_to(message)
    headers = {**(message.headers or {}), **(extra_headers or {})}
    headers.update({
        "x-parked-reason": reason[:2000],
        "x-parked-by": parked_by,
        "x-parked-at": datetime.now(UTC).isoformat(),
        "x-original-exchange": exchange,
        "x-original-routing-key": routing_key,
        # Checked by the broker when it was sent: a replay sends it again as that user.
        "x-original-user-id": message.properties.get("user_id") or "",
    })
    message_id = message.properties.get("message_id") or f"parked-{id(message)}"
    publisher.publish(message.body if body is None else body, DEAD_LETTER_EXCHANGE, "",
                      message_id=str(message_id), headers=headers,
                      content_type=message.content_type or "application/data")


# The parking stream also holds records of its own, told apart by this header: "replayed" (with
# the offset of the message sent back) and "bookmark" (where one reading stopped).
STREAM_RECORD = "x-parked-record"
REPLAYED_OFFSET = "x-replayed-offset"


@dataclass(frozen=True)
class ParkedMessage:
    """One message on the parking stream, by its offset there (unique, in the order parked)."""

    offset: int
    body: bytes
    headers: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)
    routing_key: str = ""  # the one it was parked with: the broker keeps the original
    replayed: bool = False

    @property
    def message_id(self) -> str | None:
        return self.properties.get("message_id")

    def _death(self, key: str) -> Any:
        """What the broker noted when it dead-lettered the message (a delivery limit reached):
        ``x-first-death-*`` headers, and ``x-death`` where the broker adds it."""
        deaths = self.headers.get("x-death") or [{}]
        return self.headers.get(f"x-first-death-{key}") or dict(deaths[0]).get(key)

    @property
    def reason(self) -> str:
        if "x-parked-reason" in self.headers:
            return str(self.headers["x-parked-reason"])
        if self._death("reason") == "delivery_limit":
            return (f"delivered more than {DELIVERY_LIMIT} times without being settled "
                    "(a consumer kept failing on it); the broker parked it")
        return f"dead-lettered by the broker: {self._death('reason') or 'no reason given'}"

    @property
    def parked_by(self) -> str:
        if "x-parked-by" in self.headers:
            return str(self.headers["x-parked-by"])
        queue = str(self._death("queue") or "")
        parts = queue.split(".")  # an agency's inbox, or one of its shards
        return parts[1] if len(parts) in (3, 4) and parts[2] == "inbox" else queue

    @property
    def original_exchange(self) -> str:
        return str(self.headers.get("x-original-exchange") or self._death("exchange") or "")

    @property
    def original_routing_key(self) -> str:
        if "x-original-routing-key" in self.headers:
            return str(self.headers["x-original-routing-key"])
        return self.routing_key

    @property
    def original_user_id(self) -> str | None:
        """The broker user that first sent it: noted by whoever parked it, or kept by the broker
        when a delivery limit parked it."""
        return (str(self.headers.get("x-original-user-id") or "")
                or self.properties.get("user_id") or None)

    @property
    def parked_at(self) -> str | None:
        if "x-parked-at" in self.headers:
            return str(self.headers["x-parked-at"])
        deaths = self.headers.get("x-death") or [{}]
        moment = dict(deaths[0]).get("time")
        return moment.isoformat() if isinstance(moment, datetime) else None


def read_parked(amqp_uri: str, timeout: float = 30.0,
                at_least: int | None = None) -> list[ParkedMessage]:
    """Every parked message in the order parked, each marked if it was replayed.

    Reading a stream takes nothing off it. A stream shows its reader no end, so this appends a
    bookmark and reads up to it: nothing parked before the call is missed (a ``TimeoutError``
    if the bookmark does not come back in time). With ``at_least``, no bookmark: it returns once
    that many messages not yet replayed are read, or when ``timeout`` runs out.
    """
    bookmark = None
    if at_least is None:
        bookmark = f"bookmark-{uuid.uuid4()}"
        publisher = ConfirmedPublisher(amqp_uri)
        try:
            publisher.publish(b"", "", DEAD_LETTER_QUEUE, message_id=bookmark,
                              headers={STREAM_RECORD: "bookmark"},
                              content_type="application/octet-stream")
        finally:
            publisher.close()
    found: list[ParkedMessage] = []
    replayed: set[int] = set()
    reached = False
    with Connection(amqp_uri) as connection:
        channel = connection.channel()

        def take(message: Any) -> None:
            nonlocal reached
            channel.basic_ack(message.delivery_tag)  # credit for the next ones; nothing is removed
            headers = dict(message.headers or {})
            record = headers.get(STREAM_RECORD)
            if record == "bookmark":
                reached = reached or message.properties.get("message_id") == bookmark
            elif record == "replayed":
                replayed.add(int(headers[REPLAYED_OFFSET]))
            else:
                body = message.body.encode() if isinstance(message.body, str) else bytes(message.body)
                offset = int(headers.pop("x-stream-offset"))
                properties = {k: v for k, v in message.properties.items()
                              if k != "application_headers"}
                found.append(ParkedMessage(offset, body, headers, properties,
                                           message.delivery_info.get("routing_key", "")))

        channel.basic_qos(0, 500, False)  # a stream consumer must give credit
        channel.basic_consume(DEAD_LETTER_QUEUE, callback=take,
                              arguments={"x-stream-offset": "first"})
        deadline = time.monotonic() + timeout
        while not reached:
            if at_least is not None and sum(m.offset not in replayed for m in found) >= at_least:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if bookmark is not None:
                    raise TimeoutError("the parked messages could not be read to the end in time")
                break
            try:
                connection.drain_events(timeout=min(remaining, 0.5))
            except TimeoutError:
                continue
        _close_quietly(channel)
    return [ParkedMessage(m.offset, m.body, m.headers, m.properties, m.routing_key,
                          m.offset in replayed) for m in found]


def record_replayed(publisher: ConfirmedPublisher, parked: ParkedMessage) -> None:
    """Note on the stream that ``parked`` was sent back, so it is not sent back twice."""
    publisher.publish(b"", "", DEAD_LETTER_QUEUE, message_id=f"replayed-{parked.offset}",
                      headers={STREAM_RECORD: "replayed", REPLAYED_OFFSET: parked.offset},
                      content_type="application/octet-stream")
