"""The handoff protocol as every agency runs it: request, receive, accept or return, answer.

Agency-specific work happens in the hooks an agency's service layer passes in; the desk keeps
the handoff records, the events and the transitions the same for every agency.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..contract.agencies import Agency
from ..contract.envelope import Envelope
from ..contract.handoff import Handoff, HandoffPurpose, HandoffStatus
from ..contract.handoff_events import handoff_answer_event, handoff_from_payload, handoff_request_events
from .unit_of_work import UnitOfWork


class UnknownHandoff(LookupError):
    pass


class DeskHooks(Protocol):
    def correlation_of(self, uow: Any, case_id: str) -> str:
        """The correlation id of the case, as this agency recorded it."""

    def on_received(self, uow: Any, handoff: Handoff, dossier: dict[str, Any],
                    envelope: Envelope) -> None:
        """A dossier arrived: store the case as waiting for this agency to take it up."""

    def on_answered_inbound(self, uow: Any, handoff: Handoff, answer: Envelope,
                            details: dict[str, Any]) -> list[Envelope]:
        """This agency accepted or returned a handoff: update its case, maybe emit more."""

    def on_answered_outbound(self, uow: Any, handoff: Handoff, envelope: Envelope) -> None:
        """The other agency answered a handoff this agency requested."""


class HandoffDesk:
    def __init__(self, agency: Agency, hooks: DeskHooks) -> None:
        self.agency = Agency(agency)
        self.hooks = hooks

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

    def record_answer(self, uow: UnitOfWork, envelope: Envelope) -> None:
        """``handoff.accepted`` / ``handoff.returned`` for a handoff this agency requested."""
        payload = envelope.payload
        handoff = uow.handoffs.get(payload["handoff_id"])
        if handoff is None or handoff.from_agency != self.agency:
            raise UnknownHandoff(f"{self.agency} requested no handoff {payload['handoff_id']}")
        if envelope.event_type == "handoff.accepted":
            handoff.accept(payload["accepted_at"])
        else:
            handoff.return_(payload["returned_at"], payload["reason"])
        uow.handoffs.save(handoff)
        self.hooks.on_answered_outbound(uow, handoff, envelope)

    # -- inbound -----------------------------------------------------------------------------

    def receive(self, uow: UnitOfWork, envelope: Envelope) -> None:
        payload = envelope.payload
        if payload["to_agency"] != self.agency:
            raise ValueError(f"dossier for {payload['to_agency']} delivered to {self.agency}")
        handoff = handoff_from_payload(envelope.case_id, payload)
        uow.handoffs.add(handoff)
        self.hooks.on_received(uow, handoff, payload["dossier"], envelope)

    def pending(self, uow: UnitOfWork) -> list[Handoff]:
        return uow.handoffs.pending_to(self.agency)

    def accept(self, uow: UnitOfWork, handoff_id: str, **details: Any) -> Handoff:
        handoff = self._inbound(uow, handoff_id)
        handoff.accept(uow.clock.now())
        return self._answered(uow, handoff, details)

    def return_(self, uow: UnitOfWork, handoff_id: str, reason: str) -> Handoff:
        handoff = self._inbound(uow, handoff_id)
        handoff.return_(uow.clock.now(), reason)
        return self._answered(uow, handoff, {})

    def _inbound(self, uow: UnitOfWork, handoff_id: str) -> Handoff:
        handoff = uow.handoffs.get(handoff_id)
        if handoff is None or handoff.to_agency != self.agency:
            raise UnknownHandoff(f"no handoff {handoff_id} to {self.agency}")
        return handoff

    def _answered(self, uow: UnitOfWork, handoff: Handoff, details: dict[str, Any]) -> Handoff:
        uow.handoffs.save(handoff)
        answer = handoff_answer_event(handoff, self.hooks.correlation_of(uow, handoff.case_id))
        uow.emit(answer)
        uow.emit(*self.hooks.on_answered_inbound(uow, handoff, answer, details))
        return handoff


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
