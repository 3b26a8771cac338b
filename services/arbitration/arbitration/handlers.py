"""Arbitration's service layer: acceptance, the proceeding's clocks, the award and what follows.

Every period of 劳动争议调解仲裁法 the commission must keep is a statutory clock, started and
stopped in the same transaction as the step that opens or meets it (see ``disputes_shared.clocks``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.clocks.statutory import StatutoryClock, china_day
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import Handoff, HandoffPurpose, HandoffStatus
from disputes_shared.contract.strict import money
from disputes_shared.plumbing.agency import ReceivingAgency, case_view

from .domain import (
    ARBITRATORS,
    CHALLENGE_WINDOWS,
    CHALLENGE_WINDOWS_FINAL,
    PROCEEDING_CLOCKS,
    ArbitrationCase,
    ArbitrationRuleBroken,
    award_items,
    choose_arbitrator,
    choose_panel,
    earliest_hearing_day,
    final_for_employer,
)
from .ports import ArbitrationUnitOfWork

K = ClockKind
DEFAULT_MONTHLY_MINIMUM_WAGE = Decimal("2100")
PARTIES = ("worker", "employer")


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
        case.arbitrator_id = None
        case.amount_awarded = None
        case.final_for_employer = None
        case.award_items = None
        case.panel = []
        case.served_at = case.answer_received_at = case.answer_passed_on_at = None
        case.awarded_at = None
        case.hearing_on = case.effective_on = None
        case.award_overdue = False

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
        case.arbitrator_id = arbitrator_id or choose_arbitrator(uow.cases.assigned_arbitrators())
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
        case = self._in_arbitration(uow, case_id)
        case.served_at = uow.clock.now()
        self.clocks.stop(uow, case_id, K.SERVICE_ON_RESPONDENT, "application served")
        self.clocks.start(uow, K.RESPONDENT_ANSWER, case)
        uow.cases.save(case)
        return self.view(case)

    def record_answer(self, uow: ArbitrationUnitOfWork, case_id: str) -> dict[str, Any]:
        """The respondent's answer (答辩书) came: pass it on to the applicant within 5 (art. 30)."""
        case = self._in_arbitration(uow, case_id)
        case.answer_received_at = uow.clock.now()
        self.clocks.stop(uow, case_id, K.RESPONDENT_ANSWER, "answer received")
        self.clocks.start(uow, K.ANSWER_PASSED_ON, case)
        uow.cases.save(case)
        return self.view(case)

    def pass_on_answer(self, uow: ArbitrationUnitOfWork, case_id: str) -> dict[str, Any]:
        case = self._in_arbitration(uow, case_id)
        case.answer_passed_on_at = uow.clock.now()
        self.clocks.stop(uow, case_id, K.ANSWER_PASSED_ON, "answer passed on to the applicant")
        uow.cases.save(case)
        return self.view(case)

    def name_panel(self, uow: ArbitrationUnitOfWork, case_id: str,
                   members: list[str] | None = None) -> dict[str, Any]:
        """The parties are told who sits on the panel (art. 32); the assigned arbitrator chairs."""
        case = self._in_arbitration(uow, case_id)
        panel = members or choose_panel(case.arbitrator_id or ARBITRATORS[0],
                                        uow.cases.assigned_arbitrators())
        unknown = sorted(set(panel) - set(ARBITRATORS))
        if unknown or not panel:
            raise ArbitrationRuleBroken(f"not arbitrators of this commission: {unknown}")
        case.panel = list(panel)
        self.clocks.stop(uow, case_id, K.PANEL_NAMED, "panel named: " + ", ".join(panel))
        uow.cases.save(case)
        return self.view(case)

    def schedule_hearing(self, uow: ArbitrationUnitOfWork, case_id: str,
                         hearing_on: str) -> dict[str, Any]:
        """Notify the hearing today; it must be at least 5 days ahead (art. 35)."""
        case = self._in_arbitration(uow, case_id)
        day = date.fromisoformat(hearing_on)
        earliest = earliest_hearing_day(china_day(uow.clock.now()), self.clocks.calendar)
        if day < earliest:
            raise ArbitrationRuleBroken(
                f"a hearing notified today is on {earliest} at the earliest (art. 35: 5 days' "
                f"notice), not {day}")
        case.hearing_on = day
        uow.cases.save(case)
        return self.view(case)

    def extend_award_period(self, uow: ArbitrationUnitOfWork, case_id: str, days: int,
                            approved_by: str) -> dict[str, Any]:
        """A complex case: the chair extends the award period once, by at most 15 days (art. 43)."""
        case = self._in_arbitration(uow, case_id)
        self.clocks.extend(uow, case_id, K.AWARD, int(days), approved_by)
        case.history = {**case.history, "award_period_extended": int(days)}
        uow.cases.save(case)
        return self.view(case)

    # -- the award and what follows ----------------------------------------------------------

    def record_award(self, uow: ArbitrationUnitOfWork, case_id: str, amount: Any,
                     items: dict[str, Any] | None = None) -> dict[str, Any]:
        case = self.case(uow, case_id)
        case.amount_awarded = money(amount)
        case.award_items = {k: str(v) for k, v in award_items(
            case.dossier["claim_types"], case.amount_awarded,
            None if items is None else {k: money(v) for k, v in items.items()}).items()}
        case.final_for_employer = final_for_employer(
            {k: Decimal(v) for k, v in case.award_items.items()}, self.monthly_minimum_wage)
        case.awarded_at = uow.clock.now()
        case.history = {**case.history, "award": str(case.amount_awarded),
                        "final_for_employer": case.final_for_employer}
        uow.emit(self.event(case, "arbitration.awarded", {
            "amount_awarded": case.amount_awarded, "final_for_employer": case.final_for_employer,
            "arbitrator_id": case.arbitrator_id, "items": case.award_items}, case.awarded_at))
        self.clocks.stop_any(uow, case_id, "award made", *PROCEEDING_CLOCKS)
        # Served the day it is made: the windows run from receipt of the award (arts. 48-50).
        for kind in CHALLENGE_WINDOWS_FINAL if case.final_for_employer else (K.SUIT_AFTER_AWARD,):
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
        if case.state != "awarded" or not case.final_for_employer:
            raise ArbitrationRuleBroken("only a final award is set aside (arts. 47, 49)")
        if uow.clocks.running(case_id, K.EMPLOYER_SET_ASIDE) is None:
            raise ArbitrationRuleBroken("the 30 days to apply to set aside have passed (art. 49)")
        self.clocks.stop(uow, case_id, K.EMPLOYER_SET_ASIDE, "employer applied to set aside")
        case.history = {**case.history, "set_aside_applied": True}
        uow.cases.save(case)
        return self.view(case)

    def refer_to_court(self, uow: ArbitrationUnitOfWork, case_id: str, purpose: str,
                       reason: str, by: str = "worker") -> dict[str, Any]:
        """A party sues (诉讼) after the award, or when none came in time; or the worker applies
        to enforce an award in effect (执行)."""
        if purpose not in (HandoffPurpose.LITIGATION, HandoffPurpose.ENFORCEMENT):
            raise ValueError(f"arbitration refers to court for litigation or enforcement, not {purpose}")
        if by not in PARTIES:
            raise ValueError(f"a suit is brought by the worker or the employer, not {by!r}")
        case = self.case(uow, case_id)
        if purpose == HandoffPurpose.LITIGATION:
            self._check_suit(uow, case, by)
        elif case.state == "awarded" and not (case.final_for_employer or case.effective_on):
            raise ArbitrationRuleBroken(
                "a non-final award is enforced once it takes effect, when the 15 days to sue "
                "have passed (art. 50)")
        self.hand_on(uow, case, HandoffPurpose(purpose), reason=f"{by}: {reason}")
        self.clocks.stop_any(uow, case_id, f"{purpose} by the {by}", *CHALLENGE_WINDOWS,
                             *PROCEEDING_CLOCKS)
        uow.cases.save(case)
        return self.view(case)

    def _check_suit(self, uow: ArbitrationUnitOfWork, case: ArbitrationCase, by: str) -> None:
        if case.state == "in_arbitration":
            if not case.award_overdue:
                raise ArbitrationRuleBroken(
                    "before the award a party may sue only once the award period has run out "
                    "(art. 43)")
            return
        if case.effective_on is not None:
            raise ArbitrationRuleBroken(f"the award took effect on {case.effective_on}: the time "
                                        "to sue has passed (arts. 48, 50)")
        if case.final_for_employer and by == "employer":
            raise ArbitrationRuleBroken("the award is final for the employer (art. 47): it may "
                                        "only apply to set it aside (art. 49)")
        window = K.WORKER_SUIT_AFTER_FINAL_AWARD if case.final_for_employer else K.SUIT_AFTER_AWARD
        if uow.clocks.running(case.case_id, window) is None:
            raise ArbitrationRuleBroken(f"the 15 days to sue have passed ({window.value})")

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
        if kind is K.AWARD and case.state == "in_arbitration":
            case.award_overdue = True
            case.history = {**case.history, "award_overdue": True}
        elif kind in CHALLENGE_WINDOWS and case.state == "awarded" and not any(
                uow.clocks.running(case.case_id, window) for window in CHALLENGE_WINDOWS):
            events = [self._effective(case, clock, uow.clock.now())]
            uow.cases.save(case)
            return events
        else:
            late = sorted({*case.history.get("late", []), str(kind)})
            case.history = {**case.history, "late": late}
        uow.cases.save(case)
        return []

    def _effective(self, case: ArbitrationCase, clock: StatutoryClock,
                   at: datetime) -> Envelope:
        # A final award is in effect from the day it is made (art. 47); any other from the end
        # of the time to sue (art. 50).
        assert case.awarded_at is not None
        case.effective_on = (china_day(case.awarded_at) if case.final_for_employer
                             else clock.last_day + timedelta(days=1))
        case.history = {**case.history, "award_effective_on": case.effective_on.isoformat()}
        return self.event(case, "arbitration.award_effective", {
            "final_for_employer": bool(case.final_for_employer),
            "effective_on": case.effective_on}, at)

    def _in_arbitration(self, uow: ArbitrationUnitOfWork, case_id: str) -> ArbitrationCase:
        case = self.case(uow, case_id)
        if case.state != "in_arbitration":
            raise ArbitrationRuleBroken(f"case {case_id} is {case.state}, not in arbitration")
        return case

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
