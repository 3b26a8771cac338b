"""Statutory periods and the rules for counting them.

- The day of the triggering event is not counted; a period starts the next day
  (民法典 art. 201; 民事诉讼法 art. 85, which labor arbitration follows where its rules are silent).
- A period whose last day is not a working day (a weekend or a public holiday) ends on the next
  working day (民法典 art. 203; 民事诉讼法 art. 85). The State Council's make-up working days
  (调休) are working days.
- In labor arbitration the 3-, 5- and 10-day periods are working days, the 15- and 45-day
  periods calendar days (劳动人事争议仲裁办案规则, 2017, art. 19 as commonly cited).
- A period in years ends on the corresponding day of the last year, or the month's last day when
  there is none (民法典 art. 202).

Which days are working days comes from a maintained calendar (the ``chinesecalendar`` package,
updated each year after the State Council publishes the holidays), not from weekends alone. For a
year the calendar does not cover yet, the official calendar raises ``CalendarNotCovered``;
``EstimatedWhereNotCovered`` then counts with the rest days the law itself fixes, and says that
it guessed, so whatever was counted with it is counted again once the calendar covers the year.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import Protocol


class CalendarNotCovered(LookupError):
    """The working-day calendar has no data for that year yet."""


class WorkingCalendar(Protocol):
    def is_working_day(self, day: date) -> bool: ...


class ChineseStatutoryCalendar:
    """Working days as the State Council publishes them, make-up working days included."""

    def is_working_day(self, day: date) -> bool:
        import chinese_calendar

        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError as exc:
            raise CalendarNotCovered(
                f"no official holiday schedule for {day.year} in the installed calendar "
                f"({exc}); update the chinesecalendar package") from None


class PeriodKind(StrEnum):
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"


@dataclass(frozen=True)
class Period:
    days: int
    kind: PeriodKind
    citation: str


# The periods DOMAIN.md names, with where each comes from.
MEDIATION_WITHOUT_AGREEMENT = Period(15, PeriodKind.CALENDAR_DAYS, "劳动争议调解仲裁法 art. 14")
JUDICIAL_CONFIRMATION = Period(30, PeriodKind.CALENDAR_DAYS, "人民调解法 art. 33")
ARBITRATION_ACCEPTANCE = Period(5, PeriodKind.WORKING_DAYS, "劳动争议调解仲裁法 art. 29")
SERVICE_ON_RESPONDENT = Period(5, PeriodKind.WORKING_DAYS, "劳动争议调解仲裁法 art. 30")
RESPONDENT_ANSWER = Period(10, PeriodKind.WORKING_DAYS, "劳动争议调解仲裁法 art. 30")
ANSWER_PASSED_ON = Period(5, PeriodKind.WORKING_DAYS, "劳动争议调解仲裁法 art. 30")
PANEL_NAMED = Period(5, PeriodKind.WORKING_DAYS, "劳动争议调解仲裁法 art. 32")
HEARING_NOTICE = Period(5, PeriodKind.WORKING_DAYS, "劳动争议调解仲裁法 art. 35")
AWARD = Period(45, PeriodKind.CALENDAR_DAYS, "劳动争议调解仲裁法 art. 43")
AWARD_EXTENSION = Period(15, PeriodKind.CALENDAR_DAYS, "劳动争议调解仲裁法 art. 43")
WORKER_SUIT_AFTER_FINAL_AWARD = Period(15, PeriodKind.CALENDAR_DAYS, "劳动争议调解仲裁法 art. 48")
EMPLOYER_SET_ASIDE = Period(30, PeriodKind.CALENDAR_DAYS, "劳动争议调解仲裁法 art. 49")
SUIT_AFTER_AWARD = Period(15, PeriodKind.CALENDAR_DAYS, "劳动争议调解仲裁法 art. 50")
# 督促程序 (支付令), which art. 16 opens for unpaid wages, injury costs and compensation.
PAYMENT_ORDER_ISSUE = Period(15, PeriodKind.CALENDAR_DAYS, "民事诉讼法 art. 223 (2021 numbering)")
PAYMENT_ORDER_RESPONSE = Period(15, PeriodKind.CALENDAR_DAYS, "民事诉讼法 art. 223 (2021 numbering)")
LIMITATION_YEARS = 1  # 劳动争议调解仲裁法 art. 27


@cache
def statutory_holidays(year: int) -> frozenset[date]:
    """The public holidays the law itself fixes for everyone (全国年节及纪念日放假办法 art. 2, as
    revised in 2024): 元旦 1 January; 春节 New Year's Eve and the first three days of the lunar
    year; 清明 the day of the solar term; 劳动节 1 and 2 May; 端午 the 5th of the 5th lunar month;
    中秋 the 15th of the 8th lunar month; 国庆 1 to 3 October. The State Council's yearly notice
    adds the bridging days and make-up working days around them, which no rule foretells."""
    import chinese_calendar
    from lunardate import LunarDate

    def lunar(month: int, day: int) -> date:
        return LunarDate(year, month, day).to_solar_date()

    spring_festival = lunar(1, 1)
    qingming = [d for d, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
                if name == "清明"]
    return frozenset([
        date(year, 1, 1),
        *(spring_festival + timedelta(days=n) for n in range(-1, 3)),
        *qingming,
        date(year, 5, 1), date(year, 5, 2),
        lunar(5, 5),
        lunar(8, 15),
        date(year, 10, 1), date(year, 10, 2), date(year, 10, 3),
    ])


class EstimatedWhereNotCovered:
    """The official calendar, and for a year it does not cover yet an estimate: weekends and the
    statutory holidays are rest days, every other day a working day. ``estimated`` says whether
    any day was guessed, so a clock counted with it is marked provisional and counted again once
    the calendar is updated."""

    def __init__(self, official: WorkingCalendar) -> None:
        self.official = official
        self.estimated = False

    def is_working_day(self, day: date) -> bool:
        try:
            return self.official.is_working_day(day)
        except CalendarNotCovered:
            self.estimated = True
            return day.weekday() < 5 and day not in statutory_holidays(day.year)


def next_working_day_from(day: date, calendar: WorkingCalendar) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def period_end(event_day: date, period: Period, calendar: WorkingCalendar) -> date:
    """The last day of ``period`` triggered on ``event_day``."""
    if period.days < 1:
        raise ValueError("a period lasts at least one day")
    if period.kind is PeriodKind.WORKING_DAYS:
        day, counted = event_day, 0
        while counted < period.days:
            day += timedelta(days=1)
            if calendar.is_working_day(day):
                counted += 1
        return day
    return next_working_day_from(event_day + timedelta(days=period.days), calendar)


def estimated_period_end(event_day: date, period: Period,
                         calendar: WorkingCalendar) -> tuple[date, bool]:
    """The last day of ``period``, a year the calendar does not cover yet estimated (see
    ``EstimatedWhereNotCovered``), and whether any day was."""
    counting = EstimatedWhereNotCovered(calendar)
    return period_end(event_day, period, counting), counting.estimated


def years_later(day: date, years: int) -> date:
    """The corresponding day ``years`` later, or that month's last day (民法典 art. 202)."""
    year = day.year + years
    last = month_calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


def limitation_end(known_on: date, calendar: WorkingCalendar) -> date:
    """The last day to apply for arbitration, counted from the day the worker knew, or should
    have known, of the infringement (art. 27); an interruption restarts it from that day."""
    return next_working_day_from(years_later(known_on, LIMITATION_YEARS), calendar)
