"""Arbitration's service layer: acceptance, the proceeding's clocks, the award and what follows.

Every period of 劳动争议调解仲裁法 the commission must keep is a statutory clock, started and
stopped in the same transaction as the step that opens or meets it (see ``disputes_shared.clocks``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.clocks.statutory import StatutoryClock, china_day
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import Handoff, HandoffStatus
from disputes_shared.contract.strict import money
from disputes_shared.plumbing.agency import ReceivingAgency, case_view

from .domain import (
    CHALLENGE_WINDOWS,
    PROCEEDING_CLOCKS,
    ArbitrationCase,
    choose_arbitrator,
)
from .ports import ArbitrationUnitOfWork

K = ClockKind
DEFAULT_MONTHLY_MINIMUM_WAGE = Decimal("2100")


class Arbitration(ReceivingAgency[ArbitrationCase, ArbitrationUnitOfWork]):
    agency = Agency.ARBITRATION
    case_class = ArbitrationCase

    def __init__(self, clocks: ClockKeeper | None = None,
                 monthly_minimum_wage: Decimal = DEFAULT_MONTHLY_MINIMUM_WAGE) -> None:
        """``monthly_minimum_wage``: the local one, which decides whether an award is final
        for the employer (art. 47)."""
        super().__init__(clocks)
        self.monthly_minimum_wage = monthly_minimum_wage

    def prepare(self, case: ArbitrationCase, handoff: Handoff) -> None:
        case.start_afresh()

    def take_in(self, uow: ArbitrationUnitOfWork, case: ArbitrationCase,
                handoff: Handoff) -> str | None:
        """The application is received: accept or refuse within 5 days (art. 29)."""
        self.clocks.stop_any(uow, case.case_id, "a new application", *PROCEEDING_CLOCKS,
                             *CHALLENGE_WINDOWS)
        self.clocks.start(uow, K.ARBITRATION_ACCEPTANCE, case,
                          event_day=china_day(handoff.requested_at))
        return None

    def after_acceptance(self, uow: ArbitrationUnitOfWork, case: ArbitrationCase,
                         handoff: Handoff, details: dict[str, Any]) -> list[Envelope]:
        arbitrator_id = details.pop("arbitrator_id", None)
        super().after_acceptance(uow, case, handoff, details)
        case.assign(arbitrator_id or choose_arbitrator(uow.cases.assigned_arbitrators()))
        self.clocks.stop_any(uow, case.case_id, "accepted (受理)", K.ARBITRATION_ACCEPTANCE)
        for kind in (K.SERVICE_ON_RESPONDENT, K.PANEL_NAMED, K.AWARD):
            self.clocks.start(uow, kind, case)
        return []

    def after_return(self, uow: ArbitrationUnitOfWork, case: ArbitrationCase,
                     handoff: Handoff) -> list[Envelope]:
        self.clocks.stop_any(uow, case.case_id, f"refused (不予受理): {handoff.reason}",
                             K.ARBITRATION_ACCEPTANCE)
        return []

    # -- the proceeding ----------------------------------------------------------------------

    def serve_respondent(self, uow: ArbitrationUnitOfWork, case_id: str) -> dict[str, Any]:
        """The application's copy served on the respondent (art. 30): its answer is due in 10."""
        case = self.case(uow, case_id)
        case.serve_respondent(uow.clock.now())
        self.clocks.stop(uow, case_id, K.SERVICE_ON_RESPONDENT, "application served")
        self.clocks.start(uow, K.RESPONDENT_ANSWER, case)
        uow.cases.save(case)
        return self.view(case)

    def record_answer(self, uow: ArbitrationUnitOfWork, case_id: str) -> dict[str, Any]:
        """The respondent's answer (答辩书) came: pass it on to the applicant within 5 (art. 30)."""
        case = self.case(uow, case_id)
        case.receive_answer(uow.clock.now())
        self.clocks.stop(uow, case_id, K.RESPONDENT_ANSWER, "answer received")
        self.clocks.start(uow, K.ANSWER_PASSED_ON, case)
        uow.cases.save(case)
        return self.view(case)

    def pass_on_answer(self, uow: ArbitrationUnitOfWork, case_id: str) -> dict[str, Any]:
        case = self.case(uow, case_id)
        case.pass_on_answer(uow.clock.now())
        self.clocks.stop(uow, case_id, K.ANSWER_PASSED_ON, "answer passed on to the applicant")
        uow.cases.save(case)
        return self.view(case)

    def name_panel(self, uow: ArbitrationUnitOfWork, case_id: str,
                   members: list[str] | None = None) -> dict[str, Any]:
        """The parties are told who sits on the panel (art. 32); the assigned arbitrator chairs."""
        case = self.case(uow, case_id)
        panel = case.name_panel(members, uow.cases.assigned_arbitrators())
        self.clocks.stop(uow, case_id, K.PANEL_NAMED, "panel named: " + ", ".join(panel))
        uow.cases.save(case)
        return self.view(case)

    def schedule_hearing(self, uow: ArbitrationUnitOfWork, case_id: str,
                         hearing_on: str) -> dict[str, Any]:
        """Notify the hearing today; it must be at least 5 days ahead (art. 35)."""
        case = self.case(uow, case_id)
        case.schedule_hearing(date.fromisoformat(hearing_on), china_day(uow.clock.now()),
                              self.clocks.calendar)
        uow.cases.save(case)
        return self.view(case)

    def extend_award_period(self, uow: ArbitrationUnitOfWork, case_id: str, days: int,
                            approved_by: str) -> dict[str, Any]:
        """A complex case: the chair extends the award period once, by at most 15 days (art. 43)."""
        case = self.case(uow, case_id)
        case.extend_award_period(int(days))
        self.clocks.extend(uow, case_id, K.AWARD, int(days), approved_by)
        uow.cases.save(case)
        return self.view(case)

    # -- the award and what follows ----------------------------------------------------------

    def record_award(self, uow: ArbitrationUnitOfWork, case_id: str, amount: Any,
                     items: dict[str, Any] | None = None) -> dict[str, Any]:
        case = self.case(uow, case_id)
        at = uow.clock.now()
        award = case.make_award(money(amount),
                                None if items is None else {k: money(v) for k, v in items.items()},
                                self.monthly_minimum_wage, at)
        uow.emit(self.event(case, "arbitration.awarded", {
            "amount_awarded": award.amount, "final_for_employer": award.final_for_employer,
            "arbitrator_id": case.arbitrator_id, "items": award.items}, at))
        self.clocks.stop_any(uow, case_id, "award made", *PROCEEDING_CLOCKS)
        for kind in award.windows:
            self.clocks.start(uow, kind, case)
        uow.cases.save(case)
        return self.view(case)

    def record_award_performed(self, uow: ArbitrationUnitOfWork, case_id: str,
                               amount: Any) -> dict[str, Any]:
        case = self.case(uow, case_id)
        uow.emit(self.closed(case, "award_performed", money(amount), uow.clock.now()))
        self.clocks.stop_any(uow, case_id, "award performed", *CHALLENGE_WINDOWS)
        uow.cases.save(case)
        return self.view(case)

    def apply_to_set_aside(self, uow: ArbitrationUnitOfWork, case_id: str) -> dict[str, Any]:
        """The employer applied to the intermediate court to set a final award aside (art. 49)."""
        case = self.case(uow, case_id)
        case.apply_to_set_aside(
            window_open=uow.clocks.running(case_id, K.EMPLOYER_SET_ASIDE) is not None)
        self.clocks.stop(uow, case_id, K.EMPLOYER_SET_ASIDE, "employer applied to set aside")
        uow.cases.save(case)
        return self.view(case)

    def refer_to_court(self, uow: ArbitrationUnitOfWork, case_id: str, purpose: str,
                       reason: str, by: str = "worker") -> dict[str, Any]:
        """A party sues (诉讼) after the award, or when none came in time; or the worker applies
        to enforce an award in effect (执行)."""
        case = self.case(uow, case_id)
        referral = case.check_referral(
            purpose, by, suit_window_open=uow.clocks.running(case_id, case.suit_window) is not None)
        self.hand_on(uow, case, referral, reason=f"{by}: {reason}")
        self.clocks.stop_any(uow, case_id, f"{purpose} by the {by}", *CHALLENGE_WINDOWS,
                             *PROCEEDING_CLOCKS)
        uow.cases.save(case)
        return self.view(case)

    # -- clocks running out ------------------------------------------------------------------

    def on_clock_elapsed(self, uow: ArbitrationUnitOfWork,
                         clock: StatutoryClock) -> list[Envelope]:
        case = self.case(uow, clock.case_id)
        kind = ClockKind(clock.kind)
        if kind is K.ARBITRATION_ACCEPTANCE:
            handoff = uow.handoffs.get(case.handoff_id)
            if handoff is not None and handoff.status is HandoffStatus.PENDING:
                # Silence counts as refusal (art. 29): the applicant may sue.
                self.return_handoff(uow, handoff.handoff_id,
                                    "逾期未作出受理决定 (art. 29): no decision within 5 working "
                                    "days; the applicant may sue")
            return []
        effective_on = case.period_ran_out(kind, clock.last_day, windows_open=any(
            uow.clocks.running(case.case_id, window) for window in CHALLENGE_WINDOWS))
        events = [] if effective_on is None else [self.event(case, "arbitration.award_effective", {
            "final_for_employer": bool(case.final_for_employer),
            "effective_on": effective_on}, uow.clock.now())]
        uow.cases.save(case)
        return events

    def view(self, case: ArbitrationCase) -> dict[str, Any]:
        return case_view(
            case, arbitrator_id=case.arbitrator_id,
            amount_awarded=str(case.amount_awarded) if case.amount_awarded is not None else None,
            final_for_employer=case.final_for_employer, award_items=case.award_items,
            panel=case.panel, served=case.served_at is not None,
            answered=case.answer_received_at is not None,
            answer_passed_on=case.answer_passed_on_at is not None, hearing_on=case.hearing_on.isoformat() if case.hearing_on else None,
            effective_on=case.effective_on.isoformat() if case.effective_on else None,
            award_overdue=case.award_overdue)
