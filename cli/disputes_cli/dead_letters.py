"""``disputes dead-letters``: read the parked messages, and send chosen ones back.

Parked messages are kept on a stream: reading them takes none off and is not a delivery, so
listing changes nothing and cannot lose or reorder one. A replayed message stays on the stream
with a record that it was sent back (only after the broker confirmed the re-publication to
where it first went), so it is listed no more and never replayed twice.
"""

from __future__ import annotations

import json
from typing import Any

from disputes_shared.contract.routing import REPLAYS_HEADER
from disputes_shared.kit.broker import (
    ConfirmedPublisher,
    ParkedMessage,
    read_parked,
    record_replayed,
)
from disputes_shared.plumbing.parked_personal_data import (
    CASE_ID,
    EVENT_TYPE,
    PAYLOAD_FIELDS,
    SEALED,
    WITHHELD,
)

# Headers of the parking itself (ours, and the broker's when a delivery limit parked it): not
# sent on with a replayed message.
PARKING_HEADERS = ("x-parked-reason", "x-parked-by", "x-parked-at", "x-original-exchange",
                   "x-original-routing-key", "x-original-user-id", "x-death", "x-first-death-exchange",
                   "x-first-death-queue", "x-first-death-reason", "x-delivery-count")


def _view(message: ParkedMessage) -> dict[str, Any]:
    """What an operator is shown of a parked message: where it went and why it was parked, its
    size and its payload's field names; never its values (a dossier names the worker)."""
    headers = message.headers
    return {
        "message_id": message.message_id,
        "reason": message.reason, "parked_by": message.parked_by,
        "parked_at": message.parked_at,
        "exchange": message.original_exchange,
        "routing_key": message.original_routing_key,
        **_what(message),
        "replays": int(headers.get(REPLAYS_HEADER, 0)),
        "body_bytes": len(message.body),
        "personal_data": "sealed" if SEALED in headers else "withheld" if WITHHELD in headers else None,
    }


def _what(message: ParkedMessage) -> dict[str, Any]:
    """The event type, case and payload field names: from the headers of a dossier parked
    sealed (or without its body), else from the body."""
    headers = message.headers
    if EVENT_TYPE in headers:
        fields = str(headers.get(PAYLOAD_FIELDS) or "")
        return {"event_type": headers[EVENT_TYPE] or None, "case_id": headers.get(CASE_ID) or None,
                "payload_fields": fields.split(",") if fields else None}
    try:
        document = json.loads(message.body.decode("utf-8", "replace"))
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return {"event_type": None, "case_id": None, "payload_fields": None}
    payload = document.get("payload")
    return {"event_type": document.get("event_type"), "case_id": document.get("case_id"),
            "payload_fields": sorted(payload) if isinstance(payload, dict) else None}


def waiting(amqp_uri: str) -> list[ParkedMessage]:
    """The parked messages not yet replayed, in the order parked."""
    return [m for m in read_parked(amqp_uri) if not m.replayed]


def list_parked(amqp_uri: str, limit: int = 100) -> list[dict[str, Any]]:
    return [_view(m) for m in waiting(amqp_uri)[:limit]]


def replay(amqp_uri: str, message_ids: set[str] | None, limit: int = 10000) -> list[dict[str, Any]]:
    """Publish the chosen parked messages (all, when ``message_ids`` is None) back to their
    original exchange and routing key, in the order parked, and record each as replayed."""
    chosen = [m for m in waiting(amqp_uri)
              if message_ids is None or m.message_id in message_ids][:limit]
    publisher = ConfirmedPublisher(amqp_uri)
    replayed = []
    try:
        for message in chosen:
            view = _view(message)
            if not view["exchange"]:
                raise ValueError(f"parked message {view['message_id']} has no original exchange")
            headers = {k: v for k, v in message.headers.items() if k not in PARKING_HEADERS}
            headers[REPLAYS_HEADER] = view["replays"] + 1
            # As the user that first sent it (the operator's user may impersonate), so that its
            # consumer takes it as that agency's once more.
            publisher.publish(message.body, view["exchange"], view["routing_key"],
                              message_id=view["message_id"] or "", headers=headers,
                              content_type=message.properties.get("content_type", "application/json"),
                              user_id=message.original_user_id)
            # A crash right here sends it again on the next replay; consumers drop the
            # duplicate by its event id.
            record_replayed(publisher, message)
            replayed.append(view)
    finally:
        publisher.close()
    return replayed
