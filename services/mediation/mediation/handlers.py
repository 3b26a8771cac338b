"""Mediation's service layer: take up a case, mediate, and end or hand on; the station's
statutory clocks (art. 14's 15 days, the agreed payment date, art. 33's 30 days)."""

from __future__ import annotations

from datetime import date
from typing import Any

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.clocks.statutory import StatutoryClock, china_day
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import Handoff, HandoffPurpose
from disputes_shared.contract.stations import station
from disputes_shared.contract.strict import money
from disputes_shared.contract.vocabularies import SESSION_MODES
from disputes_shared.plumbing.agency import ReceivingAgency, case_view
from disputes_shared.regional import RegionalFigures, regional_figures

from .domain import (
    MediationCase,
    at_capacity,
    choose_mediator,
    difficulty,
    remedies_for_unpaid_agreement,
    station_mediators,
    subsidy,
)
from .ports import MediationUnitOfWork

MEDIATION_CLOCKS = (ClockKind.MEDIATION_WITHOUT_AGREEMENT, ClockKind.AGREEMENT_PERFORMANCE,
                    ClockKind.JUDICIAL_CONFIRMATION_WINDOW)
REMEDY_PURPOSES = {"judicial_confirmation": HandoffPurpose.JUDICIAL_CONFIRMATION,
                   "arbitration": HandoffPurpose.ARBITRATION,
                   "payment_order": HandoffPurpose.PAYMENT_ORDER}


class MediationRefused(ValueError):
    """A staff command the case's situation does not allow; nothing was changed."""


class Mediation(ReceivingAgency[MediationCase, MediationUnitOfWork]):
    agency = Agency.MEDIATION
    case_class = MediationCase

    def __init__(self, clocks: ClockKeeper | None = None,
                 figures: RegionalFigures | None = None) -> None:
        super().__init__(clocks)
        self.figures = figures or regional_figures()

    # -- receiving -----------------------------------------------------------------------------

    def prepare(self, case: MediationCase, handoff: Handoff) -> None:
        case.station_id = handoff.to_unit
        case.mediator_id = None
        case.amount_agreed = case.pay_by = case.amount_paid = None
        case.sessions, case.arbitration_offered = [], False
        case.difficulty = case.subsidy = None

    def take_in(self, uow: MediationUnitOfWork, case: MediationCase,
                handoff: Handoff) -> str | None:
        """A station that is full returns the case at once, so intake routes it on."""
        try:
            capacity = station(handoff.to_unit or "").capacity
        except KeyError:
            return f"no mediation station {handoff.to_unit!r} in the directory"
        active = uow.cases.active_count_at(handoff.to_unit or "")
        if at_capacity(capacity, active):
            return f"station at capacity ({active} of {capacity} cases in mediation)"
        return None

    def after_acceptance(self, uow: MediationUnitOfWork, case: MediationCase, handoff: Handoff,
                         details: dict[str, Any]) -> list:
        mediator_id = details.pop("mediator_id", None)
        super().after_acceptance(uow, case, handoff, details)
        if True:
            case.mediator_id = mediator_id or choose_mediator(
                station_mediators(case.station_id or ""), case.dossier.get("claim_types", ()),
                uow.cases.mediators_of_active_cases_at(case.station_id or ""))
            if case.labor_dispute:
                # Art. 14: 15 days from the day the station received the application.
                self.clocks.start(uow, ClockKind.MEDIATION_WITHOUT_AGREEMENT, case,
                                  event_day=china_day(case.received_at))
        return []

    # -- mediating -----------------------------------------------------------------------------

    def record_session(self, uow: MediationUnitOfWork, case_id: str, mode: str = "in_person",
                       note: str | None = None) -> dict[str, Any]:
        """A mediation session (in person or by video) was held."""
        case = self.case(uow, case_id)
        if case.state != "in_mediation":
            raise MediationRefused(f"case {case_id} is {case.state}, not in mediation")
        if mode not in SESSION_MODES:
            raise MediationRefused(f"a session is held {' or '.join(SESSION_MODES)}, not {mode!r}")
        now = uow.clock.now()
        session = {"number": len(case.sessions) + 1, "mode": mode, "held_at": now.isoformat(),
                   "mediator_id": case.mediator_id, "note": note}
        case.sessions = [*case.sessions, session]
        uow.emit(self.fact(case, "mediation.session_held", {
            "session_number": session["number"], "mode": mode, "mediator_id": case.mediator_id}, now))
        uow.cases.save(case)
        return self.view(case)

    def record_agreement(self, uow: MediationUnitOfWork, case_id: str, amount: Any,
                         pay_by: str) -> dict[str, Any]:
        """调解协议: the parties agreed; the employer pays ``amount`` by ``pay_by``."""
        case = self.case(uow, case_id)
        now = uow.clock.now()
        amount_agreed, due = money(amount), date.fromisoformat(pay_by)
        if due < china_day(now):
            raise MediationRefused(f"the agreed payment date {due} has already passed")
        case.amount_agreed, case.pay_by = amount_agreed, due
        # The court checks art. 33's 30 days against the day the agreement took effect.
        case.history = {**case.history, "mediation_agreement": str(case.amount_agreed),
                        "agreement_effective_on": china_day(now).isoformat()}
        uow.emit(self.event(case, "mediation.agreement_reached", {
            "amount_agreed": case.amount_agreed, "pay_by": case.pay_by,
            "mediator_id": case.mediator_id}, now))
        self.clocks.stop_any(uow, case.case_id, "agreement reached",
                             ClockKind.MEDIATION_WITHOUT_AGREEMENT)
        self.clocks.start(uow, ClockKind.AGREEMENT_PERFORMANCE, case, last_day=due)
        self.clocks.start(uow, ClockKind.JUDICIAL_CONFIRMATION_WINDOW, case)
        uow.emit(self._subsidy(case, "agreement", now))
        uow.cases.save(case)
        return self.view(case)

    def record_payment(self, uow: MediationUnitOfWork, case_id: str, amount: Any) -> dict[str, Any]:
        """The agreement was performed: the case ends here."""
        case = self.case(uow, case_id)
        case.amount_paid = money(amount)
        uow.emit(self.closed(case, "mediated", case.amount_paid, uow.clock.now()))
        self.clocks.stop_any(uow, case.case_id, "agreement performed", *MEDIATION_CLOCKS)
        uow.cases.save(case)
        return self.view(case)

    def refer_unpaid_agreement(self, uow: MediationUnitOfWork, case_id: str) -> dict[str, Any]:
        """The employer did not pay: the parties apply for judicial confirmation (司法确认)."""
        return self.pursue_unpaid_agreement(uow, case_id, "judicial_confirmation")

    def pursue_unpaid_agreement(self, uow: MediationUnitOfWork, case_id: str,
                                remedy: str) -> dict[str, Any]:
        """The worker takes an unpaid agreement further: judicial confirmation (人民调解法 art.
        33, within its 30 days), arbitration (劳动争议调解仲裁法 art. 15) or a payment order for
        wages, injury costs or compensation (art. 16)."""
        case = self.case(uow, case_id)
        if case.state != "agreement_reached":
            raise MediationRefused(f"case {case_id} is {case.state}, not an agreement awaiting payment")
        window_open = uow.clocks.running(case.case_id, ClockKind.JUDICIAL_CONFIRMATION_WINDOW) is not None
        open_remedies = remedies_for_unpaid_agreement(case, window_open)
        if remedy not in open_remedies:
            raise MediationRefused(f"{remedy} is not open to case {case_id}; open: "
                                   f"{', '.join(open_remedies) or 'none'}")
        self.clocks.stop_any(uow, case.case_id, f"{remedy} applied for", *MEDIATION_CLOCKS)
        self.hand_on(uow, case, REMEDY_PURPOSES[remedy],
                     reason=f"agreement of {case.amount_agreed} unpaid by {case.pay_by}")
        uow.cases.save(case)
        return self.view(case)

    def record_failure(self, uow: MediationUnitOfWork, case_id: str, reason: str,
                       refer_to_arbitration: bool = True) -> dict[str, Any]:
        """No agreement: the worker may apply for arbitration (art. 14); a civil dispute goes
        to court instead, labor arbitration being only for labor disputes (art. 2)."""
        case = self.case(uow, case_id)
        now = uow.clock.now()
        case.history = {**case.history, "mediation_failed": reason}
        uow.emit(self.event(case, "mediation.failed", {
            "reason": reason, "mediator_id": case.mediator_id}, now))
        self.clocks.stop_any(uow, case.case_id, "mediation ended without agreement",
                             ClockKind.MEDIATION_WITHOUT_AGREEMENT)
        uow.emit(self._subsidy(case, "failed", now))
        if refer_to_arbitration and case.labor_dispute:
            self.hand_on(uow, case, HandoffPurpose.ARBITRATION, reason=f"mediation failed: {reason}")
        elif refer_to_arbitration:
            self.hand_on(uow, case, HandoffPurpose.LITIGATION,
                         reason=f"mediation failed: {reason}; a civil dispute, not for labor arbitration")
        uow.cases.save(case)
        return self.view(case)

    def answer_arbitration_offer(self, uow: MediationUnitOfWork, case_id: str,
                                 worker_agrees: bool) -> dict[str, Any]:
        """After 15 days without agreement arbitration was offered (art. 14): the worker takes
        it (the case is handed to arbitration) or mediation goes on."""
        case = self.case(uow, case_id)
        if not case.arbitration_offered or case.state != "in_mediation":
            raise MediationRefused(f"no offer of arbitration is open on case {case_id}")
        case.arbitration_offered = False
        if worker_agrees:
            return self.record_failure(uow, case_id, "no agreement within 15 days (劳动争议调解仲裁法 "
                                       "art. 14); the worker chose arbitration")
        uow.emit(self.fact(case, "mediation.arbitration_declined", {
            "mediator_id": case.mediator_id}, uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def close(self, uow: MediationUnitOfWork, case_id: str, outcome: str = "abandoned") -> dict[str, Any]:
        """Withdrawn (or abandoned): the station's clocks stop; a withdrawal is still a case the
        mediator worked on, and is paid as one without agreement."""
        case = self.case(uow, case_id)
        now = uow.clock.now()
        mediating = case.state == "in_mediation"
        uow.emit(self.closed(case, outcome, 0, now))
        self.clocks.stop_any(uow, case_id, f"case closed: {outcome}", *MEDIATION_CLOCKS)
        if mediating:
            uow.emit(self._subsidy(case, "withdrawn", now))
        uow.cases.save(case)
        return self.view(case)

    def _subsidy(self, case: MediationCase, ended: str, at: Any) -> Envelope:
        """以案定补: the mediator's subsidy for this case, by its difficulty."""
        case.difficulty = difficulty(case)
        case.subsidy = subsidy(case.difficulty, ended == "agreement", self.figures)
        return self.fact(case, "mediation.subsidy_assessed", {
            "mediator_id": case.mediator_id, "difficulty": case.difficulty,
            "amount": case.subsidy, "ended": ended, "sessions": len(case.sessions)}, at)

    # -- clocks --------------------------------------------------------------------------------

    def on_clock_elapsed(self, uow: MediationUnitOfWork, clock: StatutoryClock) -> list[Envelope]:
        case = self.case(uow, clock.case_id)
        now = uow.clock.now()
        if clock.kind is ClockKind.MEDIATION_WITHOUT_AGREEMENT and case.state == "in_mediation":
            case.arbitration_offered = True
            uow.cases.save(case)
            return [self.fact(case, "mediation.arbitration_offered", {
                "citation": clock.rule.citation, "mediator_id": case.mediator_id}, now)]
        if clock.kind is ClockKind.AGREEMENT_PERFORMANCE and case.state == "agreement_reached":
            window_open = uow.clocks.running(case.case_id, ClockKind.JUDICIAL_CONFIRMATION_WINDOW) is not None
            return [self.fact(case, "mediation.agreement_unperformed", {
                "pay_by": case.pay_by, "amount_agreed": case.amount_agreed,
                "remedies": remedies_for_unpaid_agreement(case, window_open)}, now)]
        return []

    def view(self, case: MediationCase) -> dict[str, Any]:
        return case_view(case, station_id=case.station_id, mediator_id=case.mediator_id,
                         amount_agreed=str(case.amount_agreed) if case.amount_agreed else None,
                         pay_by=case.pay_by.isoformat() if case.pay_by else None,
                         sessions=len(case.sessions), arbitration_offered=case.arbitration_offered,
                         difficulty=case.difficulty,
                         subsidy=str(case.subsidy) if case.subsidy is not None else None)
