"""A matter before a court, in plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from disputes_shared.agency_case import AgencyCase
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


def confirmation_certainly_late(agreement_effective_on: date, applied_on: date,
                                calendar: WorkingCalendar) -> bool:
    """司法确认: the parties apply jointly within 30 days of the agreement taking effect
    (人民调解法 art. 33). Only an application late by the official calendar is certainly late:
    where the last day falls in a year the calendar does not cover yet, it is an estimate, and
    the court, not the estimate, decides."""
    last_day, estimated = estimated_period_end(agreement_effective_on, JUDICIAL_CONFIRMATION,
                                               calendar)
    return applied_on > last_day and not estimated
