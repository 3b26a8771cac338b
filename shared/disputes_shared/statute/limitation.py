"""The one-year limitation on applying for labor arbitration (劳动争议调解仲裁法 art. 27).

- Para. 1: one year from the day the worker knew, or should have known, of the infringement.
- Para. 2: the period is interrupted when the worker asserts the claim against the employer,
  seeks help from a competent authority, or the employer agrees to perform; it then runs again,
  in full, from the interruption.
- Para. 4: a dispute over wage arrears during the employment relationship is not limited while
  the relationship lasts; once it ends, the claim must be made within one year of its end.

Suspension for force majeure (para. 3) is not modelled: it needs facts a filing does not carry
and is decided by the arbitrator. A civil relationship (民事关系) is not a labor dispute at all:
art. 27 does not apply to it (the civil limitation, 民法典 art. 188, is the court's to apply).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ..contract.vocabularies import LimitationStatus
from .periods import LIMITATION_YEARS, CalendarNotCovered, WorkingCalendar, limitation_end, years_later

ARTICLE_27 = "劳动争议调解仲裁法 art. 27"


class Interruption(StrEnum):
    """What interrupts the limitation (art. 27 para. 2)."""

    CLAIM_ASSERTED = "claim_asserted"  # 向对方当事人主张权利
    HELP_SOUGHT = "help_sought"  # 向有关部门请求权利救济
    EMPLOYER_AGREED = "employer_agreed"  # 对方当事人同意履行义务


@dataclass(frozen=True)
class LimitationFacts:
    known_on: date  # the day the worker knew, or should have known, of the infringement
    interruptions: tuple[tuple[date, Interruption], ...] = ()
    still_employed: bool = False
    employment_ended_on: date | None = None


@dataclass(frozen=True)
class Limitation:
    status: LimitationStatus
    runs_from: date | None  # the day counting starts from (after the last interruption)
    ends_on: date | None  # the last day to apply
    rule: str  # which paragraph decided

    def days_left(self, on: date) -> int | None:
        return None if self.ends_on is None else (self.ends_on - on).days

    def as_record(self) -> dict[str, str | None]:
        return {"status": str(self.status),
                "runs_from": self.runs_from.isoformat() if self.runs_from else None,
                "ends_on": self.ends_on.isoformat() if self.ends_on else None,
                "rule": self.rule}


def limitation_for(facts: LimitationFacts, claim_types: Iterable[str], relationship: str,
                   on: date, calendar: WorkingCalendar) -> Limitation:
    """Where the limitation of a claim stands on the day ``on`` it is brought.

    Wage arrears are judged under para. 4; any other claim type under para. 1. A claim with
    several types is as limited as its most limited type.
    """
    if relationship == "civil":
        return Limitation(LimitationStatus.NOT_APPLICABLE, None, None,
                          f"{ARTICLE_27} does not apply: a civil relationship is not a labor dispute")
    types = set(claim_types)
    if types and types <= {"unpaid_wages"}:
        if facts.still_employed:
            return Limitation(LimitationStatus.NOT_RUNNING, None, None,
                              f"{ARTICLE_27} para. 4: wage arrears while the employment lasts")
        if facts.employment_ended_on is not None:
            return _counted(facts.employment_ended_on, facts.interruptions, on, calendar,
                            f"{ARTICLE_27} para. 4: one year from the end of the employment")
    return _counted(facts.known_on, facts.interruptions, on, calendar,
                    f"{ARTICLE_27} para. 1: one year from knowing of the infringement")


def _last_day(runs_from: date, calendar: WorkingCalendar) -> tuple[date, str]:
    """The last day, and a note when the holiday calendar does not cover its year yet: then
    the day is not moved past a holiday (it can only move later, so a claim brought by it is
    certainly in time; one brought just after it needs a person to check)."""
    try:
        return limitation_end(runs_from, calendar), ""
    except CalendarNotCovered:
        return (years_later(runs_from, LIMITATION_YEARS),
                " (last day not moved past holidays: the calendar does not cover its year yet)")


def _counted(start: date, interruptions: Iterable[tuple[date, Interruption]], on: date,
             calendar: WorkingCalendar, rule: str) -> Limitation:
    runs_from = start
    end, note = _last_day(runs_from, calendar)
    for day, kind in sorted(interruptions):
        # Only an interruption while the period still runs restarts it: an expired claim is
        # not revived, and a day before the period began interrupts nothing.
        if runs_from < day <= end and day <= on:
            runs_from = day
            end, note = _last_day(runs_from, calendar)
            rule_note = f"; interrupted on {day.isoformat()} ({kind}, para. 2)"
            rule = rule.split("; interrupted", 1)[0] + rule_note
    status = LimitationStatus.RUNNING if on <= end else LimitationStatus.EXPIRED
    return Limitation(status, runs_from, end, rule + note)
