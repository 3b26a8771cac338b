"""The city year's plan: its seasons, the pre-Spring-Festival peak, the waves, the repeat
employers and the worker pairs; and the compressed clock the platform runs it on."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from disputes_cli.city_year import FESTIVAL_WEEKS, plan_year, spring_festival
from disputes_shared.clocks.wall import CompressedClock, SystemClock, clock_of


def test_the_weeks_before_the_spring_festival_bring_the_most_claims():
    plan = plan_year(2000, seed=3, year=2026)
    assert len(plan) == 2000 and [c.at for c in plan] == sorted(c.at for c in plan)
    festival = spring_festival(2026)
    assert festival == date(2026, 2, 17)
    season = [c for c in plan if 0 < (festival - c.at.date()).days <= 7 * FESTIVAL_WEEKS]
    per_day_in_season = len(season) / (7 * FESTIVAL_WEEKS)
    per_day_in_summer = sum(1 for c in plan if c.at.month in (7, 8)) / 62
    assert per_day_in_season > 2 * per_day_in_summer


def test_the_plan_has_waves_repeat_employers_and_a_worker_in_two_cases():
    plan = plan_year(300, seed=5, year=2026)
    waves = [c for c in plan if c.kind == "wave"]
    assert len(waves) >= 40 and all(c.plan.claim["worker_count"] == 1 for c in waves)
    employers = Counter(c.plan.claim["employer"]["name"] for c in plan)
    assert employers.most_common(1)[0][1] >= 8 and len(employers) > 30
    by_worker: dict[str, list] = {}
    for c in plan:
        if c.kind == "pair":
            by_worker.setdefault(c.plan.claim["worker"]["id_number"], []).append(c)
    assert len(by_worker) == 2
    for first, second in by_worker.values():
        assert first.plan.claim["employer"]["name"] == second.plan.claim["employer"]["name"]
        assert (first.plan.path, second.plan.path) == ("failed_award_litigated", "failed_award_performed")
        assert (second.at - first.at).days >= 90


def test_a_year_needs_enough_claims():
    with pytest.raises(ValueError, match="at least 20"):
        plan_year(5, seed=1, year=2026)


def test_a_compressed_clock_runs_fast_from_its_start_and_is_never_for_production(tmp_path):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = clock_of({"COMPRESSED_CLOCK": CompressedClock(start, 86400.0, time.time()).setting()})
    assert isinstance(clock, CompressedClock) and 0 <= (clock.now() - start).total_seconds() < 86400 * 5
    assert isinstance(clock_of({}), SystemClock)
    with pytest.raises(ValueError, match="production"):
        clock_of({"COMPRESSED_CLOCK": clock.setting(), "DEPLOYMENT": "production"})
    waiting = clock_of({"COMPRESSED_CLOCK": f"{start.isoformat()},86400.0,{tmp_path / 'origin'}"})
    assert waiting.now() == start  # stands still until the run starts
    (tmp_path / "origin").write_text(repr(time.time() - 1))
    assert (waiting.now() - start).total_seconds() >= 86400
    with pytest.raises(ValueError, match="START,FACTOR,ORIGIN"):
        clock_of({"COMPRESSED_CLOCK": "tomorrow"})
