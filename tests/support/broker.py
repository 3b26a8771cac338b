"""Talking to the real RabbitMQ as the integration tests do: publish a raw message or an
envelope where its routing sends it, take messages off a queue, read the dead-letter queue.

Each test's vhost is set up as the platform's broker is (``broker_setup``): its topology, and a
user per agency, the operator and the portal, named in a namespace of the vhost's own. The
helpers below take the administrator's URI the fixtures hand out and, where an agency acts,
connect as that agency's user."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from kombu import Connection

from disputes_cli.broker_setup import BrokerCredentials, remove_users, set_up_broker, vhost_of
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope, encode
from disputes_shared.contract.routing import case_headers, inbox_queues, route
from disputes_shared.kit.broker import inbox_shards, read_parked

_USERS: dict[str, dict[str, BrokerCredentials]] = {}  # by vhost


def set_up_vhost(admin_uri: str, credentials_dir: Path) -> dict[str, BrokerCredentials]:
    """The vhost of ``admin_uri`` set up as the platform's broker, its users namespaced by it."""
    vhost = vhost_of(admin_uri)
    _USERS[vhost] = set_up_broker(admin_uri, credentials_dir, namespace=vhost)
    return _USERS[vhost]


def tear_down_vhost(admin_uri: str) -> None:
    vhost = vhost_of(admin_uri)
    if _USERS.pop(vhost, None) is not None:
        remove_users(vhost)


def uri_of(admin_uri: str, principal: str) -> str:
    """``admin_uri``'s vhost as ``principal``'s broker user (an agency, operator, portal)."""
    return _USERS[vhost_of(admin_uri)][str(principal)].uri(admin_uri)


def publish_raw(amqp_uri: str, exchange: str, routing_key: str, body: bytes | str,
                content_type: str = "application/json", **properties: Any) -> None:
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        producer.publish(body, exchange=exchange, routing_key=routing_key,
                         content_type=content_type, content_encoding="utf-8",
                         delivery_mode=2, **properties)


def queue_messages(amqp_uri: str, queue: str | list[str], expected: int,
                   timeout: float = 15.0) -> list[Any]:
    """Take ``expected`` messages off ``queue`` (or off any of several: an agency's
    ``inbox_of``), acking them, waiting up to ``timeout``. By a consumer, not ``basic.get``,
    which a queue with a single active consumer (a shard) refuses; the rest go back."""
    taken: list[Any] = []
    deadline = time.monotonic() + timeout
    with Connection(amqp_uri) as connection:
        channel = connection.channel()

        def take(message: Any) -> None:
            if len(taken) < expected:
                channel.basic_ack(message.delivery_tag)
                taken.append(message)

        channel.basic_qos(0, expected, False)
        for name in [queue] if isinstance(queue, str) else queue:
            channel.basic_consume(name, callback=take)
        while len(taken) < expected and (remaining := deadline - time.monotonic()) > 0:
            try:
                connection.drain_events(timeout=min(remaining, 0.2))
            except TimeoutError:
                continue
    return taken


def inbox_of(agency: Agency) -> list[str]:
    """The queues an agency's events reach in the tests' vhosts (its shards, or its one queue)."""
    return inbox_queues(agency, inbox_shards())


def inbox_depth(amqp_uri: str, agency: Agency) -> int:
    return sum(queue_depth(amqp_uri, queue) for queue in inbox_of(agency))


def dead_letters(amqp_uri: str, expected: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The parked messages not replayed, once ``expected`` of them are there (or at ``timeout``)."""
    return [{"body": m.body, "headers": m.headers, "message": m}
            for m in read_parked(amqp_uri, timeout, at_least=expected) if not m.replayed]


def parked_now(amqp_uri: str) -> list[Any]:
    """Every parked message not replayed, read to the end of the parking stream: exact, no
    waiting for something that should not come."""
    return [m for m in read_parked(amqp_uri, timeout=15.0) if not m.replayed]


def queue_depth(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        _, ready, _ = connection.channel().queue_declare(queue, passive=True)
    return int(ready)


def as_json(body: bytes | str) -> Any:
    return json.loads(body)


def publish_as(amqp_uri: str, principal: str, exchange: str, routing_key: str,
               body: bytes | str, **properties: Any) -> None:
    """``publish_raw`` as ``principal``'s broker user, naming it as the sender (``user_id``)."""
    as_principal = uri_of(amqp_uri, principal)
    publish_raw(as_principal, exchange, routing_key, body,
                user_id=Connection(as_principal).userid, **properties)


def send(amqp_uri: str, envelope: Envelope) -> None:
    """Publish an envelope as a service's relay would: encoded, routed, its event id the
    message id, as its source agency's broker user (stamped with its ``case_sequence``, if any)."""
    exchange, routing_key = route(envelope)
    publish_as(amqp_uri, envelope.source_agency, exchange, routing_key, encode(envelope),
               message_id=envelope.event_id,
               headers=case_headers(envelope.case_id, envelope.case_sequence))

