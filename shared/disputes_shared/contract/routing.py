"""Exchanges, routing keys and who listens to what: part of the contract.

Routing key: ``<event_type>.v<major>.<addressee>``, e.g. ``case.filed.v1.all`` or
``handoff.accepted.v1.intake``. The addressee is the agency a message is meant for, or ``all``
for a broadcast. Lifecycle events (no personal data) go to the ``disputes.events`` topic
exchange; a handoff's dossier (personal data) goes to ``disputes.dossiers`` and only the
receiving agency's queue is bound to it for that agency.
"""

from __future__ import annotations

from dataclasses import dataclass

from .agencies import Agency
from .envelope import Envelope

EVENTS_EXCHANGE = "disputes.events"
DOSSIERS_EXCHANGE = "disputes.dossiers"
DEAD_LETTER_EXCHANGE = "disputes.dead-letters"
# A stream (see ``kit.broker``); releases before it parked into a quorum queue named like the
# exchange, which an operator drains and deletes once (see the operations notes).
DEAD_LETTER_QUEUE = "disputes.parked"
BROADCAST = "all"

# How often the broker hands a message out before it gives up on it. A consumer that crashes
# or loses its connection holding a message has it redelivered; the tenth time it is poison.
# Stated explicitly because RabbitMQ 4 defaults quorum queues to 20 and then drops the message
# unless a dead-letter exchange is set: ours is, with at-least-once dead-lettering (which needs
# ``reject-publish`` overflow; no length limit is set, so the overflow never applies). Every
# declarer must use these arguments: the broker refuses a declaration that differs.
DELIVERY_LIMIT = 10
AGENCY_QUEUE_ARGUMENTS = {
    "x-queue-type": "quorum",
    "x-delivery-limit": DELIVERY_LIMIT,
    "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
}
# The same as a policy, for a queue an older release declared without them (the broker refuses
# to change a queue's arguments): ``rabbitmqctl set_policy --apply-to queues disputes-inboxes
# '^disputes\..+\.inbox$' '<this as JSON>'``.
AGENCY_QUEUE_POLICY = {key.removeprefix("x-"): value for key, value in AGENCY_QUEUE_ARGUMENTS.items()
                       if key != "x-queue-type"}
# Parked messages live on a stream: reading one is not a delivery, so listing them neither
# counts toward a limit nor takes them off; what has been replayed is recorded beside them.
PARKING_QUEUE_ARGUMENTS = {"x-queue-type": "stream"}

# Event types sent to one agency: the payload field naming it. Every other type is broadcast.
ADDRESSED_BY: dict[str, str] = {
    "handoff.requested": "to_agency",
    "handoff.dossier": "to_agency",
    "handoff.accepted": "from_agency",  # the answer goes back to the requester
    "handoff.returned": "from_agency",
}
# Event types not on the lifecycle exchange: personal data travels on its own.
EXCHANGE_OF: dict[str, str] = {"handoff.dossier": DOSSIERS_EXCHANGE}


def addressee(envelope: Envelope) -> str:
    field = ADDRESSED_BY.get(envelope.event_type)
    return str(envelope.payload[field]) if field else BROADCAST


def exchange_of(event_type: str) -> str:
    return EXCHANGE_OF.get(event_type, EVENTS_EXCHANGE)


def routing_key(event_type: str, major: int, to: str) -> str:
    return f"{event_type}.v{major}.{to}"


def route(envelope: Envelope) -> tuple[str, str]:
    """The exchange and routing key an envelope is published with."""
    return (exchange_of(envelope.event_type),
            routing_key(envelope.event_type, envelope.major, addressee(envelope)))


def queue_name(agency: Agency) -> str:
    return f"disputes.{agency}.inbox"


@dataclass(frozen=True)
class Binding:
    exchange: str
    routing_key: str


def _handoff_desk(agency: Agency) -> list[Binding]:
    """An agency that receives handoffs and answers them, and also hands cases on."""
    return [
        Binding(DOSSIERS_EXCHANGE, f"handoff.dossier.v1.{agency}"),
        Binding(EVENTS_EXCHANGE, f"handoff.accepted.v1.{agency}"),
        Binding(EVENTS_EXCHANGE, f"handoff.returned.v1.{agency}"),
    ]


SUBSCRIPTIONS: dict[Agency, list[Binding]] = {
    Agency.INTAKE: [
        Binding(EVENTS_EXCHANGE, "handoff.accepted.v1.intake"),
        Binding(EVENTS_EXCHANGE, "handoff.returned.v1.intake"),
        Binding(EVENTS_EXCHANGE, "case.closed.v1.all"),
    ],
    Agency.MEDIATION: _handoff_desk(Agency.MEDIATION),
    Agency.LEGAL_AID: [
        *_handoff_desk(Agency.LEGAL_AID),
        # Representation follows the case: the aid centre learns where the case goes next.
        Binding(EVENTS_EXCHANGE, "handoff.requested.v1.arbitration"),
        Binding(EVENTS_EXCHANGE, "handoff.requested.v1.courts"),
        Binding(EVENTS_EXCHANGE, "case.closed.v1.all"),
    ],
    Agency.ARBITRATION: _handoff_desk(Agency.ARBITRATION),
    Agency.COURTS: _handoff_desk(Agency.COURTS),
    Agency.LABOR_INSPECTION: _handoff_desk(Agency.LABOR_INSPECTION),
    Agency.TRAIL: [Binding(EVENTS_EXCHANGE, "#")],
}
