"""``disputes dead-letters``: read the parked messages, and send chosen ones back.

Messages are taken off the queue without acknowledgement and handed back when the channel
closes, so listing them changes nothing; a replayed message is acknowledged only after the
broker has confirmed its re-publication to where it first went.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu import Connection

from disputes_shared.contract.routing import DEAD_LETTER_QUEUE
from disputes_shared.kit.broker import ConfirmedPublisher, declare_topology

PARKING_HEADERS = ("x-parked-reason", "x-parked-by", "x-parked-at", "x-original-exchange",
                   "x-original-routing-key")


def _text(body: Any) -> str:
    return body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)


def _view(message: Any) -> dict[str, Any]:
    headers = dict(message.headers or {})
    body = _text(message.body)
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    return {
        "message_id": message.properties.get("message_id"),
        "reason": headers.get("x-parked-reason"), "parked_by": headers.get("x-parked-by"),
        "parked_at": headers.get("x-parked-at"),
        "exchange": headers.get("x-original-exchange"),
        "routing_key": headers.get("x-original-routing-key"),
        "event_type": document.get("event_type") if isinstance(document, dict) else None,
        "case_id": document.get("case_id") if isinstance(document, dict) else None,
        "replays": int(headers.get("x-replays", 0)),
        "body": body,
    }


@contextmanager
def parked(amqp_uri: str, limit: int) -> Iterator[tuple[Any, list[Any]]]:
    """Up to ``limit`` parked messages, unacknowledged; whatever is not acked returns to the
    queue when the block ends."""
    with Connection(amqp_uri) as connection:
        declare_topology(connection)
        channel = connection.channel()
        messages: list[Any] = []
        try:
            while len(messages) < limit:
                message = channel.basic_get(DEAD_LETTER_QUEUE, no_ack=False)
                if message is None:
                    break
                messages.append(message)
            yield channel, messages
        finally:
            channel.close()  # unacknowledged messages go back to the queue


def list_parked(amqp_uri: str, limit: int = 100) -> list[dict[str, Any]]:
    with parked(amqp_uri, limit) as (_, messages):
        return [_view(m) for m in messages]


def replay(amqp_uri: str, message_ids: set[str] | None, limit: int = 10000) -> list[dict[str, Any]]:
    """Publish the chosen parked messages (all, when ``message_ids`` is None) back to their
    original exchange and routing key, then drop them from the dead-letter queue."""
    publisher = ConfirmedPublisher(amqp_uri)
    replayed = []
    try:
        with parked(amqp_uri, limit) as (channel, messages):
            for message in messages:
                view = _view(message)
                if message_ids is not None and view["message_id"] not in message_ids:
                    continue
                if not view["exchange"]:
                    raise ValueError(f"parked message {view['message_id']} has no original exchange")
                headers = {k: v for k, v in dict(message.headers or {}).items()
                           if k not in PARKING_HEADERS}
                headers["x-replays"] = view["replays"] + 1
                publisher.publish(message.body, view["exchange"], view["routing_key"],
                                  message_id=view["message_id"] or "", headers=headers,
                                  content_type=message.properties.get("content_type", "application/json"))
                channel.basic_ack(message.delivery_tag)
                replayed.append(view)
    finally:
        publisher.close()
    return replayed
