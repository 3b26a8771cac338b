"""Statutory clocks: each kind counted by its article, edges of the counting rules, the one
extension (art. 43), firing exactly once, and a year the working-day calendar does not cover.

Dates checked by hand against the State Council's 2025 schedule (National Day 1–8 Oct with
28 Sep and 11 Oct worked; Labour Day 1–5 May with 27 Apr worked)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.clocks.kinds import CLOCK_RULES, ClockKind
from disputes_shared.clocks.statutory import (
    CHINA_TIME,
    ClockNotRunning,
    ClockStatus,
    ExtensionRefused,
    end_of_day,
    start_clock,
)
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.statute.periods import CalendarNotCovered, ChineseStatutoryCalendar

from .helpers import CalendarCoveringUpTo, receive

K = ClockKind
CALENDAR = ChineseStatutoryCalendar()
CASE = SimpleNamespace(case_id="LD-1", correlation_id="corr-1")


def china(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA_TIME)


@pytest.mark.parametrize(("kind", "citation", "event_day", "last_day"), [
    (K.MEDIATION_WITHOUT_AGREEMENT, "劳动争议调解仲裁法 art. 14", date(2025, 3, 3), date(2025, 3, 18)),
    (K.JUDICIAL_CONFIRMATION_WINDOW, "人民调解法 art. 33", date(2025, 3, 3), date(2025, 4, 2)),
    (K.ARBITRATION_ACCEPTANCE, "劳动争议调解仲裁法 art. 29", date(2025, 3, 7), date(2025, 3, 14)),
    (K.SERVICE_ON_RESPONDENT, "劳动争议调解仲裁法 art. 30", date(2025, 3, 3), date(2025, 3, 10)),
    (K.RESPONDENT_ANSWER, "劳动争议调解仲裁法 art. 30", date(2025, 4, 21), date(2025, 5, 7)),
    (K.ANSWER_PASSED_ON, "劳动争议调解仲裁法 art. 30", date(2025, 3, 3), date(2025, 3, 10)),
    (K.PANEL_NAMED, "劳动争议调解仲裁法 art. 32", date(2025, 3, 3), date(2025, 3, 10)),
    (K.AWARD, "劳动争议调解仲裁法 art. 43", date(2025, 1, 2), date(2025, 2, 17)),
    (K.WORKER_SUIT_AFTER_FINAL_AWARD, "劳动争议调解仲裁法 art. 48", date(2025, 3, 3), date(2025, 3, 18)),
    (K.EMPLOYER_SET_ASIDE, "劳动争议调解仲裁法 art. 49", date(2025, 3, 3), date(2025, 4, 2)),
    (K.SUIT_AFTER_AWARD, "劳动争议调解仲裁法 art. 50", date(2025, 3, 3), date(2025, 3, 18)),
    (K.PAYMENT_ORDER_ISSUE, "民事诉讼法 art. 223 (2021 numbering)", date(2025, 3, 3), date(2025, 3, 18)),
    (K.PAYMENT_ORDER_RESPONSE, "民事诉讼法 art. 223 (2021 numbering)", date(2025, 3, 3), date(2025, 3, 18)),
])
def test_each_clock_is_counted_by_its_article(kind, citation, event_day, last_day):
    assert CLOCK_RULES[kind].citation == citation
    clock = start_clock(kind, CASE, china(event_day.year, event_day.month, event_day.day), CALENDAR)
    assert (clock.event_day, clock.last_day) == (event_day, last_day)
    assert clock.due_at == end_of_day(last_day)


def test_a_clock_is_due_when_its_last_day_ends_in_china():
    assert end_of_day(date(2025, 3, 18)) == datetime(2025, 3, 18, 16, 0, tzinfo=UTC)


def test_every_clock_kind_has_a_rule():
    assert set(CLOCK_RULES) == set(ClockKind)


@pytest.mark.parametrize(("why", "kind", "started", "last_day"), [
    ("a make-up working Saturday (11 Oct 2025) counts inside a 5-working-day period (art. 29)",
     K.ARBITRATION_ACCEPTANCE, china(2025, 9, 30), date(2025, 10, 14)),
    ("a 15-day period ending in the National Day holiday ends on the next working day (art. 14)",
     K.MEDIATION_WITHOUT_AGREEMENT, china(2025, 9, 16), date(2025, 10, 9)),
    ("a 15-day period ending on a make-up working Sunday ends that day",
     K.MEDIATION_WITHOUT_AGREEMENT, china(2025, 9, 13), date(2025, 9, 28)),
    ("the event day is China's day: 20:00 UTC on 2 Mar is already 3 Mar in China",
     K.MEDIATION_WITHOUT_AGREEMENT, datetime(2025, 3, 2, 20, 0, tzinfo=UTC), date(2025, 3, 18)),
])
def test_the_counting_rules_at_their_edges(why, kind, started, last_day):
    assert start_clock(kind, CASE, started, CALENDAR).last_day == last_day, why


def test_day_fifteen_is_still_inside_the_mediation_period_and_day_sixteen_is_not():
    """art. 14: applied on 3 Mar 2025; day 15 (18 Mar) is the last day, it elapses at its end."""
    clock = start_clock(K.MEDIATION_WITHOUT_AGREEMENT, CASE, china(2025, 3, 3), CALENDAR)
    assert not clock.is_due(china(2025, 3, 17, 23, 59))  # day 14
    assert not clock.is_due(china(2025, 3, 18, 23, 59))  # day 15, its last minute
    assert clock.is_due(china(2025, 3, 19, 0, 0))  # day 16 begins


def test_the_award_period_is_extended_once_by_at_most_fifteen_days_with_the_chairs_approval():
    """art. 43: 45 days from acceptance (2 Jan 2025 → 16 Feb, a Sunday, so 17 Feb); +15 days
    from the statutory end (3 Mar); a second extension is refused."""
    clock = start_clock(K.AWARD, CASE, china(2025, 1, 2), CALENDAR)
    for days, approver in ((16, "chair-01"), (0, "chair-01"), (15, " ")):
        with pytest.raises(ExtensionRefused):
            clock.extend(days, approver, CALENDAR)
    clock.extend(15, "chair-01", CALENDAR)
    assert (clock.last_day, clock.extension_approved_by) == (date(2025, 3, 3), "chair-01")
    with pytest.raises(ExtensionRefused, match="one extension only"):
        clock.extend(1, "chair-01", CALENDAR)


@pytest.mark.parametrize("kind", [k for k in ClockKind if CLOCK_RULES[k].extension is None
                                  and CLOCK_RULES[k].period is not None])
def test_only_the_award_period_can_be_extended(kind):
    clock = start_clock(kind, CASE, china(2025, 3, 3), CALENDAR)
    with pytest.raises(ExtensionRefused):
        clock.extend(5, "chair-01", CALENDAR)


def test_an_agreed_payment_date_is_given_not_counted():
    with pytest.raises(ValueError, match="needs its last day"):
        start_clock(K.AGREEMENT_PERFORMANCE, CASE, china(2025, 3, 3), CALENDAR)
    with pytest.raises(ValueError, match="before the event day"):
        start_clock(K.AGREEMENT_PERFORMANCE, CASE, china(2025, 3, 3), CALENDAR, last_day=date(2025, 3, 1))
    clock = start_clock(K.AGREEMENT_PERFORMANCE, CASE, china(2025, 3, 3), CALENDAR,
                        last_day=date(2025, 3, 8))  # a Saturday: an agreed date is not moved
    assert clock.last_day == date(2025, 3, 8)
    with pytest.raises(ValueError, match="set by"):
        start_clock(K.AWARD, CASE, china(2025, 3, 3), CALENDAR, last_day=date(2025, 5, 1))


def test_a_stopped_clock_cannot_be_stopped_again_or_elapse():
    clock = start_clock(K.AWARD, CASE, china(2025, 1, 2), CALENDAR)
    clock.stop(china(2025, 1, 20), "award made")
    assert (clock.status, clock.reason) == (ClockStatus.SATISFIED, "award made")
    assert not clock.is_due(china(2025, 12, 1))
    with pytest.raises(ClockNotRunning):
        clock.elapse(china(2025, 12, 1))


def test_a_period_past_the_calendar_is_estimated_and_marked_provisional():
    """45 days from 20 Dec 2025 reach 2026: estimated (3 Feb 2026, a Tuesday, no holiday) until
    the calendar covers 2026; then counted again on it."""
    clock = start_clock(K.AWARD, CASE, china(2025, 12, 20), CalendarCoveringUpTo(2025))
    assert (clock.last_day, clock.provisional) == (date(2026, 2, 3), True)
    assert clock.recount(CalendarCoveringUpTo(2025)) is False
    assert clock.recount(CALENDAR) is True
    assert clock.provisional is False
    inside = start_clock(K.ARBITRATION_ACCEPTANCE, CASE, china(2025, 12, 1), CalendarCoveringUpTo(2025))
    assert inside.provisional is False


# -- the keeper, on a service's database -----------------------------------------------------

def keeper(calendar=CALENDAR) -> ClockKeeper:
    return ClockKeeper(Agency.ARBITRATION, calendar)


def events(db, event_type: str) -> list[Envelope]:
    return [e for e in db.outbox() if e.event_type == event_type]


def start(db, kind=K.ARBITRATION_ACCEPTANCE, case=CASE, clocks=None):
    clocks = clocks or keeper()
    with db() as uow:
        clock = clocks.start(uow, kind, case)
        uow.commit()
    return clock


def test_a_started_clock_is_stored_and_announced(arbitration_db):
    clock = start(arbitration_db)
    (started,) = events(arbitration_db, "clock.started")
    assert started.payload["clock_id"] == clock.clock_id
    assert (started.payload["kind"], started.payload["citation"]) == (
        "arbitration_acceptance", "劳动争议调解仲裁法 art. 29")
    assert started.payload["due_at"] == clock.due_at
    with arbitration_db() as uow:
        assert uow.clocks.get(clock.clock_id) == clock


def test_a_second_clock_of_the_same_kind_on_a_case_is_refused(arbitration_db):
    start(arbitration_db)
    with pytest.raises(ValueError, match="already running"):
        start(arbitration_db)


def elapsed_hook(calls):
    def on_elapsed(uow, clock):
        calls.append(clock.clock_id)
        return [Envelope(event_type="case.closed", case_id=clock.case_id,
                         source_agency=Agency.ARBITRATION, occurred_at=uow.clock.now(),
                         payload={"outcome": "abandoned", "amount_recovered": 0, "days_open": 31},
                         correlation_id=clock.correlation_id)]
    return on_elapsed


def test_a_due_clock_fires_once_with_what_follows_in_the_same_transaction(arbitration_db, clock):
    keeper_ = keeper()
    stored = start(arbitration_db, clocks=keeper_)
    calls: list[str] = []
    clock.advance(days=1)
    assert keeper_.fire_due(arbitration_db, elapsed_hook(calls)) == 0
    clock.advance(days=30)
    assert keeper_.fire_due(arbitration_db, elapsed_hook(calls)) == 1
    assert keeper_.fire_due(arbitration_db, elapsed_hook(calls)) == 0
    assert calls == [stored.clock_id]
    (elapsed,) = events(arbitration_db, "clock.elapsed")
    assert elapsed.payload["elapsed_means"] == "no decision on acceptance: the applicant may sue"
    assert [e.event_type for e in arbitration_db.outbox()][-2:] == ["clock.elapsed", "case.closed"]
    with arbitration_db() as uow:
        assert uow.clocks.get(stored.clock_id).status is ClockStatus.ELAPSED


def test_a_clock_another_worker_fired_is_not_fired_again(arbitration_db, clock):
    stored = start(arbitration_db)
    clock.advance(days=30)
    with arbitration_db() as uow:
        assert uow.clocks.claim_elapsed(stored, clock.now()) is True
        assert uow.clocks.claim_elapsed(stored, clock.now()) is False
        uow.commit()
    assert keeper().fire_due(arbitration_db, elapsed_hook([])) == 0


def test_a_stopped_clock_never_fires(arbitration_db, clock):
    keeper_ = keeper()
    start(arbitration_db, clocks=keeper_)
    with arbitration_db() as uow:
        keeper_.stop(uow, "LD-1", K.ARBITRATION_ACCEPTANCE, "accepted")
        uow.commit()
    clock.advance(days=30)
    assert keeper_.fire_due(arbitration_db, elapsed_hook([])) == 0
    (stopped,) = events(arbitration_db, "clock.stopped")
    assert stopped.payload["reason"] == "accepted"


def test_a_failing_follow_up_leaves_the_clock_running_for_the_next_tick(arbitration_db, clock):
    keeper_ = keeper()
    start(arbitration_db, clocks=keeper_)
    start(arbitration_db, case=SimpleNamespace(case_id="LD-2", correlation_id="corr-2"),
          clocks=keeper_)
    clock.advance(days=30)

    def fails_for_ld1(uow, stopped_clock):
        if stopped_clock.case_id == "LD-1":
            raise RuntimeError("database went away")
        return []

    with pytest.raises(RuntimeError):
        keeper_.fire_due(arbitration_db, fails_for_ld1)
    assert [e.case_id for e in events(arbitration_db, "clock.elapsed")] == ["LD-2"]
    assert keeper_.fire_due(arbitration_db, elapsed_hook([])) == 1
    assert sorted(e.case_id for e in events(arbitration_db, "clock.elapsed")) == ["LD-1", "LD-2"]


def test_extending_a_clock_is_announced_with_the_approver(arbitration_db):
    keeper_ = keeper()
    start(arbitration_db, kind=K.AWARD, clocks=keeper_)
    with arbitration_db() as uow:
        keeper_.extend(uow, "LD-1", K.AWARD, 15, "chair-01")
        uow.commit()
    with arbitration_db() as uow, pytest.raises(ExtensionRefused):
        keeper_.extend(uow, "LD-1", K.AWARD, 1, "chair-01")
    (extended,) = events(arbitration_db, "clock.extended")
    assert (extended.payload["extension_days"], extended.payload["approved_by"]) == (15, "chair-01")


def test_provisional_clocks_are_counted_again_once_the_calendar_covers_their_year(arbitration_db, clock):
    clock.advance(days=290)  # 17 Dec 2026: the award period reaches 2027
    with arbitration_db() as uow:
        stored = ClockKeeper(Agency.ARBITRATION, Covering2026Only()).start(uow, K.AWARD, CASE)
        uow.commit()
    assert stored.provisional
    # The timer's tick counts them again before looking for what is due (nothing is yet).
    assert keeper(Covering2026Only()).fire_due(arbitration_db, elapsed_hook([])) == 0
    assert events(arbitration_db, "clock.recounted") == []
    assert keeper(WeekdaysCalendar()).fire_due(arbitration_db, elapsed_hook([])) == 0
    (recounted,) = events(arbitration_db, "clock.recounted")
    assert recounted.payload["provisional"] is False


class Covering2026Only:
    def is_working_day(self, day: date) -> bool:
        if day.year > 2026:
            raise CalendarNotCovered(f"no schedule for {day.year}")
        return CALENDAR.is_working_day(day)


class WeekdaysCalendar:
    """A calendar that covers every year (Monday to Friday): stands for an updated package."""

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5


def test_the_summary_counts_pending_clocks_breaches_and_the_soonest_due(arbitration_db, clock):
    keeper_ = keeper()
    first = start(arbitration_db, clocks=keeper_)
    start(arbitration_db, case=SimpleNamespace(case_id="LD-2", correlation_id="corr-2"),
          kind=K.AWARD, clocks=keeper_)
    with arbitration_db() as uow:
        summary = keeper_.summary(uow)
    assert summary["arbitration_acceptance"]["pending"] == 1
    assert summary["arbitration_acceptance"]["seconds_to_soonest_due"] == (
        first.due_at - clock.now()).total_seconds()
    clock.advance(days=10)
    keeper_.fire_due(arbitration_db, lambda uow, c: [])
    with arbitration_db() as uow:
        summary = keeper_.summary(uow)
    assert summary["arbitration_acceptance"] == {
        "pending": 0, "seconds_to_soonest_due": None, "breaches": 1, "satisfied": 0,
        "provisional": 0}
    assert summary["award"]["pending"] == 1
    assert summary["panel_named"]["pending"] == 0


def test_each_fired_clock_is_reported_once_after_its_commit(arbitration_db, clock):
    keeper_ = keeper()
    stored = start(arbitration_db, clocks=keeper_)
    reported: list[str] = []
    clock.advance(days=30)
    keeper_.fire_due(arbitration_db, lambda uow, c: [], fired=lambda c: reported.append(c.clock_id))
    keeper_.fire_due(arbitration_db, lambda uow, c: [], fired=lambda c: reported.append(c.clock_id))
    assert reported == [stored.clock_id]


def test_the_service_timer_fires_clocks_and_sets_the_clock_gauges(arbitration_db, clock):
    from nameko.testing.services import worker_factory

    from arbitration.handlers import Arbitration
    from arbitration.service import ArbitrationService
    from disputes_shared.plumbing.metrics import PlatformMetrics

    metrics = PlatformMetrics("arbitration")
    service = worker_factory(ArbitrationService, storage=arbitration_db, metrics=metrics,
                             agency_logic=Arbitration())
    receive(arbitration_db, service.agency_logic, "arbitration")  # starts the acceptance clock
    service.fire_due_clocks()
    assert metrics.clocks_pending.labels("arbitration_acceptance")._value.get() == 1
    clock.advance(days=30)
    service.fire_due_clocks()
    assert metrics.clock_breaches.labels("arbitration_acceptance")._value.get() == 1
    assert metrics.clocks_pending.labels("arbitration_acceptance")._value.get() == 0
