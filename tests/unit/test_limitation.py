"""The one-year limitation (劳动争议调解仲裁法 art. 27): each row cites its paragraph; the last days
were checked by hand against the State Council's calendar (7 Mar 2026 and 10 Jan 2026 are
Saturdays, so those periods end on the Monday after)."""

from __future__ import annotations

from datetime import date

import pytest

from disputes_shared.contract.vocabularies import LimitationStatus
from disputes_shared.statute.limitation import Interruption, LimitationFacts, limitation_for
from disputes_shared.statute.periods import ChineseStatutoryCalendar

CALENDAR = ChineseStatutoryCalendar()
RUNNING, EXPIRED = LimitationStatus.RUNNING, LimitationStatus.EXPIRED
ASSERTED, HELP, AGREED = Interruption.CLAIM_ASSERTED, Interruption.HELP_SOUGHT, Interruption.EMPLOYER_AGREED
TERMINATION = ["termination_compensation"]
WAGES = ["unpaid_wages"]

ROWS = {
    "para. 1: the last day of the year is still in time": (
        LimitationFacts(date(2025, 3, 3)), TERMINATION, date(2026, 3, 3), RUNNING, date(2026, 3, 3)),
    "para. 1: the day after it is too late": (
        LimitationFacts(date(2025, 3, 3)), TERMINATION, date(2026, 3, 4), EXPIRED, date(2026, 3, 3)),
    "a last day on a Saturday moves to Monday (民法典 art. 203)": (
        LimitationFacts(date(2025, 3, 7)), TERMINATION, date(2026, 3, 9), RUNNING, date(2026, 3, 9)),
    "para. 2: the worker asserting the claim restarts the year": (
        LimitationFacts(date(2025, 1, 10), ((date(2025, 6, 1), ASSERTED),)), TERMINATION,
        date(2026, 3, 4), RUNNING, date(2026, 6, 1)),
    "without the interruption the same claim is too late": (
        LimitationFacts(date(2025, 1, 10)), TERMINATION, date(2026, 3, 4), EXPIRED, date(2026, 1, 12)),
    "para. 2: help sought from an authority restarts it": (
        LimitationFacts(date(2024, 12, 1), ((date(2025, 11, 20), HELP),)), TERMINATION,
        date(2026, 11, 20), RUNNING, date(2026, 11, 20)),
    "para. 2: the employer agreeing to pay restarts it; the last interruption counts": (
        LimitationFacts(date(2024, 6, 3), ((date(2025, 1, 6), ASSERTED), (date(2025, 5, 12), AGREED))),
        TERMINATION, date(2026, 5, 12), RUNNING, date(2026, 5, 12)),
    "an interruption on the last day still counts": (
        LimitationFacts(date(2024, 3, 4), ((date(2025, 3, 4), ASSERTED),)), TERMINATION,
        date(2026, 3, 4), RUNNING, date(2026, 3, 4)),
    "an interruption after the year ran out revives nothing": (
        LimitationFacts(date(2024, 1, 10), ((date(2025, 6, 1), AGREED),)), TERMINATION,
        date(2025, 7, 1), EXPIRED, date(2025, 1, 10)),
    "an interruption after the filing day is not yet a fact": (
        LimitationFacts(date(2025, 1, 10), ((date(2026, 6, 1), ASSERTED),)), TERMINATION,
        date(2026, 3, 4), EXPIRED, date(2026, 1, 12)),
    "para. 4: wage arrears are not limited while the employment lasts": (
        LimitationFacts(date(2020, 1, 1), still_employed=True), WAGES, date(2026, 3, 4),
        LimitationStatus.NOT_RUNNING, None),
    "para. 4: once it ends, one year from its end": (
        LimitationFacts(date(2022, 1, 1), employment_ended_on=date(2025, 3, 3)), WAGES,
        date(2026, 3, 3), RUNNING, date(2026, 3, 3)),
    "para. 4: a day later is too late": (
        LimitationFacts(date(2022, 1, 1), employment_ended_on=date(2025, 3, 3)), WAGES,
        date(2026, 3, 4), EXPIRED, date(2026, 3, 3)),
    "para. 4 covers wages only: wages with another claim type run under para. 1": (
        LimitationFacts(date(2024, 1, 2), still_employed=True), [*WAGES, *TERMINATION],
        date(2026, 3, 4), EXPIRED, date(2025, 1, 2)),
}


@pytest.mark.parametrize(("facts", "claim_types", "on", "status", "ends_on"), ROWS.values(), ids=ROWS.keys())
def test_the_limitation_stands_where_article_27_says(facts, claim_types, on, status, ends_on):
    limitation = limitation_for(facts, claim_types, "employment", on, CALENDAR)
    assert (limitation.status, limitation.ends_on) == (status, ends_on)
    assert "art. 27" in limitation.rule


def test_a_civil_relationship_is_not_a_labor_dispute_so_article_27_does_not_apply():
    limitation = limitation_for(LimitationFacts(date(2020, 1, 1)), WAGES, "civil", date(2026, 3, 4), CALENDAR)
    assert limitation.status is LimitationStatus.NOT_APPLICABLE
    assert limitation.ends_on is None


def test_the_rule_names_the_interruption_that_restarted_the_year():
    limitation = limitation_for(LimitationFacts(date(2025, 1, 10), ((date(2025, 6, 1), AGREED),)),
                                TERMINATION, "employment", date(2026, 3, 4), CALENDAR)
    assert limitation.runs_from == date(2025, 6, 1)
    assert "interrupted on 2025-06-01 (employer_agreed, para. 2)" in limitation.rule
    assert limitation.days_left(date(2026, 3, 4)) == 89


def test_a_last_day_in_a_year_the_calendar_does_not_cover_is_not_moved_and_says_so():
    limitation = limitation_for(LimitationFacts(date(2026, 3, 6)), TERMINATION, "employment",
                                date(2026, 3, 9), CALENDAR)
    assert limitation.status is RUNNING
    assert limitation.ends_on == date(2027, 3, 6)  # a Saturday, left as it is
    assert "calendar does not cover its year yet" in limitation.rule
