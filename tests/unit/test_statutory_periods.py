"""Counting statutory periods: each row cites its rule; dates checked by hand against the State
Council's 2025 holiday schedule (National Day 1–8 Oct with 28 Sep and 11 Oct worked; Labour Day
1–5 May with 27 Apr worked)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from disputes_shared.statute.periods import (
    ARBITRATION_ACCEPTANCE,
    AWARD,
    HEARING_NOTICE,
    JUDICIAL_CONFIRMATION,
    MEDIATION_WITHOUT_AGREEMENT,
    RESPONDENT_ANSWER,
    CalendarNotCovered,
    ChineseStatutoryCalendar,
    Period,
    PeriodKind,
    estimated_period_end,
    limitation_end,
    period_end,
    statutory_holidays,
    years_later,
)

from .helpers import CalendarCoveringUpTo

CALENDAR = ChineseStatutoryCalendar()


@pytest.mark.parametrize(("why", "event_day", "period", "last_day"), [
    ("art. 14: 15 calendar days, the event day not counted", date(2025, 3, 3), MEDIATION_WITHOUT_AGREEMENT, date(2025, 3, 18)),
    ("a last day on a Saturday moves to Monday", date(2025, 3, 7), MEDIATION_WITHOUT_AGREEMENT, date(2025, 3, 24)),
    ("a last day in the National Day holiday moves past it", date(2025, 9, 16), MEDIATION_WITHOUT_AGREEMENT, date(2025, 10, 9)),
    ("a last day on a make-up working Sunday stays", date(2025, 9, 13), MEDIATION_WITHOUT_AGREEMENT, date(2025, 9, 28)),
    ("art. 29: 5 working days from a Friday", date(2025, 3, 7), ARBITRATION_ACCEPTANCE, date(2025, 3, 14)),
    ("5 working days across National Day count the make-up Saturday", date(2025, 9, 30), ARBITRATION_ACCEPTANCE, date(2025, 10, 14)),
    ("art. 30: 10 working days across Labour Day", date(2025, 4, 21), RESPONDENT_ANSWER, date(2025, 5, 7)),
    ("art. 43: 45 calendar days ending on a Sunday", date(2025, 1, 2), AWARD, date(2025, 2, 17)),
])
def test_a_period_ends_where_the_counting_rules_say(why, event_day, period, last_day):
    assert period_end(event_day, period, CALENDAR) == last_day, why


def test_day_fourteen_is_inside_the_mediation_period_and_day_fifteen_is_its_last():
    applied = date(2025, 3, 3)
    last = period_end(applied, MEDIATION_WITHOUT_AGREEMENT, CALENDAR)
    assert applied + timedelta(days=14) < last == applied + timedelta(days=15)


@pytest.mark.parametrize(("known_on", "last_day"), [
    (date(2024, 2, 29), date(2025, 2, 28)),  # 民法典 art. 202: no 29 Feb, so the month's last day
    (date(2024, 3, 1), date(2025, 3, 3)),  # the corresponding day is a Saturday
    (date(2025, 10, 1), date(2026, 10, 8)),  # ...or inside the 2026 National Day holiday
])
def test_the_one_year_limitation_ends_on_the_corresponding_day_or_the_next_working_day(known_on, last_day):
    assert limitation_end(known_on, CALENDAR) == last_day


def test_years_later_keeps_the_day_when_the_month_has_it():
    assert years_later(date(2025, 1, 31), 1) == date(2026, 1, 31)


def test_a_year_the_calendar_does_not_cover_is_refused_not_guessed():
    with pytest.raises(CalendarNotCovered, match="2099"):
        period_end(date(2099, 3, 2), ARBITRATION_ACCEPTANCE, CALENDAR)


class WeekendsOnly:
    """A stand-in calendar: the counting rules must not depend on where the days come from."""

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5


@pytest.mark.parametrize(("days", "kind", "last_day"), [
    (3, PeriodKind.WORKING_DAYS, date(2030, 1, 9)),  # from Friday 4 Jan: Mon 7, Tue 8, Wed 9
    (1, PeriodKind.CALENDAR_DAYS, date(2030, 1, 7)),  # Saturday 5 Jan moves to Monday
])
def test_the_rules_apply_to_any_working_calendar(days, kind, last_day):
    assert period_end(date(2030, 1, 4), Period(days, kind, "test"), WeekendsOnly()) == last_day


def test_a_period_of_no_days_is_an_error():
    with pytest.raises(ValueError):
        period_end(date(2025, 3, 3), Period(0, PeriodKind.CALENDAR_DAYS, "test"), WeekendsOnly())


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_holiday_the_law_fixes_is_a_rest_day_in_the_official_calendar(year):
    """The estimate for a year not yet covered rests on these days: checked against the years
    the State Council has published (13 days a year since the 2024 revision)."""
    holidays = statutory_holidays(year)
    assert len(holidays) == 13
    assert all(not CALENDAR.is_working_day(day) for day in holidays)


def test_the_lunar_holidays_fall_where_the_2026_schedule_put_them():
    holidays = statutory_holidays(2026)
    assert {date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 19)} <= holidays  # 除夕, 初一, 初三
    assert {date(2026, 4, 5), date(2026, 6, 19), date(2026, 9, 25)} <= holidays  # 清明, 端午, 中秋


@pytest.mark.parametrize(("why", "event_day", "period", "last_day", "estimated"), [
    ("inside the covered year: the official count", date(2026, 12, 1), HEARING_NOTICE, date(2026, 12, 8), False),
    ("across the year end, 1 January a rest day", date(2026, 12, 28), HEARING_NOTICE, date(2027, 1, 5), True),
    ("a last day on 1 January moves to the next working day", date(2026, 12, 2), JUDICIAL_CONFIRMATION, date(2027, 1, 4), True),
    ("a last day on New Year's Eve moves past the festival", date(2027, 1, 6), JUDICIAL_CONFIRMATION, date(2027, 2, 9), True),
])
def test_a_year_not_covered_yet_is_estimated_from_weekends_and_statutory_holidays(
        why, event_day, period, last_day, estimated):
    assert estimated_period_end(event_day, period, CalendarCoveringUpTo(2026)) == (last_day, estimated), why
