"""The service-layer base of an agency that receives handoffs (mediation, legal aid,
arbitration, courts): its case record, the desk, the table of events it handles, and the
routine parts of taking up, answering and handing on a case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from ..agency_case import AgencyCase
from ..clocks.keeper import ClockKeeper
from ..clocks.statutory import StatutoryClock
from ..contract.agencies import Agency
from ..contract.envelope import Envelope
from ..contract.handoff import Handoff, HandoffPurpose
from ..contract.lifecycle import CaseState, UnknownCase, move_of, state_when_requested
from ..contract.reads import ReadVia, declared_purpose, dossier_fields, read_recorded
from ..contract.vocabularies import ReadPurpose
from ..ports import ERASED, CaseRepository, UnitOfWork, case_lock_name
from .erasure import ERASED_EVENT, act_on_erasure, shown
from .handoff_desk import HandoffDesk, HandoffRefused

C = TypeVar("C", bound=AgencyCase)
U = TypeVar("U", bound=UnitOfWork)
EventHandler = Callable[[Any, Envelope], str]


class ReceivingAgency(Generic[C, U]):
    agency: Agency
    case_class: type[C]

    def __init__(self, clocks: ClockKeeper | None = None) -> None:
        self.desk = HandoffDesk(self.agency)
        self.clocks = clocks or ClockKeeper(self.agency)
        self.handlers: dict[str, EventHandler] = {
            "handoff.dossier": self.receive_dossier,
            "handoff.accepted": self.record_handoff_answer,
            "handoff.returned": self.record_handoff_answer,
            ERASED_EVENT: self.erase_on_request,
            **self.broadcast_handlers(),
        }

    def broadcast_handlers(self) -> dict[str, EventHandler]:
        """Events of other agencies this agency follows (legal aid follows the case's end...)."""
        return {}

    def handle(self, uow: U, envelope: Envelope) -> str:
        handler = self.handlers.get(envelope.event_type)
        return "ignored" if handler is None else handler(uow, envelope)

    def cases(self, uow: U) -> CaseRepository[C]:
        return uow.cases  # type: ignore[attr-defined]

    def case(self, uow: U, case_id: str) -> C:
        # Held before its row, as an event of the case holds it, so that a command, an event
        # and a clock of one case take turns in one order (no deadlock between them).
        uow.hold(case_lock_name(case_id))
        found = self.cases(uow).get(case_id)
        if found is None:
            raise UnknownCase(f"{self.agency} holds no case {case_id}")
        return found

    def event(self, case: AgencyCase, event_type: str, payload: dict[str, Any],
              at: datetime) -> Envelope:
        """An event this agency announces about a case, applied to the case's own state."""
        case.move(event_type)
        return self.fact(case, event_type, payload, at)

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

    # -- handoffs to this agency -------------------------------------------------------------

    def receive_dossier(self, uow: U, envelope: Envelope) -> str:
        """A case handed here: stored as waiting for this agency to take it up. A dossier never
        overwrites a case this agency is still working on."""
        handoff = self.desk.receive(uow, envelope)
        repository = self.cases(uow)
        held = repository.get(handoff.case_id)
        if held is not None and not held.may_receive_again(handoff.purpose):
            raise HandoffRefused(f"{self.agency} holds case {handoff.case_id} already "
                                 f"({held.state}); a dossier for {handoff.purpose} does not "
                                 f"replace it")
        case = self.case_class(
            case_id=handoff.case_id, correlation_id=envelope.correlation_id,
            handoff_id=handoff.handoff_id, purpose=str(handoff.purpose),
            dossier=envelope.payload["dossier"],
            state=self.case_class.state_enum(state_when_requested(handoff.purpose)),
            received_at=handoff.requested_at,
        )
        self.prepare(case, handoff)
        if held is None:
            repository.add(case)
        else:  # handed here again (after a return elsewhere): a new stay starts afresh
            repository.save(case)
        refusal = self.take_in(uow, case, handoff)
        if refusal is not None:
            self.return_handoff(uow, handoff.handoff_id, refusal)
        return "handled"

    def prepare(self, case: C, handoff: Handoff) -> None:
        """Fill the agency's own fields of a case just received."""

    def take_in(self, uow: U, case: C, handoff: Handoff) -> str | None:
        """The agency's own work on a case just received (a clock to start...); returns why
        the case goes back at once (a station full...), if it does."""
        return None

    def pending(self, uow: U) -> list[Handoff]:
        """Handoffs waiting for this agency, in the order its staff should take them up."""
        return self.desk.pending(uow)

    def accept_handoff(self, uow: U, handoff_id: str, **details: Any) -> Handoff:
        """Take up a case handed here; ``details``: the agency's own choices on taking it up
        (a mediator, a lawyer...)."""
        handoff = self.desk.inbound(uow, handoff_id)
        case = self.case(uow, handoff.case_id)
        answer = self.desk.accept(uow, handoff, case.correlation_id)
        case.move(move_of(answer.event_type, handoff.purpose))
        case.accepted_at = handoff.answered_at
        uow.emit(*self.after_acceptance(uow, case, handoff, details))
        self.cases(uow).save(case)
        return handoff

    def return_handoff(self, uow: U, handoff_id: str, reason: str) -> Handoff:
        """Send a case handed here back to its requester, with the reason."""
        handoff = self.desk.inbound(uow, handoff_id)
        case = self.case(uow, handoff.case_id)
        answer = self.desk.return_(uow, handoff, case.correlation_id, reason)
        case.move(move_of(answer.event_type, handoff.purpose))
        uow.emit(*self.after_return(uow, case, handoff))
        self.cases(uow).save(case)
        return handoff

    def after_return(self, uow: U, case: C, handoff: Handoff) -> list[Envelope]:
        """The agency's own work on returning a case (a clock to stop...)."""
        return []

    def after_acceptance(self, uow: U, case: C, handoff: Handoff,
                         details: dict[str, Any]) -> list[Envelope]:
        """The agency's own work on accepting (assigning a mediator, a lawyer...)."""
        if details:
            raise TypeError(f"unexpected details {sorted(details)}")
        return []

    # -- handoffs this agency made -----------------------------------------------------------

    def record_handoff_answer(self, uow: U, envelope: Envelope) -> str:
        """The agency a case was handed to accepted or returned it."""
        handoff = self.desk.record_answer(uow, envelope)
        case = self.case(uow, handoff.case_id)
        case.move(move_of(envelope.event_type, handoff.purpose))
        self.cases(uow).save(case)
        return "handled"

    # -- personal data -----------------------------------------------------------------------

    def erase_on_request(self, uow: U, envelope: Envelope) -> str:
        """Intake erased a case's personal data: this agency erases its own copy, if it holds
        one, and the free text it kept of the case in the clear. Without the case, the case's
        key is destroyed all the same if a dossier of it was parked here, sealed under it."""
        case = self.cases(uow).get(envelope.case_id)
        outcome = act_on_erasure(uow, self.agency, envelope)
        if outcome == "handled" and case is not None:
            case.erase()
            self.cases(uow).save(case)
        return outcome

    def personal_data(self, uow: U, case_id: str) -> dict[str, Any]:
        """PIPL art. 45: what this agency holds of the worker in a case (the dossier it was
        handed), for the worker's copy."""
        case = self.case(uow, case_id)
        dossier: Any = case.dossier  # ERASED once its key is destroyed
        if dossier is not ERASED:  # the copy is a read like any other: recorded
            uow.emit(read_recorded(case_id=case.case_id, correlation_id=case.correlation_id,
                                   agency=self.agency, fields=dossier_fields(dossier),
                                   purpose=ReadPurpose.DATA_SUBJECT, via=ReadVia.RPC,
                                   at=uow.clock.now()))
        return {"service": str(self.agency), "case_id": case_id, "dossier": shown(dossier)}

    # -- staff lists -------------------------------------------------------------------------

    def open_cases(self, uow: U, state: str | None = None) -> list[dict[str, Any]]:
        repository = self.cases(uow)
        found = repository.in_states([state]) if state else repository.not_in_states([CaseState.CLOSED])
        return [self.view(case) for case in found]

    def view(self, case: C) -> dict[str, Any]:
        return case_view(case)

    def read_dossier(self, uow: U, case_id: str, purpose: str) -> dict[str, Any]:
        """A case's dossier for the staff working it, for a declared purpose; the read is
        recorded (``personal_data.read``) in this transaction, so it is answered only once the
        record is committed."""
        why = declared_purpose(purpose)
        case = self.case(uow, case_id)
        uow.emit(read_recorded(case_id=case.case_id, correlation_id=case.correlation_id,
                               agency=self.agency, fields=dossier_fields(case.dossier),
                               purpose=why, via=ReadVia.RPC, at=uow.clock.now()))
        return {**self.view(case), "dossier": case.dossier}

    def on_clock_elapsed(self, uow: U, clock: StatutoryClock) -> list[Envelope]:
        """What follows, in this agency, from one of its statutory clocks running out."""
        return []


def case_view(case: AgencyCase, **extra: Any) -> dict[str, Any]:
    """An agency's case without the personal data, for staff work lists and the CLI."""
    return {
        "case_id": case.case_id, "state": str(case.state), "purpose": case.purpose,
        "received_at": case.received_at.isoformat(),
        "accepted_at": case.accepted_at.isoformat() if case.accepted_at else None,
        "history": case.history, **extra,
    }
