"""A matter before a court, in plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from disputes_shared.agency_case import AgencyCase
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.statute.periods import JUDICIAL_CONFIRMATION, WorkingCalendar, estimated_period_end

# How a case that ends in court after compliance is counted, by the proceeding that ended it.
COMPLIANCE_OUTCOME = {
    "judicial_confirmation": "confirmed_and_paid",
    "litigation": "judgment_performed",
    "enforcement": "enforced",
    "payment_order": "payment_order_paid",
}


class CourtRuleBroken(ValueError):
    """A step the court's procedure does not allow, said with the article."""


@dataclass
class CourtMatter(AgencyCase):
    court_case_number: str | None = None  # the court's own number, e.g. (2026)川0107民初123号
    ruling: str | None = None
    amount_ruled: Decimal | None = None
    amount_recovered: Decimal | None = None
    # What the court is doing now: the purpose it was asked for, until a payment order met with
    # an objection turns into a suit.
    proceeding: str | None = None
    payment_order_amount: Decimal | None = None
    respond_by: date | None = None  # the debtor pays or objects by then
    enforceable: bool = False  # an order or ruling the debtor let stand unpaid
    last_step_at: datetime | None = None  # when the court last acted (a simulated court waits from it)

    @property
    def on_payment_order(self) -> bool:
        """The court is dealing with an application for a payment order (支付令)."""
        return self.proceeding == HandoffPurpose.PAYMENT_ORDER

    def start_afresh(self, purpose: str) -> None:
        """A new application to the court: nothing of an earlier stay here carries over."""
        self.court_case_number = self.ruling = None
        self.amount_ruled = self.amount_recovered = None
        self.proceeding = purpose
        self.payment_order_amount = self.respond_by = None
        self.enforceable = False
        self.last_step_at = None

    def confirmation_refusal(self, applied_on: date, calendar: WorkingCalendar) -> str | None:
        """Why a joint application for judicial confirmation is refused as it arrives, if it is:
        made later than 30 days after the agreement took effect (人民调解法 art. 33)."""
        effective_on = self.dossier.get("history", {}).get("agreement_effective_on")
        if self.purpose != HandoffPurpose.JUDICIAL_CONFIRMATION or not effective_on:
            return None
        if confirmation_certainly_late(date.fromisoformat(str(effective_on)), applied_on, calendar):
            return ("不予受理 (人民调解法 art. 33): applied for more than 30 days after "
                    f"the agreement took effect on {effective_on}")
        return None

    def rule(self, ruling: str, amount: Decimal) -> None:
        """司法确认 granted (``confirmed``), a ``judgment``, or the claim ``dismissed``; whether
        the matter may be ruled on now is the lifecycle's to say."""
        if self.on_payment_order:
            raise CourtRuleBroken("a payment order is issued, not ruled on; an objection turns "
                                  "it into a suit first")
        self.ruling, self.amount_ruled = ruling, amount
        self.history = {**self.history, "ruling": ruling, "amount_ruled": str(amount)}

    # -- the payment order (支付令) --------------------------------------------------------------

    def check_payment_order(self) -> None:
        """The payment order's steps are taken while one is before the court."""
        if not self.on_payment_order or not self.is_in(CaseState.IN_COURT):
            raise CourtRuleBroken(f"{self.case_id} is not a payment order before the court")

    def issue_payment_order(self, amount: Decimal) -> None:
        """The court orders the debtor to pay, once; it has 15 days to pay or object in writing
        (the day is the response clock's: ``respond_by``)."""
        self.check_payment_order()
        if self.respond_by is not None:
            raise CourtRuleBroken(f"the payment order of {self.case_id} was already issued")
        self.payment_order_amount = amount

    def object_to_payment_order(self, in_time: bool, applicant_sues: bool) -> None:
        """The debtor objected; ``in_time``: its 15 days are still running. The payment-order
        procedure ends; the matter goes on as a suit unless the applicant declines."""
        self.check_payment_order()
        if not in_time:
            raise CourtRuleBroken("an objection comes within 15 days of the payment order")
        self.history = {**self.history, "payment_order_objected": True}
        if applicant_sues:
            self.proceeding = str(HandoffPurpose.LITIGATION)

    # -- compliance and enforcement ----------------------------------------------------------

    def comply(self, amount: Decimal) -> str:
        """The debtor paid what the court confirmed or ordered; returns how the case ends."""
        self.amount_recovered = amount
        return COMPLIANCE_OUTCOME[self.proceeding or self.purpose]

    def check_enforceable(self) -> None:
        """A payment order is enforced only once the debtor let it stand unpaid."""
        if self.on_payment_order and not self.enforceable:
            raise CourtRuleBroken("a payment order is enforced only once the debtor let the 15 "
                                  "days pass without paying or objecting")

    def conclude_enforcement(self, amount_recovered: Decimal) -> None:
        self.amount_recovered = amount_recovered

    def period_ran_out(self, kind: ClockKind) -> None:
        """One of the matter's periods ran out: a payment order neither paid nor objected to
        may be enforced; any other period is recorded as missed."""
        if kind is ClockKind.PAYMENT_ORDER_RESPONSE and self.is_in(CaseState.IN_COURT):
            self.enforceable = True
            self.history = {**self.history, "payment_order_unanswered": True}
        else:
            self.history = {**self.history, "late": sorted({*self.history.get("late", []),
                                                            str(kind)})}


def confirmation_certainly_late(agreement_effective_on: date, applied_on: date,
                                calendar: WorkingCalendar) -> bool:
    """司法确认: the parties apply jointly within 30 days of the agreement taking effect
    (人民调解法 art. 33). Only an application late by the official calendar is certainly late:
    where the last day falls in a year the calendar does not cover yet, it is an estimate, and
    the court, not the estimate, decides."""
    last_day, estimated = estimated_period_end(agreement_effective_on, JUDICIAL_CONFIRMATION,
                                               calendar)
    return applied_on > last_day and not estimated
