"""The courts bridge's service layer: what a court clerk (or a court system) reports."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.clocks.statutory import StatutoryClock, china_day
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import Handoff
from disputes_shared.contract.strict import money
from disputes_shared.plumbing.agency import ReceivingAgency, case_view

from .court_system import CourtAnswer, CourtSystem
from .domain import CourtMatter
from .ports import CourtsUnitOfWork

K = ClockKind
PAYMENT_ORDER_CLOCKS = (K.PAYMENT_ORDER_ISSUE, K.PAYMENT_ORDER_RESPONSE)
log = logging.getLogger(__name__)


class CourtsBridge(ReceivingAgency[CourtMatter, CourtsUnitOfWork]):
    agency = Agency.COURTS
    case_class = CourtMatter

    def __init__(self, clocks: ClockKeeper | None = None, court: CourtSystem | None = None) -> None:
        super().__init__(clocks)
        self.court = court

    def prepare(self, case: CourtMatter, handoff: Handoff) -> None:
        case.start_afresh(str(handoff.purpose))

    def take_in(self, uow: CourtsUnitOfWork, case: CourtMatter, handoff: Handoff) -> str | None:
        """A late joint application for judicial confirmation is refused as it arrives."""
        return case.confirmation_refusal(china_day(handoff.requested_at), self.clocks.calendar)

    def after_acceptance(self, uow: CourtsUnitOfWork, case: CourtMatter, handoff: Handoff,
                         details: dict[str, Any]) -> list[Envelope]:
        case.court_case_number = details.pop("court_case_number", None)
        case.last_step_at = uow.clock.now()
        events = super().after_acceptance(uow, case, handoff, details)
        if case.on_payment_order:
            self.clocks.start(uow, K.PAYMENT_ORDER_ISSUE, case)  # issue within 15 days
        return events

    def enter_ruling(self, uow: CourtsUnitOfWork, case_id: str, ruling: str,
                     amount: Any) -> dict[str, Any]:
        """司法确认 granted (``confirmed``), a ``judgment``, or the claim ``dismissed``."""
        case = self.case(uow, case_id)
        case.rule(ruling, money(amount))
        uow.emit(self.event(case, "court.ruling_entered", {
            "proceeding": case.proceeding, "ruling": ruling, "amount": case.amount_ruled},
            uow.clock.now()))
        return self._saved(uow, case)

    # -- the payment order (支付令) --------------------------------------------------------------

    def issue_payment_order(self, uow: CourtsUnitOfWork, case_id: str,
                            amount: Any) -> dict[str, Any]:
        """The court orders the debtor to pay; it has 15 days to pay or object in writing."""
        case = self.case(uow, case_id)
        case.issue_payment_order(money(amount))
        self.clocks.stop(uow, case_id, K.PAYMENT_ORDER_ISSUE, "payment order issued")
        response = self.clocks.start(uow, K.PAYMENT_ORDER_RESPONSE, case)
        case.respond_by = response.last_day
        uow.emit(self.event(case, "court.payment_order_issued", {
            "amount": case.payment_order_amount, "respond_by": case.respond_by}, uow.clock.now()))
        return self._saved(uow, case)

    def record_objection(self, uow: CourtsUnitOfWork, case_id: str,
                         applicant_sues: bool = True) -> dict[str, Any]:
        """The debtor objected in time: the payment-order procedure ends. The matter goes on as
        a suit unless the applicant declines, which ends the case here."""
        case = self.case(uow, case_id)
        case.object_to_payment_order(
            in_time=uow.clocks.running(case_id, K.PAYMENT_ORDER_RESPONSE) is not None,
            applicant_sues=applicant_sues)
        self.clocks.stop(uow, case_id, K.PAYMENT_ORDER_RESPONSE, "debtor objected")
        uow.emit(self.event(case, "court.payment_order_objected",
                            {"turned_to_litigation": applicant_sues}, uow.clock.now()))
        if not applicant_sues:
            uow.emit(self.closed(case, "abandoned", 0, uow.clock.now()))
            self.clocks.stop_all(uow, case_id, "payment order ended, applicant declined to sue")
        return self._saved(uow, case)

    # -- compliance and enforcement ----------------------------------------------------------

    def record_compliance(self, uow: CourtsUnitOfWork, case_id: str, amount: Any) -> dict[str, Any]:
        """The debtor paid what the court confirmed or ordered."""
        case = self.case(uow, case_id)
        outcome = case.comply(money(amount))
        uow.emit(self.closed(case, outcome, case.amount_recovered, uow.clock.now()))
        self.clocks.stop_all(uow, case_id, "paid")
        return self._saved(uow, case)

    def start_enforcement(self, uow: CourtsUnitOfWork, case_id: str, amount_due: Any) -> dict[str, Any]:
        case = self.case(uow, case_id)
        case.check_enforceable()
        uow.emit(self.event(case, "court.enforcement_started", {"amount_due": money(amount_due)},
                            uow.clock.now()))
        return self._saved(uow, case)

    def conclude_enforcement(self, uow: CourtsUnitOfWork, case_id: str,
                             amount_recovered: Any) -> dict[str, Any]:
        case = self.case(uow, case_id)
        case.conclude_enforcement(money(amount_recovered))
        uow.emit(self.closed(case, "enforced", case.amount_recovered, uow.clock.now()))
        return self._saved(uow, case)

    def on_clock_elapsed(self, uow: CourtsUnitOfWork, clock: StatutoryClock) -> list[Envelope]:
        case = self.case(uow, clock.case_id)
        case.period_ran_out(ClockKind(clock.kind))
        uow.cases.save(case)
        return []

    # -- a court's own system ----------------------------------------------------------------

    def consult_court(self, unit_of_work: Callable[[], CourtsUnitOfWork],
                      court: CourtSystem | None = None) -> int:
        """Record every step the court system reports on the matters held here; how many.
        ``court``: the composed one unless given."""
        court = court or self.court
        if court is None:
            return 0
        with unit_of_work() as uow:
            open_ids = uow.cases.quiet_since(uow.clock.now() - court.quiet_for)
        recorded = 0
        for case_id in open_ids:
            # One step per matter per round: the next step waits from this one.
            with unit_of_work() as uow:
                answer = court.answer(self.case(uow, case_id), uow.clock.now())
                if answer is not None:
                    self.record_court_answer(uow, answer)
                    uow.commit()
                    recorded += 1
        return recorded

    def record_court_answer(self, uow: CourtsUnitOfWork, answer: CourtAnswer) -> None:
        log.info("court system: %s %s", answer.command, answer.args)
        if answer.command == "accept":
            self.accept_handoff(uow, *answer.args, **answer.details)
            return
        commands: dict[str, Callable[..., Any]] = {
            "enter_ruling": self.enter_ruling, "issue_payment_order": self.issue_payment_order,
            "record_objection": self.record_objection, "record_compliance": self.record_compliance,
            "start_enforcement": self.start_enforcement,
            "conclude_enforcement": self.conclude_enforcement,
        }
        commands[answer.command](uow, *answer.args, **answer.details)

    def _saved(self, uow: CourtsUnitOfWork, case: CourtMatter) -> dict[str, Any]:
        case.last_step_at = uow.clock.now()
        uow.cases.save(case)
        return self.view(case)

    def view(self, case: CourtMatter) -> dict[str, Any]:
        return case_view(case, court_case_number=case.court_case_number, ruling=case.ruling,
                         amount_ruled=str(case.amount_ruled) if case.amount_ruled is not None else None,
                         proceeding=case.proceeding,
                         respond_by=case.respond_by.isoformat() if case.respond_by else None,
                         enforceable=case.enforceable)

