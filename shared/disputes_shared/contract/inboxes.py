"""The receiving side of the published contract: each agency's inbox as an AsyncAPI ``receive``
operation, and the AMQP properties every message carries.

An outside system declares its inbox itself, with the very arguments the platform uses (the
broker refuses a declaration that differs: ``406 PRECONDITION_FAILED - inequivalent arg``), binds
it as ``routing.SUBSCRIPTIONS`` says, and consumes with manual acknowledgements. Everything here
is generated from ``routing`` and the payload schemas, so the document cannot say otherwise.
"""

from __future__ import annotations

from typing import Any

from .agencies import Agency
from .payloads import PAYLOAD_SCHEMAS
from .routing import (
    AGENCY_QUEUE_ARGUMENTS,
    CASE_EXCHANGE_ARGUMENTS,
    CASE_ID_HEADER,
    CASE_SEQUENCE_HEADER,
    DEAD_LETTER_EXCHANGE,
    DEFAULT_SHARDS,
    DELIVERY_LIMIT,
    SHARD_QUEUE_ARGUMENTS,
    SHARD_WEIGHT,
    SUBSCRIPTIONS,
    Binding,
    case_exchange_name,
    is_sharded,
    queue_name,
)

AMQP_BINDING_VERSION = "0.3.0"

# The AMQP basic properties: what the platform sets on every event it publishes, and what a
# consumer of the contract relies on. ``required``: conformance fails a message without it.
MESSAGE_PROPERTIES: dict[str, dict[str, Any]] = {
    "delivery_mode": {"value": 2, "required": True, "description": (
        "2 (persistent): the message survives a broker restart on the quorum queues")},
    "content_type": {"value": "application/json", "required": True, "description": (
        "The body is one JSON envelope")},
    "content_encoding": {"value": "utf-8", "required": False, "description": (
        "The body's text encoding, set by the platform; a body that is not valid UTF-8 is parked")},
    "message_id": {"required": True, "description": (
        "The envelope's event_id, unchanged on every resend; the broker's returns and "
        "conformance's duplicate check go by it")},
    "app_id": {"required": False, "description": (
        "The publishing agency (its source_agency): set by the client kit, so a body too broken "
        "to name its sender is still charged to it by conformance; the platform's own relay "
        "leaves it unset, as the envelope says who sent it")},
    "type": {"required": False, "description": (
        "Not set by the platform and not read: the envelope's event_type and the routing key "
        "say what the message is")},
    "correlation_id": {"required": False, "description": (
        "Not set by the platform and not read: the envelope's correlation_id is the one that "
        "counts")},
    "headers": {"required": False, "description": (
        f"On events, {CASE_ID_HEADER}: the envelope's case_id, which the platform's inboxes are "
        "sharded by (a message without it is still delivered, its cases in one shard); "
        f"{CASE_SEQUENCE_HEADER} (optional, a positive integer): the publisher's place of the "
        "event among its case's events, rising in the order it sends them (the platform's relays "
        "set it; a consumer notices an event that comes after a later one of its case from the "
        "same publisher, and a message without it is applied unchecked); "
        "a parked message carries x-parked-reason, x-parked-by, x-parked-at, "
        "x-original-exchange, x-original-routing-key (or the broker's x-death); a header "
        "naming a compression gets the message parked as it came")},
}


def message_ids_of(binding: Binding) -> list[tuple[str, int]]:
    """The (event_type, major) pairs a binding's routing key lets into a queue."""
    if binding.routing_key == "#":
        return sorted(PAYLOAD_SCHEMAS)
    event_type, version, _ = binding.routing_key.rsplit(".", 2)
    major = int(version.removeprefix("v"))
    return [(event_type, major)] if (event_type, major) in PAYLOAD_SCHEMAS else []


def inbox_channel_id(agency: Agency) -> str:
    return f"inbox-{agency}"


def inbox_channel(agency: Agency, message_key: Any) -> dict[str, Any]:
    """The agency's queue (or a platform service's shards), its arguments and bindings, and
    every message that can reach it."""
    bindings = SUBSCRIPTIONS[agency]
    keys = sorted({message_key(t, m) for binding in bindings for t, m in message_ids_of(binding)})
    if is_sharded(agency):
        return _shards_channel(agency, keys)
    return {
        "address": queue_name(agency),
        "title": f"{agency}'s inbox",
        "description": (
            f"The quorum queue `{queue_name(agency)}`, durable, declared with exactly the "
            f"arguments in `x-arguments` (a declaration with any other is refused with 406 "
            f"PRECONDITION_FAILED), bound by `x-bindings`. A message handed out {DELIVERY_LIMIT} "
            f"times unsettled is dead-lettered to `{DEAD_LETTER_EXCHANGE}`."),
        "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in keys},
        "bindings": {"amqp": {
            "is": "queue",
            "queue": {"name": queue_name(agency), "durable": True, "exclusive": False,
                      "autoDelete": False, "vhost": "/"},
            "x-arguments": dict(AGENCY_QUEUE_ARGUMENTS),
            "x-bindings": [{"exchange": b.exchange, "routingKey": b.routing_key} for b in bindings],
            "bindingVersion": AMQP_BINDING_VERSION}},
    }


def _shards_channel(agency: Agency, keys: list[str]) -> dict[str, Any]:
    """A platform service's inbox: shards behind a consistent-hash exchange. Described so that
    an outside system knows where its messages go (it publishes as to any agency, with the
    case id header); only the platform's service consumes them."""
    shard = f"{queue_name(agency)}.{{shard}}"
    exchange = case_exchange_name(agency)
    return {
        "address": shard,
        "title": f"{agency}'s inbox, in shards by case",
        "description": (
            f"The topic exchanges route to the consistent-hash exchange `{exchange}` as "
            f"`x-bindings` says; it sends each message, by its `{CASE_ID_HEADER}` header (a "
            f"message without it goes to one shard, always the same), to one of the quorum "
            f"queues `{shard}` (0 up to the deployment's shard count, by default "
            f"{DEFAULT_SHARDS}), each with a single active consumer: a case's events are "
            f"applied in the order published, whichever replica of the service is active. A "
            f"message handed out {DELIVERY_LIMIT} times unsettled is dead-lettered to "
            f"`{DEAD_LETTER_EXCHANGE}`."),
        "parameters": {"shard": {"description": "The shard's number, from 0"}},
        "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in keys},
        "bindings": {"amqp": {
            "is": "queue",
            "queue": {"name": shard, "durable": True, "exclusive": False,
                      "autoDelete": False, "vhost": "/"},
            "x-arguments": dict(SHARD_QUEUE_ARGUMENTS),
            "x-hash-exchange": {"name": exchange, "type": "x-consistent-hash",
                                "arguments": dict(CASE_EXCHANGE_ARGUMENTS),
                                "shardWeight": SHARD_WEIGHT},
            "x-bindings": [{"exchange": b.exchange, "routingKey": b.routing_key}
                           for b in SUBSCRIPTIONS[agency]],
            "bindingVersion": AMQP_BINDING_VERSION}},
    }


def receive_operation(agency: Agency) -> dict[str, Any]:
    channel = inbox_channel_id(agency)
    return {
        "action": "receive",
        "title": f"{agency} receives",
        "description": (
            "Consume with manual acknowledgements: ack a message once its effect is committed "
            "(a redelivery repeats the event_id: apply each event once); a message that cannot "
            f"be handled is published to `{DEAD_LETTER_EXCHANGE}` with the x-parked headers, then "
            "acked, never dropped. An answer to a handoff goes back on `disputes.events` to the "
            "requester, carrying the dossier's handoff_id and correlation_id."),
        "channel": {"$ref": f"#/channels/{channel}"},
        "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING_VERSION}},
    }


def message_properties_trait() -> dict[str, Any]:
    """What every event message carries beside its body, as an AsyncAPI message trait."""
    return {
        "headers": {"type": "object", "description": MESSAGE_PROPERTIES["headers"]["description"]},
        "correlationId": {"description": "The case's correlation id, in the envelope",
                          "location": "$message.payload#/correlation_id"},
        "bindings": {"amqp": {"contentEncoding": "utf-8", "bindingVersion": AMQP_BINDING_VERSION,
                              "x-properties": MESSAGE_PROPERTIES}},
    }
