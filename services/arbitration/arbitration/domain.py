"""An arbitration case and its rules (the proceeding, the award and its finality, set-aside,
suits and enforcement, periods running out), in plain Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from disputes_shared.agency_case import AgencyCase, least_loaded
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.clocks.statutory import china_day
from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import CaseState
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
PARTIES = ("worker", "employer")


class ArbitrationRuleBroken(ValueError):
    """A step the arbitration law does not allow, said with the article."""


@dataclass(frozen=True)
class Award:
    """An award just made: what it grants, and the challenge windows it opens."""

    amount: Decimal
    items: dict[str, str]  # item → yuan (text)
    final_for_employer: bool
    windows: tuple[ClockKind, ...]


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

    @property
    def in_arbitration(self) -> bool:
        return self.is_in(CaseState.IN_ARBITRATION)

    @property
    def awarded(self) -> bool:
        """An award was made and the case is still here (not performed nor taken to court)."""
        return self.is_in(CaseState.AWARDED)

    @property
    def suit_window(self) -> ClockKind:
        """The clock of the time a party has to sue after the award (arts. 48, 50)."""
        return (ClockKind.WORKER_SUIT_AFTER_FINAL_AWARD if self.final_for_employer
                else ClockKind.SUIT_AFTER_AWARD)

    def start_afresh(self) -> None:
        """A new application: nothing of an earlier stay here carries over."""
        self.arbitrator_id = None
        self.amount_awarded = None
        self.final_for_employer = None
        self.award_items = None
        self.panel = []
        self.served_at = self.answer_received_at = self.answer_passed_on_at = None
        self.awarded_at = None
        self.hearing_on = self.effective_on = None
        self.award_overdue = False

    def assign(self, arbitrator_id: str) -> None:
        self.arbitrator_id = arbitrator_id

    def check_in_arbitration(self) -> None:
        """The steps of the proceeding are taken while the case is in arbitration."""
        if not self.in_arbitration:
            raise ArbitrationRuleBroken(f"case {self.case_id} is {self.state}, not in arbitration")

    # -- the proceeding ----------------------------------------------------------------------

    def serve_respondent(self, at: datetime) -> None:
        """The application's copy served on the respondent (art. 30)."""
        self.check_in_arbitration()
        self.served_at = at

    def receive_answer(self, at: datetime) -> None:
        """The respondent's answer (答辩书) came (art. 30)."""
        self.check_in_arbitration()
        self.answer_received_at = at

    def pass_on_answer(self, at: datetime) -> None:
        self.check_in_arbitration()
        self.answer_passed_on_at = at

    def name_panel(self, members: list[str] | None, assigned: Iterable[str | None]) -> list[str]:
        """The panel (art. 32): as named, or the assigned arbitrator in the chair with the two
        least-loaded others; ``assigned``: the arbitrator of each case in arbitration."""
        self.check_in_arbitration()
        panel = members or choose_panel(self.arbitrator_id or ARBITRATORS[0], assigned)
        unknown = sorted(set(panel) - set(ARBITRATORS))
        if unknown or not panel:
            raise ArbitrationRuleBroken(f"not arbitrators of this commission: {unknown}")
        self.panel = list(panel)
        return self.panel

    def schedule_hearing(self, day: date, notified_on: date, calendar: WorkingCalendar) -> None:
        """The hearing notified on ``notified_on`` is at least 5 days ahead (art. 35)."""
        self.check_in_arbitration()
        earliest = earliest_hearing_day(notified_on, calendar)
        if day < earliest:
            raise ArbitrationRuleBroken(
                f"a hearing notified today is on {earliest} at the earliest (art. 35: 5 days' "
                f"notice), not {day}")
        self.hearing_on = day

    def extend_award_period(self, days: int) -> None:
        """A complex case: the award period extended (art. 43; the clock checks by how much)."""
        self.check_in_arbitration()
        self.history = {**self.history, "award_period_extended": days}

    # -- the award and what follows ----------------------------------------------------------

    def make_award(self, amount: Decimal, items: Mapping[str, Decimal] | None,
                   monthly_minimum_wage: Decimal, at: datetime) -> Award:
        """The award (裁决): its items, whether it is final for the employer (art. 47), and the
        windows it opens, which run from receipt: it is served the day it is made (arts. 48-50).
        Whether the case may be awarded now is the lifecycle's to say."""
        self.amount_awarded = amount
        self.award_items = {k: str(v) for k, v in award_items(
            self.dossier["claim_types"], amount, items).items()}
        self.final_for_employer = final_for_employer(
            {k: Decimal(v) for k, v in self.award_items.items()}, monthly_minimum_wage)
        self.awarded_at = at
        self.history = {**self.history, "award": str(amount),
                        "final_for_employer": self.final_for_employer}
        windows = (CHALLENGE_WINDOWS_FINAL if self.final_for_employer
                   else (ClockKind.SUIT_AFTER_AWARD,))
        return Award(amount=amount, items=dict(self.award_items),
                     final_for_employer=self.final_for_employer, windows=windows)

    def apply_to_set_aside(self, window_open: bool) -> None:
        """The employer applies to the intermediate court to set a final award aside (art. 49);
        ``window_open``: its 30 days are still running."""
        if not self.awarded or not self.final_for_employer:
            raise ArbitrationRuleBroken("only a final award is set aside (arts. 47, 49)")
        if not window_open:
            raise ArbitrationRuleBroken("the 30 days to apply to set aside have passed (art. 49)")
        self.history = {**self.history, "set_aside_applied": True}

    def check_referral(self, purpose: str, by: str, suit_window_open: bool) -> HandoffPurpose:
        """A party sues (诉讼) after the award, or when none came in time; or the worker applies
        to enforce an award in effect (执行). ``suit_window_open``: the clock of
        ``suit_window`` is still running."""
        if purpose not in (HandoffPurpose.LITIGATION, HandoffPurpose.ENFORCEMENT):
            raise ValueError(f"arbitration refers to court for litigation or enforcement, not {purpose}")
        if by not in PARTIES:
            raise ValueError(f"a suit is brought by the worker or the employer, not {by!r}")
        if purpose == HandoffPurpose.LITIGATION:
            self.check_suit(by, suit_window_open)
        elif self.awarded and not (self.final_for_employer or self.effective_on):
            raise ArbitrationRuleBroken(
                "a non-final award is enforced once it takes effect, when the 15 days to sue "
                "have passed (art. 50)")
        return HandoffPurpose(purpose)

    def check_suit(self, by: str, window_open: bool) -> None:
        """Whether ``by`` may sue now; ``window_open``: the clock of ``suit_window`` is still
        running."""
        if self.in_arbitration:
            if not self.award_overdue:
                raise ArbitrationRuleBroken(
                    "before the award a party may sue only once the award period has run out "
                    "(art. 43)")
            return
        if self.effective_on is not None:
            raise ArbitrationRuleBroken(f"the award took effect on {self.effective_on}: the time "
                                        "to sue has passed (arts. 48, 50)")
        if self.final_for_employer and by == "employer":
            raise ArbitrationRuleBroken("the award is final for the employer (art. 47): it may "
                                        "only apply to set it aside (art. 49)")
        if not window_open:
            raise ArbitrationRuleBroken(f"the 15 days to sue have passed ({self.suit_window.value})")

    # -- periods running out -----------------------------------------------------------------

    def period_ran_out(self, kind: ClockKind, last_day: date, windows_open: bool) -> date | None:
        """One of the case's periods ran out on ``last_day``; ``windows_open``: a challenge
        window is still running. Returns the day the award took effect, if it did now."""
        if kind is ClockKind.AWARD and self.in_arbitration:
            self.award_overdue = True
            self.history = {**self.history, "award_overdue": True}
        elif kind in CHALLENGE_WINDOWS and self.awarded and not windows_open:
            return self._take_effect(last_day)
        else:
            late = sorted({*self.history.get("late", []), str(kind)})
            self.history = {**self.history, "late": late}
        return None

    def _take_effect(self, last_window_day: date) -> date:
        # A final award is in effect from the day it is made (art. 47); any other from the end
        # of the time to sue (art. 50).
        assert self.awarded_at is not None
        self.effective_on = (china_day(self.awarded_at) if self.final_for_employer
                             else last_window_day + timedelta(days=1))
        self.history = {**self.history, "award_effective_on": self.effective_on.isoformat()}
        return self.effective_on


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
