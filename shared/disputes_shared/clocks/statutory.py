"""A statutory clock on one case, in plain Python: started, then satisfied (stopped), extended
once where the law allows it, or elapsed.

Days are China's days: the event day and the last day are dates in China Standard Time (UTC+8,
no daylight saving), and a clock is due the moment its last day ends there.

A period that reaches a year the official working-day calendar does not cover yet is counted on
an estimate (weekends and the statutory holidays) and the clock is marked *provisional*; it is counted again on the official
calendar as soon as that covers the year (see ``recount``), before it can fire.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any, Protocol

from ..statute.periods import (
    Period,
    PeriodKind,
    WorkingCalendar,
    estimated_period_end,
)
from .kinds import CLOCK_RULES, ClockKind, ClockRule

CHINA_TIME = timezone(timedelta(hours=8), "CST")


class ClockStatus(StrEnum):
    RUNNING = "running"
    SATISFIED = "satisfied"  # stopped: what the law asked was done in time
    ELAPSED = "elapsed"  # its last day ended first


class ClockNotRunning(ValueError):
    pass


class ExtensionRefused(ValueError):
    """The law allows no (further) extension of this clock, or not that long."""


class CaseRef(Protocol):
    case_id: str
    correlation_id: str


def china_day(at: datetime) -> date:
    return at.astimezone(CHINA_TIME).date()


def end_of_day(day: date) -> datetime:
    """The moment ``day`` ends in China, as an aware UTC-comparable time."""
    return datetime.combine(day + timedelta(days=1), time(0), CHINA_TIME)


@dataclass
class StatutoryClock:
    clock_id: str
    case_id: str
    correlation_id: str
    kind: ClockKind
    started_at: datetime
    event_day: date  # the day of the triggering event (not counted)
    last_day: date
    due_at: datetime
    status: ClockStatus = ClockStatus.RUNNING
    provisional: bool = False  # counted partly on an estimate: see the module docstring
    extension_days: int = 0
    extension_approved_by: str | None = None
    ended_at: datetime | None = None
    reason: str | None = None  # why it was stopped

    @property
    def rule(self) -> ClockRule:
        return CLOCK_RULES[ClockKind(self.kind)]

    @property
    def running(self) -> bool:
        return self.status is ClockStatus.RUNNING

    def is_due(self, now: datetime) -> bool:
        return self.running and now >= self.due_at

    def stop(self, at: datetime, reason: str) -> None:
        """What the law asked was done: the clock is satisfied and never fires."""
        self._end(ClockStatus.SATISFIED, at)
        self.reason = reason

    def elapse(self, at: datetime) -> None:
        if at < self.due_at:
            raise ValueError(f"{self.kind} clock of {self.case_id} is not due until {self.due_at}")
        self._end(ClockStatus.ELAPSED, at)

    def extend(self, days: int, approved_by: str, calendar: WorkingCalendar) -> None:
        """The one extension the rule allows (art. 43: at most 15 days, the chair approving)."""
        rule = self.rule
        if not self.running:
            raise ClockNotRunning(f"{self.kind} clock of {self.case_id} is {self.status}")
        if rule.extension is None:
            raise ExtensionRefused(f"{rule.citation} allows no extension of the {self.kind} period")
        if self.extension_days:
            raise ExtensionRefused(f"{rule.citation} allows one extension only; "
                                   f"already extended by {self.extension_days} days")
        if not 1 <= days <= rule.extension.days:
            raise ExtensionRefused(f"{rule.citation}: an extension of 1 to {rule.extension.days} "
                                   f"days, not {days}")
        if not approved_by or not approved_by.strip():
            raise ExtensionRefused(f"an extension needs the approval of {rule.extension_approval}")
        self.extension_days, self.extension_approved_by = days, approved_by
        self.recount(calendar)

    def recount(self, calendar: WorkingCalendar) -> bool:
        """Count the last day again (after an extension, or on a newer calendar); whether it
        changed. Still provisional if the calendar still lacks a year it reaches."""
        if self.rule.period is None:
            return False
        before = (self.last_day, self.provisional)
        self.last_day, self.provisional = count_last_day(self.rule.period, self.event_day,
                                                         self.extension_days, calendar)
        self.due_at = end_of_day(self.last_day)
        return (self.last_day, self.provisional) != before

    def _end(self, status: ClockStatus, at: datetime) -> None:
        if not self.running:
            raise ClockNotRunning(f"{self.kind} clock of {self.case_id} is already {self.status}")
        self.status, self.ended_at = status, at


def count_last_day(period: Period, event_day: date, extension_days: int,
                   calendar: WorkingCalendar) -> tuple[date, bool]:
    """The last day of ``period`` (plus any extension) and whether any day was estimated."""
    if extension_days:
        if period.kind is not PeriodKind.CALENDAR_DAYS:
            raise ExtensionRefused("only a period of calendar days is extended here")
        # The extension adds to the statutory length; the holiday rule applies to the new end.
        period = replace(period, days=period.days + extension_days)
    return estimated_period_end(event_day, period, calendar)


def start_clock(kind: ClockKind, case: CaseRef, at: datetime, calendar: WorkingCalendar, *,
                event_day: date | None = None, last_day: date | None = None) -> StatutoryClock:
    """A clock on ``case`` started by an event at ``at`` (or on ``event_day`` when the event
    happened earlier, e.g. the day an agreement took effect). A clock whose rule has no period
    (an agreed payment date) needs its ``last_day``."""
    rule = CLOCK_RULES[ClockKind(kind)]
    day = event_day or china_day(at)
    provisional = False
    if rule.period is None:
        if last_day is None:
            raise ValueError(f"the {kind} clock needs its last day (e.g. the agreed date)")
        if last_day < day:
            raise ValueError(f"the last day {last_day} is before the event day {day}")
    else:
        if last_day is not None:
            raise ValueError(f"the {kind} period is set by {rule.citation}, not given")
        last_day, provisional = count_last_day(rule.period, day, 0, calendar)
    return StatutoryClock(
        clock_id=str(uuid.uuid4()), case_id=case.case_id, correlation_id=case.correlation_id,
        kind=ClockKind(kind), started_at=at, event_day=day, last_day=last_day,
        due_at=end_of_day(last_day), provisional=provisional)


def clock_payload(clock: StatutoryClock, **extra: Any) -> dict[str, Any]:
    """What a ``clock.*`` event says about a clock (no personal data)."""
    return {
        "clock_id": clock.clock_id, "kind": str(clock.kind), "citation": clock.rule.citation,
        "started_at": clock.started_at, "last_day": clock.last_day, "due_at": clock.due_at,
        "provisional": clock.provisional, "extension_days": clock.extension_days, **extra,
    }
