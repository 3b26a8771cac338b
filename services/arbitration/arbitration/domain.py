"""An arbitration case, the final-award rule and the hearing notice, in plain Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from disputes_shared.agency_case import AgencyCase, least_loaded
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.statute.periods import HEARING_NOTICE, WorkingCalendar, estimated_period_end

ARBITRATORS = tuple(f"arbitrator-{n:02d}" for n in range(1, 7))
PANEL_SIZE = 3  # a panel of three (art. 31); a simple case may have a sole arbitrator
# 劳动争议调解仲裁法 art. 47 (1): wages, work-injury medical costs, economic compensation or
# damages, each up to 12 months of the local minimum wage, are final for the employer.
SMALL_CLAIM_ITEMS = frozenset({"unpaid_wages", "work_injury", "termination_compensation"})
SMALL_CLAIM_MONTHS = 12
# art. 47 (2): disputes over national labor standards (working hours, rest and leave, social
# insurance) are final at any amount.
LABOR_STANDARD_ITEMS = frozenset({"working_hours", "rest_and_leave", "social_insurance"})
AWARD_ITEMS = SMALL_CLAIM_ITEMS | LABOR_STANDARD_ITEMS | {"penalties_deductions",
                                                          "relationship_recognition"}

# The stage clocks of a case in arbitration, and the clocks its award starts.
CHALLENGE_WINDOWS_FINAL = (ClockKind.WORKER_SUIT_AFTER_FINAL_AWARD, ClockKind.EMPLOYER_SET_ASIDE)
CHALLENGE_WINDOWS = (*CHALLENGE_WINDOWS_FINAL, ClockKind.SUIT_AFTER_AWARD)
PROCEEDING_CLOCKS = (ClockKind.ARBITRATION_ACCEPTANCE, ClockKind.SERVICE_ON_RESPONDENT,
                     ClockKind.RESPONDENT_ANSWER, ClockKind.ANSWER_PASSED_ON,
                     ClockKind.PANEL_NAMED, ClockKind.AWARD)


class ArbitrationRuleBroken(ValueError):
    """A step the arbitration law does not allow, said with the article."""


@dataclass
class ArbitrationCase(AgencyCase):
    arbitrator_id: str | None = None
    amount_awarded: Decimal | None = None
    final_for_employer: bool | None = None
    award_items: dict[str, Any] | None = None  # item → yuan (text)
    panel: list[str] = field(default_factory=list)
    served_at: datetime | None = None
    answer_received_at: datetime | None = None
    answer_passed_on_at: datetime | None = None
    hearing_on: date | None = None
    awarded_at: datetime | None = None
    effective_on: date | None = None  # the award took effect (no challenge in time)
    award_overdue: bool = False  # the award period ran out first (art. 43): either may sue


def final_for_employer(items: Mapping[str, Decimal], monthly_minimum_wage: Decimal) -> bool:
    """一裁终局 (art. 47): every item final, each compared with 12 × the minimum wage on its own.

    An award that mixes final and non-final items is non-final (a party may sue on all of it).
    """
    if not items:
        raise ArbitrationRuleBroken("an award names at least one item")
    limit = SMALL_CLAIM_MONTHS * monthly_minimum_wage
    return all(item in LABOR_STANDARD_ITEMS or (item in SMALL_CLAIM_ITEMS and amount <= limit)
               for item, amount in items.items())


def award_items(claim_types: Iterable[str], amount: Decimal,
                items: Mapping[str, Decimal] | None) -> dict[str, Decimal]:
    """The award's items: as given, or the whole amount on the claim's one type."""
    if items is None:
        kinds = list(claim_types)
        if len(kinds) != 1:
            raise ArbitrationRuleBroken(
                "a claim of several types needs the amount of each item (art. 47 compares them "
                "one by one)")
        return {kinds[0]: amount}
    unknown = sorted(set(items) - AWARD_ITEMS)
    if unknown:
        raise ArbitrationRuleBroken(f"unknown award items {unknown}; known: {sorted(AWARD_ITEMS)}")
    if sum(items.values(), Decimal(0)) != amount:
        raise ArbitrationRuleBroken(f"the items add up to {sum(items.values())}, not {amount}")
    return dict(items)


def earliest_hearing_day(notified_on: date, calendar: WorkingCalendar) -> date:
    """The parties are told of the hearing at least 5 days ahead (art. 35): the hearing is after
    the 5-day period counted from the notice (on an estimate where the calendar does not cover
    the year yet: a notice is not held back for want of next year's schedule)."""
    last_day, _ = estimated_period_end(notified_on, HEARING_NOTICE, calendar)
    return last_day + timedelta(days=1)


def choose_arbitrator(assigned: Iterable[str | None]) -> str:
    """The least-loaded arbitrator; ``assigned``: the arbitrator of each case in arbitration."""
    return least_loaded(ARBITRATORS, assigned)


def choose_panel(chair: str, assigned: Iterable[str | None]) -> list[str]:
    """The chair and the two least-loaded other arbitrators."""
    busy = list(assigned)
    panel = [chair]
    while len(panel) < PANEL_SIZE:
        panel.append(least_loaded([a for a in ARBITRATORS if a not in panel], busy))
    return panel
