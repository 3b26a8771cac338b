"""The handoff protocol as every agency runs it: request, receive, accept or return, answer.

The desk keeps the handoff records and their events the same for every agency, and enforces who
may say what: only the requester sends a dossier, only the addressee answers, a handoff is
answered once. It changes no case: it returns what happened, and the agency's service layer
does its own work with that.
"""

from __future__ import annotations

from typing import Any

from ..contract.agencies import Agency
from ..contract.envelope import Envelope
from ..contract.handoff import Handoff, HandoffPurpose, HandoffStatus
from ..contract.handoff_events import handoff_answer_event, handoff_from_payload, handoff_request_events
from ..ports import UnitOfWork, case_lock_name


class UnknownHandoff(LookupError):
    pass


class HandoffRefused(ValueError):
    """A handoff message its sender may not send, or that this agency may not act on; it
    changes nothing (a consumer parks it with this reason)."""


class HandoffDesk:
    def __init__(self, agency: Agency) -> None:
        self.agency = Agency(agency)

    # -- outbound ----------------------------------------------------------------------------

    def request(self, uow: UnitOfWork, *, case_id: str, correlation_id: str,
                purpose: HandoffPurpose, dossier: dict[str, Any], cause: str | None = None,
                reason: str | None = None, to_unit: str | None = None,
                worked_seconds: float | None = None) -> Handoff:
        """Hand a case on (see ``handoff_request_events``); ``worked_seconds``: how long this
        agency worked on the case since taking it up."""
        handoff = Handoff.request(case_id, self.agency, purpose, uow.clock.now(), reason=reason,
                                  to_unit=to_unit)
        uow.handoffs.add(handoff)
        uow.emit(*handoff_request_events(handoff, correlation_id, dossier, cause, worked_seconds))
        return handoff

    def record_answer(self, uow: UnitOfWork, envelope: Envelope) -> Handoff:
        """``handoff.accepted`` / ``handoff.returned`` for a handoff this agency requested,
        sent by the agency it was addressed to, while it is still pending."""
        payload = envelope.payload
        handoff = uow.handoffs.get(payload["handoff_id"])
        if handoff is None or handoff.from_agency != self.agency:
            raise UnknownHandoff(f"{self.agency} requested no handoff {payload['handoff_id']}")
        if envelope.source_agency != handoff.to_agency:
            raise HandoffRefused(f"{envelope.event_type} of handoff {handoff.handoff_id} came from "
                                 f"{envelope.source_agency}; only {handoff.to_agency}, to which "
                                 f"it was addressed, may answer it")
        if handoff.status is not HandoffStatus.PENDING:
            raise HandoffRefused(f"handoff {handoff.handoff_id} was already {handoff.status}; "
                                 f"{envelope.event_type} answers it a second time")
        if envelope.event_type == "handoff.accepted":
            handoff.accept(payload["accepted_at"])
        else:
            handoff.return_(payload["returned_at"], payload["reason"])
        uow.handoffs.save(handoff)
        return handoff

    # -- inbound -----------------------------------------------------------------------------

    def receive(self, uow: UnitOfWork, envelope: Envelope) -> Handoff:
        """A dossier handed to this agency: the handoff is recorded as pending here. Only the
        agency that requested the handoff may send its dossier, and a handoff id is taken once."""
        payload = envelope.payload
        if payload["to_agency"] != self.agency:
            raise HandoffRefused(f"dossier for {payload['to_agency']} delivered to {self.agency}")
        if envelope.source_agency != payload["from_agency"]:
            raise HandoffRefused(f"dossier of a handoff from {payload['from_agency']} sent by "
                                 f"{envelope.source_agency}; only the requester sends its dossier")
        handoff = handoff_from_payload(envelope.case_id, payload)
        if uow.handoffs.get(handoff.handoff_id) is not None:
            raise HandoffRefused(f"handoff {handoff.handoff_id} was received already")
        uow.handoffs.add(handoff)
        return handoff

    def pending(self, uow: UnitOfWork) -> list[Handoff]:
        return uow.handoffs.pending_to(self.agency)

    def inbound(self, uow: UnitOfWork, handoff_id: str) -> Handoff:
        """A handoff addressed to this agency, to be answered."""
        seen = uow.handoffs.peek(handoff_id)
        if seen is not None:
            # Its case held before its row, as an event of the case holds them (no deadlock).
            uow.hold(case_lock_name(seen.case_id))
        handoff = uow.handoffs.get(handoff_id)
        if handoff is None or handoff.to_agency != self.agency:
            raise UnknownHandoff(f"no handoff {handoff_id} to {self.agency}")
        return handoff

    def accept(self, uow: UnitOfWork, handoff: Handoff, correlation_id: str) -> Envelope:
        """Accept an inbound handoff: the record and its ``handoff.accepted``, emitted."""
        handoff.accept(uow.clock.now())
        return self._answered(uow, handoff, correlation_id)

    def return_(self, uow: UnitOfWork, handoff: Handoff, correlation_id: str,
                reason: str) -> Envelope:
        """Return an inbound handoff with the reason: its ``handoff.returned``, emitted."""
        handoff.return_(uow.clock.now(), reason)
        return self._answered(uow, handoff, correlation_id)

    def _answered(self, uow: UnitOfWork, handoff: Handoff, correlation_id: str) -> Envelope:
        uow.handoffs.save(handoff)
        answer = handoff_answer_event(handoff, correlation_id)
        uow.emit(answer)
        return answer


def handoff_view(handoff: Handoff) -> dict[str, Any]:
    """A handoff as plain JSON-able data, for RPC answers and the CLI."""
    return {
        "handoff_id": handoff.handoff_id, "case_id": handoff.case_id,
        "from_agency": str(handoff.from_agency), "to_agency": str(handoff.to_agency),
        "purpose": str(handoff.purpose), "to_unit": handoff.to_unit,
        "requested_at": handoff.requested_at.isoformat(),
        "status": str(handoff.status),
        "answered_at": handoff.answered_at.isoformat() if handoff.answered_at else None,
        "wait_seconds": handoff.wait_seconds, "reason": handoff.reason,
        "pending": handoff.status is HandoffStatus.PENDING,
    }
