"""Early warnings: each rule on synthetic cases and series where it must fire and where it must
not; the service announces each as warning.raised (valid by the contract), once per quiet period."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from analytics.domain import CaseFacts
from analytics.handlers import Analytics
from analytics.spikes import in_festival_season, spring_festival, week_against_baseline, weekly_counts
from analytics.warnings import group_dispute, related_cases, repeat_employer, same_worker_related
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import decode, encode
from disputes_shared.regional import regional_figures

from ..support.examples import delivered, envelope, handoff_payload
from .helpers import deliver

FIGURES = regional_figures()  # Chengdu: 5 workers in 14 days; arrears again within 365 days; ...
NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
ACME = "a1b2c3d4e5f60718"


def case(n: int, days_ago: float, workers: int = 1, claims: tuple[str, ...] = ("unpaid_wages",),
         employer: str = ACME, **changes: Any) -> CaseFacts:
    return CaseFacts(f"LD-{n}", filed_at=NOW - timedelta(days=days_ago), worker_count=workers,
                     claim_types=list(claims), employer_ref=employer, industry="construction",
                     district="wuhou", **changes)


# -- group dispute forming (群体性纠纷苗头) ---------------------------------------------------------

def test_a_group_dispute_forming_is_flagged_before_any_claim_is_collective():
    cases = [case(1, 10, workers=2), case(2, 4, workers=2), case(3, 0, workers=2)]
    warning = group_dispute(ACME, cases, NOW, FIGURES)
    assert warning is not None and warning.rule == "group_dispute"
    assert warning.case_ids == ["LD-1", "LD-2", "LD-3"]
    assert warning.figures["workers"] == 6 and warning.figures["threshold_workers"] == 5


@pytest.mark.parametrize("cases", [
    pytest.param([case(1, 3, workers=2), case(2, 0, workers=2)], id="too few workers"),
    pytest.param([case(1, 20, workers=3), case(2, 0, workers=3)], id="spread beyond the window"),
    pytest.param([case(1, 0, workers=6)], id="one claim alone"),
    pytest.param([case(1, 2, workers=10), case(2, 0, workers=2)], id="already collective"),
])
def test_no_group_dispute_is_flagged(cases):
    assert group_dispute(ACME, cases, NOW, FIGURES) is None


# -- repeat employer (重复欠薪) ----------------------------------------------------------------------

def test_wage_arrears_again_within_a_year_flags_a_repeat_employer():
    warning = repeat_employer(ACME, [case(1, 200), case(2, 0)], NOW, FIGURES)
    assert warning is not None
    assert warning.figures["earlier_claims"] == 1 and warning.figures["days_since_last"] == 200


@pytest.mark.parametrize("cases", [
    pytest.param([case(1, 400), case(2, 0)], id="the earlier claim over a year ago"),
    pytest.param([case(1, 200, claims=("work_injury",)), case(2, 0)], id="the earlier claim not arrears"),
    pytest.param([case(1, 5), case(2, 0)], id="one wave, not a repeat"),
    pytest.param([case(1, 0)], id="a first claim"),
])
def test_no_repeat_employer_is_flagged(cases):
    assert repeat_employer(ACME, cases, NOW, FIGURES) is None


# -- related cases (裁审衔接) ----------------------------------------------------------------------

def test_several_arbitration_cases_against_one_employer_are_related():
    cases = [case(i, 60, arbitration_at=NOW - timedelta(days=30 - i)) for i in range(3)]
    warning = related_cases(ACME, cases, NOW, FIGURES)
    assert warning is not None and warning.agencies == ["arbitration"]
    assert warning.figures["arbitration_cases"] == 3


def test_a_case_in_court_while_another_is_in_arbitration_is_flagged_to_both():
    cases = [case(1, 100, arbitration_at=NOW - timedelta(days=90), court_at=NOW - timedelta(days=10)),
             case(2, 50, arbitration_at=NOW - timedelta(days=40))]
    warning = related_cases(ACME, cases, NOW, FIGURES)
    assert warning is not None and warning.agencies == ["arbitration", "courts"]
    assert warning.case_ids == ["LD-1", "LD-2"]


@pytest.mark.parametrize("cases", [
    pytest.param([case(i, 60, arbitration_at=NOW - timedelta(days=10)) for i in range(2)], id="two in arbitration"),
    pytest.param([case(1, 90, arbitration_at=NOW - timedelta(days=80), court_at=NOW)], id="one case, both stages"),
    pytest.param([case(i, 900, arbitration_at=NOW - timedelta(days=800)) for i in range(3)], id="long ago"),
])
def test_no_related_cases_are_flagged(cases):
    assert related_cases(ACME, cases, NOW, FIGURES) is None


WORKER = "00112233aabbccdd"


def test_one_workers_case_in_court_and_another_in_arbitration_are_flagged_to_both():
    cases = [case(1, 200, arbitration_at=NOW - timedelta(days=150), court_at=NOW - timedelta(days=20)),
             case(2, 30, arbitration_at=NOW)]
    warning = same_worker_related(WORKER, ACME, cases, NOW, FIGURES)
    assert warning is not None and warning.rule == "related_cases"
    assert warning.subject == f"{WORKER}/{ACME}" and warning.agencies == ["arbitration", "courts"]
    assert warning.case_ids == ["LD-1", "LD-2"]
    assert "LD-1 in court" in warning.explanation and "LD-2 in arbitration" in warning.explanation
    assert warning.figures == {"court_cases": 1, "arbitration_cases": 1, "window_days": 365}


@pytest.mark.parametrize("cases", [
    pytest.param([case(1, 30, arbitration_at=NOW - timedelta(days=9)), case(2, 20, arbitration_at=NOW)],
                 id="both only in arbitration"),
    pytest.param([case(1, 90, arbitration_at=NOW - timedelta(days=80), court_at=NOW)], id="one case, both stages"),
    pytest.param([case(1, 900, arbitration_at=NOW - timedelta(days=800), court_at=NOW - timedelta(days=700)),
                  case(2, 10, arbitration_at=NOW)], id="the court case long ago"),
    pytest.param([case(1, 90, court_at=NOW - timedelta(days=5)), case(2, 10)], id="the other only filed"),
])
def test_no_related_cases_of_one_worker_are_flagged(cases):
    assert same_worker_related(WORKER, ACME, cases, NOW, FIGURES) is None


# -- spikes: a seasonal baseline, the Spring Festival season handled -----------------------------

def synthetic_weeks(years: int = 3, festival_rise: float = 2.0, seed: int = 1) -> tuple[list[date], list[int]]:
    """Weekly claims with a yearly season and the pre-festival rise, Poisson noise."""
    rng = np.random.default_rng(seed)
    weeks = [date(2023, 1, 2) + timedelta(weeks=i) for i in range(52 * years)]
    counts = []
    for i, week in enumerate(weeks):
        rate = 20 + 6 * np.sin(2 * np.pi * i / 52)
        counts.append(int(rng.poisson(rate * (festival_rise if in_festival_season(week, 4) else 1))))
    return weeks, counts


def spike_test(weeks: list[date], counts: list[int], festival_weeks_before: int = 4) -> Any:
    return week_against_baseline(weeks, counts, sigmas=float(FIGURES.spike_sigmas),
                          min_excess=FIGURES.spike_min_excess_cases,
                          history_weeks=FIGURES.spike_history_weeks,
                          festival_weeks_before=festival_weeks_before)


def test_an_ordinary_week_is_no_spike_and_the_same_week_doubled_is():
    weeks, counts = synthetic_weeks()
    ordinary = spike_test(weeks[:130], counts[:130])
    assert ordinary is not None and not ordinary.spike
    doubled = spike_test(weeks[:130], [*counts[:129], counts[129] * 2 + 10])
    assert doubled is not None and doubled.spike and doubled.deviation > 3


def test_no_ordinary_week_of_a_quiet_series_fires():
    weeks, counts = synthetic_weeks(seed=5)
    fired = [weeks[k] for k in range(104, len(weeks)) if spike_test(weeks[:k + 1], counts[:k + 1]).spike]
    assert len(fired) <= 1, fired  # at 3 deviations, at most a rare true outlier


def test_the_pre_festival_rise_is_no_spike_but_a_rise_beyond_it_is():
    weeks, counts = synthetic_weeks(years=4)
    festival = spring_festival(2026)
    k = next(i for i, w in enumerate(weeks) if w >= festival - timedelta(weeks=2))
    tested = spike_test(weeks[:k + 1], counts[:k + 1])
    assert tested.festival_season and not tested.spike and tested.festival_rise > 1.5
    naive = spike_test(weeks[:k + 1], counts[:k + 1], festival_weeks_before=0)
    assert naive.spike  # without the season handled the usual rise would be taken for a spike
    beyond = spike_test(weeks[:k + 1], [*counts[:k], counts[k] * 2])
    assert beyond.spike


def test_a_short_series_is_not_tested():
    weeks, counts = synthetic_weeks(years=1)
    assert spike_test(weeks, counts) is None


def test_the_service_starts_without_the_statistics_libraries():
    # About 120 MB resident: loaded by the first series long enough to be tested, not at start.
    probe = ("import sys, analytics.service; print(','.join(m for m in "
             "('numpy', 'pandas', 'scipy', 'statsmodels', 'matplotlib') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_weekly_counts_keep_empty_weeks():
    monday = datetime(2026, 11, 2, 1, tzinfo=UTC)
    weeks, counts = weekly_counts([monday, monday, monday + timedelta(weeks=2)], monday + timedelta(weeks=3))
    assert counts == [2, 0, 1, 0] and weeks[0] == date(2026, 11, 2)


# -- the service announces them ------------------------------------------------------------------

def filed(n: int, at: datetime, workers: int = 2, employer: str = ACME, platform: str | None = None,
          claim_types: tuple[str, ...] = ("unpaid_wages",), worker: str | None = None) -> Any:
    payload = {"channel": "online", "industry": "construction", "relationship": "employment",
               "claim_types": list(claim_types), "amount_claimed": "5000.00", "worker_count": workers,
               "district": "wuhou", "legal_aid_requested": False, "chosen_station_id": None,
               "employer_ref": employer, "platform": platform, "worker_ref": worker}
    return delivered(envelope("case.filed", payload, case_id=f"LD-{n}", occurred_at=at))


def announced(db: Any) -> list[Any]:
    return [e for e in db.outbox() if e.event_type == "warning.raised"]


def test_the_service_announces_a_warning_once_per_quiet_period(analytics_db: Any):
    analytics = Analytics(FIGURES)
    for n, day in enumerate((0, 3, 6)):
        deliver(analytics_db, analytics, filed(n, NOW + timedelta(days=day)))
    (warning,) = announced(analytics_db)
    assert warning.payload["rule"] == "group_dispute" and warning.payload["subject"] == ACME
    assert warning.source_agency is Agency.ANALYTICS and warning.case_id == "LD-2"
    assert decode(encode(warning)).payload == warning.payload  # valid by the contract
    deliver(analytics_db, analytics, filed(3, NOW + timedelta(days=8)))  # within 7 quiet days
    assert len(announced(analytics_db)) == 1
    for n, day in enumerate((14, 16, 18), start=4):  # the quiet days over; not arrears again
        deliver(analytics_db, analytics, filed(n, NOW + timedelta(days=day),
                                               claim_types=("penalties_deductions",)))
    assert [w.payload["rule"] for w in announced(analytics_db)] == ["group_dispute", "group_dispute"]


def test_claims_through_one_platform_against_different_employers_form_a_group(analytics_db: Any):
    analytics = Analytics(FIGURES)
    for n in range(3):
        deliver(analytics_db, analytics, filed(n, NOW + timedelta(days=n), employer=f"{n:016x}",
                                               platform="某外卖平台"))
    (warning,) = announced(analytics_db)
    assert warning.payload["subject"] == "某外卖平台" and warning.payload["figures"]["workers"] == 6.0


def test_a_case_handed_to_arbitration_is_checked_for_related_cases(analytics_db: Any):
    analytics = Analytics(FIGURES)
    for n in range(3):
        at = NOW + timedelta(days=30 * n)
        deliver(analytics_db, analytics, filed(n, at, workers=1, claim_types=("work_injury",)))
        requested = handoff_payload("arbitration", "mediation", requested_at=at + timedelta(days=10))
        deliver(analytics_db, analytics, delivered(envelope(
            "handoff.requested", requested, case_id=f"LD-{n}", occurred_at=at + timedelta(days=10),
            source_agency=Agency.MEDIATION)))
    (warning,) = announced(analytics_db)
    assert warning.payload["rule"] == "related_cases" and warning.payload["agencies"] == ["arbitration"]
    assert warning.payload["case_ids"] == ["LD-0", "LD-1", "LD-2"]


def hand_to(analytics: Analytics, db: Any, n: int, purpose: str, from_agency: str, at: datetime) -> None:
    requested = handoff_payload(purpose, from_agency, requested_at=at)
    deliver(db, analytics, delivered(envelope("handoff.requested", requested, case_id=f"LD-{n}",
                                              occurred_at=at, source_agency=Agency(from_agency))))


def test_a_workers_second_case_reaching_arbitration_while_the_first_is_in_court_is_flagged(analytics_db: Any):
    analytics = Analytics(FIGURES)
    deliver(analytics_db, analytics, filed(1, NOW, workers=1, claim_types=("work_injury",), worker=WORKER))
    hand_to(analytics, analytics_db, 1, "arbitration", "mediation", NOW + timedelta(days=20))
    hand_to(analytics, analytics_db, 1, "litigation", "arbitration", NOW + timedelta(days=80))
    deliver(analytics_db, analytics, filed(2, NOW + timedelta(days=90), workers=1,
                                           claim_types=("penalties_deductions",), worker=WORKER))
    # Another worker's case against the employer makes no pair with them.
    deliver(analytics_db, analytics, filed(3, NOW + timedelta(days=90), workers=1,
                                           claim_types=("penalties_deductions",), worker="ffffffffffffffff"))
    hand_to(analytics, analytics_db, 3, "arbitration", "mediation", NOW + timedelta(days=95))
    # Different workers: only the employer's rule fires (one case in court, another in arbitration).
    assert [w.payload["subject"] for w in announced(analytics_db)] == [ACME]
    hand_to(analytics, analytics_db, 2, "arbitration", "mediation", NOW + timedelta(days=100))
    employer_wide, warning = announced(analytics_db)
    assert warning.payload["subject"] == f"{WORKER}/{ACME}"
    assert warning.payload["case_ids"] == ["LD-1", "LD-2"]
    assert warning.payload["agencies"] == ["arbitration", "courts"]
    assert decode(encode(warning)).payload == warning.payload  # valid by the contract


def test_the_same_cases_are_announced_once_as_the_workers_not_again_as_the_employers(analytics_db: Any):
    analytics = Analytics(FIGURES)
    for n in (1, 2):
        deliver(analytics_db, analytics, filed(n, NOW + timedelta(days=n), workers=1,
                                               claim_types=("work_injury",), worker=WORKER))
    hand_to(analytics, analytics_db, 1, "arbitration", "mediation", NOW + timedelta(days=20))
    hand_to(analytics, analytics_db, 1, "litigation", "arbitration", NOW + timedelta(days=80))
    hand_to(analytics, analytics_db, 2, "arbitration", "mediation", NOW + timedelta(days=90))
    (warning,) = announced(analytics_db)
    assert warning.payload["subject"] == f"{WORKER}/{ACME}"


def test_the_service_raises_a_spike_from_the_history_it_holds(analytics_db: Any):
    analytics = Analytics(FIGURES)
    weeks, counts = synthetic_weeks(seed=2)
    last = datetime.combine(weeks[-1], datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)
    history = [CaseFacts(f"H-{i}-{j}", filed_at=datetime.combine(w, datetime.min.time(), tzinfo=UTC)
                         + timedelta(hours=3), industry="construction", district="wuhou",
                         claim_types=["unpaid_wages"], worker_count=1)
               for i, (w, c) in enumerate(zip(weeks[:-1], counts[:-1], strict=True)) for j in range(c)]
    with analytics_db() as uow:
        for facts in history:
            uow.facts.add(dataclasses.replace(facts))
        uow.commit()
    expected = spike_test(weeks, [*counts[:-1], 1]).expected
    for n in range(int(expected) + 25):  # far beyond the week's baseline
        deliver(analytics_db, analytics, filed(n, last, workers=1, employer=f"{n:016x}"))
    spikes = [w for w in announced(analytics_db) if w.payload["rule"] == "spike"]
    assert len(spikes) == 1 and spikes[0].payload["subject"] == "construction/unpaid_wages/wuhou"


def test_the_report_lists_each_warning_with_its_figures_and_a_risk_notice_can_be_drawn(analytics_db: Any):
    analytics = Analytics(FIGURES)
    for n, day in enumerate((0, 3, 6)):
        deliver(analytics_db, analytics, filed(n, NOW + timedelta(days=day)))
    with analytics_db() as uow:
        (listed,) = analytics.report(uow, "2026-11")["warnings"]
        notice = analytics.risk_notice(uow, listed["event_id"])
        with pytest.raises(LookupError):
            analytics.risk_notice(uow, "no-such-warning")
    assert listed["rule"] == "group_dispute" and listed["figures"]["workers"] == 6.0
    assert listed["cases"] == 3 and "6 workers in 3 separate claims" in listed["explanation"]
    assert "风险提示函" in notice and ACME in notice and "workers: 6" in notice
    assert listed["event_id"] in notice
