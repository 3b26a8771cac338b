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
from .events import Envelope

EVENTS_EXCHANGE = "disputes.events"
DOSSIERS_EXCHANGE = "disputes.dossiers"
DEAD_LETTER_EXCHANGE = "disputes.dead-letters"
DEAD_LETTER_QUEUE = "disputes.dead-letters"
BROADCAST = "all"


def addressee(envelope: Envelope) -> str:
    if envelope.event_type == "handoff.dossier" or envelope.event_type == "handoff.requested":
        return str(envelope.payload["to_agency"])
    if envelope.event_type in ("handoff.accepted", "handoff.returned"):
        return str(envelope.payload["from_agency"])  # the answer goes back to the requester
    return BROADCAST


def route(envelope: Envelope) -> tuple[str, str]:
    """The exchange and routing key an envelope is published with."""
    exchange = DOSSIERS_EXCHANGE if envelope.event_type == "handoff.dossier" else EVENTS_EXCHANGE
    return exchange, f"{envelope.event_type}.v{envelope.major}.{addressee(envelope)}"


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
    Agency.TRAIL: [Binding(EVENTS_EXCHANGE, "#")],
}
