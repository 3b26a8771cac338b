"""Mediation's service layer: take up a case, mediate, and end or hand on; the station's
statutory clocks (art. 14's 15 days, the agreed payment date, art. 33's 30 days)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.clocks.statutory import StatutoryClock, china_day
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import Handoff
from disputes_shared.contract.stations import station
from disputes_shared.contract.strict import money
from disputes_shared.identity.refusals import Forbidden
from disputes_shared.identity.roles import ROLES_WITH_STATION
from disputes_shared.plumbing.agency import ReceivingAgency, case_view
from disputes_shared.regional import RegionalFigures, regional_figures

from .domain import (
    MediationCase,
    Roster,
    at_capacity,
    choose_mediator,
)
from .ports import MediationUnitOfWork
from .reference import load_roster

MEDIATION_CLOCKS = (ClockKind.MEDIATION_WITHOUT_AGREEMENT, ClockKind.AGREEMENT_PERFORMANCE,
                    ClockKind.JUDICIAL_CONFIRMATION_WINDOW)


class Mediation(ReceivingAgency[MediationCase, MediationUnitOfWork]):
    agency = Agency.MEDIATION
    case_class = MediationCase

    def __init__(self, clocks: ClockKeeper | None = None,
                 figures: RegionalFigures | None = None, roster: Roster | None = None) -> None:
        super().__init__(clocks)
        self.figures = figures or regional_figures()
        self.roster = roster or load_roster()

    def case(self, uow: MediationUnitOfWork, case_id: str) -> MediationCase:
        """The case, refused to a station's staff acting for another station: every staff
        command reads its case here, the desk's answers too."""
        found = super().case(uow, case_id)
        actor = uow.actor or {}
        if actor.get("role") in ROLES_WITH_STATION and actor.get("station") != found.station_id:
            raise Forbidden("station", f"case {case_id} is not at the station "
                                       f"{actor.get('station')!r} acts for")
        return found

    def open_cases(self, uow: MediationUnitOfWork, state: str | None = None) -> list[dict[str, Any]]:
        """A station's staff list their station's cases alone (read by the station, not every
        station's read and sifted); the agency's other staff, every case."""
        station_id = _station_acted_for(uow)
        if station_id is None:
            return super().open_cases(uow, state)
        return [self.view(case) for case in uow.cases.open_at(station_id, state)]

    def pending(self, uow: MediationUnitOfWork) -> list[Handoff]:
        """A station's staff, the handoffs to their station alone."""
        station_id = _station_acted_for(uow)
        waiting = super().pending(uow)
        return waiting if station_id is None else [h for h in waiting if h.to_unit == station_id]

    # -- receiving -----------------------------------------------------------------------------

    def prepare(self, case: MediationCase, handoff: Handoff) -> None:
        case.station_id = handoff.to_unit

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
        case.mediator_id = mediator_id or choose_mediator(
            self.roster.of_station(case.station_id or ""), case.dossier.get("claim_types", ()),
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
        session = case.hold_session(mode, note, uow.clock.now())
        uow.emit(self.fact(case, "mediation.session_held", {
            "session_number": session.number, "mode": session.mode,
            "mediator_id": session.mediator_id}, session.held_at))
        uow.cases.save(case)
        return self.view(case)

    def record_agreement(self, uow: MediationUnitOfWork, case_id: str, amount: Any,
                         pay_by: str) -> dict[str, Any]:
        """调解协议: the parties agreed; the employer pays ``amount`` by ``pay_by``."""
        case = self.case(uow, case_id)
        now = uow.clock.now()
        agreement = case.reach_agreement(money(amount), date.fromisoformat(pay_by), china_day(now))
        uow.emit(self.fact(case, "mediation.agreement_reached", {
            "amount_agreed": agreement.amount, "pay_by": agreement.pay_by,
            "mediator_id": case.mediator_id}, now))
        self.clocks.stop_any(uow, case.case_id, "agreement reached",
                             ClockKind.MEDIATION_WITHOUT_AGREEMENT)
        self.clocks.start(uow, ClockKind.AGREEMENT_PERFORMANCE, case, last_day=agreement.pay_by)
        self.clocks.start(uow, ClockKind.JUDICIAL_CONFIRMATION_WINDOW, case)
        uow.emit(self._subsidy(case, "agreement", now))
        uow.cases.save(case)
        return self.view(case)

    def record_payment(self, uow: MediationUnitOfWork, case_id: str, amount: Any) -> dict[str, Any]:
        """The agreement was performed: the case ends here."""
        case = self.case(uow, case_id)
        case.record_payment(money(amount))
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
        referral = case.pursue_unpaid_agreement(remedy, self._confirmation_window_open(uow, case))
        self.clocks.stop_any(uow, case.case_id, f"{remedy} applied for", *MEDIATION_CLOCKS)
        self.hand_on(uow, case, referral.purpose, reason=referral.reason)
        uow.cases.save(case)
        return self.view(case)

    def record_failure(self, uow: MediationUnitOfWork, case_id: str, reason: str,
                       refer_to_arbitration: bool = True) -> dict[str, Any]:
        """No agreement: the case goes on to arbitration (or, a civil dispute, to court) unless
        ``refer_to_arbitration`` is false."""
        return self._fail(uow, self.case(uow, case_id), reason, refer_to_arbitration)

    def _fail(self, uow: MediationUnitOfWork, case: MediationCase, reason: str,
              refer_onward: bool) -> dict[str, Any]:
        now = uow.clock.now()
        failure = case.fail(reason, refer_onward)
        uow.emit(self.fact(case, "mediation.failed", {
            "reason": failure.reason, "mediator_id": case.mediator_id}, now))
        self.clocks.stop_any(uow, case.case_id, "mediation ended without agreement",
                             ClockKind.MEDIATION_WITHOUT_AGREEMENT)
        uow.emit(self._subsidy(case, "failed", now))
        if failure.onward is not None:
            self.hand_on(uow, case, failure.onward.purpose, reason=failure.onward.reason)
        uow.cases.save(case)
        return self.view(case)

    def answer_arbitration_offer(self, uow: MediationUnitOfWork, case_id: str,
                                 worker_agrees: bool) -> dict[str, Any]:
        """After 15 days without agreement arbitration was offered (art. 14): the worker takes
        it (the case is handed to arbitration) or mediation goes on."""
        case = self.case(uow, case_id)
        if case.answer_arbitration_offer(worker_agrees):
            return self._fail(uow, case, "no agreement within 15 days (劳动争议调解仲裁法 art. 14); "
                              "the worker chose arbitration", refer_onward=True)
        uow.emit(self.fact(case, "mediation.arbitration_declined", {
            "mediator_id": case.mediator_id}, uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def close(self, uow: MediationUnitOfWork, case_id: str, outcome: str = "abandoned") -> dict[str, Any]:
        """Withdrawn (or abandoned): the station's clocks stop; a withdrawal is still a case the
        mediator worked on, and is paid as one without agreement."""
        case = self.case(uow, case_id)
        now = uow.clock.now()
        mediating = case.mediating  # before the case closes
        uow.emit(self.closed(case, outcome, 0, now))
        self.clocks.stop_any(uow, case_id, f"case closed: {outcome}", *MEDIATION_CLOCKS)
        if mediating:
            uow.emit(self._subsidy(case, "withdrawn", now))
        uow.cases.save(case)
        return self.view(case)

    def _subsidy(self, case: MediationCase, ended: str, at: datetime) -> Envelope:
        assessed = case.assess_subsidy(ended, self.figures)
        return self.fact(case, "mediation.subsidy_assessed", {
            "mediator_id": case.mediator_id, "difficulty": assessed.grade,
            "amount": assessed.amount, "ended": assessed.ended, "sessions": len(case.sessions)}, at)

    def _confirmation_window_open(self, uow: MediationUnitOfWork, case: MediationCase) -> bool:
        """人民调解法 art. 33's 30 days for judicial confirmation still run."""
        return uow.clocks.running(case.case_id, ClockKind.JUDICIAL_CONFIRMATION_WINDOW) is not None

    # -- clocks --------------------------------------------------------------------------------

    def on_clock_elapsed(self, uow: MediationUnitOfWork, clock: StatutoryClock) -> list[Envelope]:
        case = self.case(uow, clock.case_id)
        now = uow.clock.now()
        if clock.kind is ClockKind.MEDIATION_WITHOUT_AGREEMENT and case.offer_arbitration():
            uow.cases.save(case)
            return [self.fact(case, "mediation.arbitration_offered", {
                "citation": clock.rule.citation, "mediator_id": case.mediator_id}, now)]
        if clock.kind is ClockKind.AGREEMENT_PERFORMANCE and case.awaiting_payment:
            remedies = case.remedies_open(self._confirmation_window_open(uow, case))
            return [self.fact(case, "mediation.agreement_unperformed", {
                "pay_by": case.pay_by, "amount_agreed": case.amount_agreed,
                "remedies": remedies}, now)]
        return []

    def view(self, case: MediationCase) -> dict[str, Any]:
        return case_view(case, station_id=case.station_id, mediator_id=case.mediator_id,
                         amount_agreed=str(case.amount_agreed) if case.amount_agreed else None,
                         pay_by=case.pay_by.isoformat() if case.pay_by else None,
                         sessions=len(case.sessions), arbitration_offered=case.arbitration_offered,
                         difficulty=case.difficulty,
                         subsidy=str(case.subsidy) if case.subsidy is not None else None)


def _station_acted_for(uow: MediationUnitOfWork) -> str | None:
    """The station a signed-in station's staff member acts for ("" if their token names none:
    no station's work is theirs, as ``case`` refuses them every case); None: anyone else."""
    actor = uow.actor or {}
    return (actor.get("station") or "") if actor.get("role") in ROLES_WITH_STATION else None
