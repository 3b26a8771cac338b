"""The service-layer base of an agency that receives handoffs (mediation, legal aid,
arbitration, courts): its case record, the desk, and the routine parts of handling events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, String

from ..agency_case import AgencyCase
from ..clocks.keeper import ClockKeeper
from ..clocks.statutory import StatutoryClock
from ..contract.agencies import Agency
from ..contract.envelope import Envelope
from ..contract.handoff import Handoff, HandoffPurpose
from ..contract.lifecycle import UnknownCase, move_of, state_when_requested
from .column_types import JsonDocument, UtcDateTime
from .handoff_desk import HandoffDesk
from .repositories import DataclassRepository
from .unit_of_work import UnitOfWork


def agency_case_columns() -> list[Column[Any]]:
    return [
        Column("case_id", String(64), primary_key=True),
        Column("correlation_id", String(64), nullable=False),
        Column("handoff_id", String(36), nullable=False),
        Column("purpose", String(32), nullable=False),
        Column("dossier", JsonDocument, nullable=False),
        Column("state", String(32), nullable=False, index=True),
        Column("received_at", UtcDateTime, nullable=False),
        Column("accepted_at", UtcDateTime),
        Column("history", JsonDocument, nullable=False),
    ]


C = TypeVar("C", bound=AgencyCase)
U = TypeVar("U", bound=UnitOfWork)


class ReceivingAgency(Generic[C, U]):
    agency: Agency
    case_class: type[C]

    def __init__(self, clocks: ClockKeeper | None = None) -> None:
        self.desk = HandoffDesk(self.agency, self)
        self.clocks = clocks or ClockKeeper(self.agency)

    def cases(self, uow: U) -> DataclassRepository[C]:
        return uow.cases  # type: ignore[attr-defined]

    def case(self, uow: U, case_id: str) -> C:
        found = self.cases(uow).get(case_id)
        if found is None:
            raise UnknownCase(f"{self.agency} holds no case {case_id}")
        return found

    def event(self, case: AgencyCase, event_type: str, payload: dict[str, Any],
              at: datetime) -> Envelope:
        """An event this agency announces about a case, applied to the case's own state."""
        case.move(event_type)
        return Envelope(event_type=event_type, case_id=case.case_id, source_agency=self.agency,
                        occurred_at=at, payload=payload, correlation_id=case.correlation_id)

    def fact(self, case: AgencyCase, event_type: str, payload: dict[str, Any],
             at: datetime) -> Envelope:
        """An event that records a fact about a case without moving it (a session held...)."""
        return Envelope(event_type=event_type, case_id=case.case_id, source_agency=self.agency,
                        occurred_at=at, payload=payload, correlation_id=case.correlation_id)

    def hand_on(self, uow: U, case: AgencyCase, purpose: HandoffPurpose,
                reason: str) -> Handoff:
        case.move(move_of("handoff.requested", purpose))
        return self.desk.request(uow, case_id=case.case_id, correlation_id=case.correlation_id,
                                 purpose=purpose, dossier=case.onward_dossier(), reason=reason,
                                 worked_seconds=case.worked_seconds(uow.clock.now()))

    def closed(self, case: AgencyCase, outcome: str, amount_recovered: Any, at: datetime) -> Envelope:
        filed_at = case.dossier["filed_at"]
        filed = datetime.fromisoformat(filed_at) if isinstance(filed_at, str) else filed_at
        return self.event(case, "case.closed", {
            "outcome": outcome, "amount_recovered": amount_recovered,
            "days_open": max(0, (at - filed).days), "worked_seconds": case.worked_seconds(at)}, at)

    def close(self, uow: U, case_id: str, outcome: str = "abandoned") -> dict[str, Any]:
        """End a case the worker does not pursue further (withdrawn, or given up after a
        refusal); the transition table says from which states that is allowed."""
        case = self.case(uow, case_id)
        uow.emit(self.closed(case, outcome, 0, uow.clock.now()))
        self.clocks.stop_all(uow, case_id, f"case closed: {outcome}")
        self.cases(uow).save(case)
        return self.view(case)

    def sue(self, uow: U, case_id: str, reason: str) -> dict[str, Any]:
        """The worker takes the case to court: after arbitration refused it or did not decide in
        time (art. 29), or on an agreement; the transition table says from which states."""
        case = self.case(uow, case_id)
        self.hand_on(uow, case, HandoffPurpose.LITIGATION, reason=reason)
        self.cases(uow).save(case)
        return self.view(case)

    # -- events ------------------------------------------------------------------------------

    def handle(self, uow: U, envelope: Envelope) -> str:
        if envelope.event_type == "handoff.dossier":
            self.desk.receive(uow, envelope)
        elif envelope.event_type in ("handoff.accepted", "handoff.returned"):
            self.desk.record_answer(uow, envelope)
        else:
            return self.handle_broadcast(uow, envelope)
        return "handled"

    def open_cases(self, uow: U, state: str | None = None) -> list[dict[str, Any]]:
        table = self.cases(uow).table
        where = [table.c.state == state] if state else [table.c.state != "closed"]
        return [self.view(case) for case in self.cases(uow).find(*where)]

    def view(self, case: C) -> dict[str, Any]:
        return case_view(case)

    def handle_broadcast(self, uow: U, envelope: Envelope) -> str:
        return "ignored"

    def pending(self, uow: U) -> list[Handoff]:
        """Handoffs waiting for this agency, in the order its staff should take them up."""
        return self.desk.pending(uow)

    def on_clock_elapsed(self, uow: U, clock: StatutoryClock) -> list[Envelope]:
        """What follows, in this agency, from one of its statutory clocks running out."""
        return []

    # -- desk hooks --------------------------------------------------------------------------

    def correlation_of(self, uow: U, case_id: str) -> str:
        return self.case(uow, case_id).correlation_id

    def on_received(self, uow: U, handoff: Handoff, dossier: dict[str, Any],
                    envelope: Envelope) -> None:
        fresh = self.case_class(
            case_id=handoff.case_id, correlation_id=envelope.correlation_id,
            handoff_id=handoff.handoff_id, purpose=str(handoff.purpose), dossier=dossier,
            state=str(state_when_requested(handoff.purpose)), received_at=handoff.requested_at,
        )
        self.prepare(fresh, handoff)
        repository = self.cases(uow)
        if repository.get(handoff.case_id) is None:
            repository.add(fresh)
        else:  # handed here again (after a return elsewhere): a new stay starts afresh
            repository.save(fresh)

    def prepare(self, case: C, handoff: Handoff) -> None:
        """Fill the agency's own fields of a case just received."""

    def on_answered_inbound(self, uow: U, handoff: Handoff, answer: Envelope,
                            details: dict[str, Any]) -> list[Envelope]:
        case = self.case(uow, handoff.case_id)
        case.move(move_of(answer.event_type, handoff.purpose))
        if answer.event_type == "handoff.accepted":
            case.accepted_at = handoff.answered_at
        events = self.after_answer(uow, case, handoff, details)
        self.cases(uow).save(case)
        return events

    def after_answer(self, uow: U, case: C, handoff: Handoff,
                     details: dict[str, Any]) -> list[Envelope]:
        """The agency's own work on accepting (assigning a mediator, a lawyer...)."""
        if details:
            raise TypeError(f"unexpected details {sorted(details)}")
        return []

    def on_answered_outbound(self, uow: U, handoff: Handoff, envelope: Envelope) -> None:
        case = self.case(uow, handoff.case_id)
        case.move(move_of(envelope.event_type, handoff.purpose))
        self.cases(uow).save(case)


def case_view(case: AgencyCase, **extra: Any) -> dict[str, Any]:
    """An agency's case without the personal data, for staff work lists and the CLI."""
    return {
        "case_id": case.case_id, "state": case.state, "purpose": case.purpose,
        "received_at": case.received_at.isoformat(),
        "accepted_at": case.accepted_at.isoformat() if case.accepted_at else None,
        "history": case.history, **extra,
    }
