"""The what-if simulator: calibrated on a recorded period it reproduces the recorded waits;
more staff shorten them, fewer lengthen them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import simpy

from analytics.domain import StageTime
from analytics.handlers import Analytics
from analytics.simulation import what_if

START = datetime(2026, 11, 2, tzinfo=UTC)
TOLERANCE = 0.10  # the simulated mean wait within 10% of the recorded one


def recorded_period(staff: int = 3, cases: int = 400, seed: int = 4) -> list[StageTime]:
    """A month at a mediation centre of ``staff`` mediators, as the trail would split it:
    each case's wait to be taken up and the work on it (simulated here to have a truth)."""
    rng = random.Random(seed)
    env = simpy.Environment()
    mediators = simpy.Resource(env, capacity=staff)
    stages: list[StageTime] = []

    def case(n: int, at: float, work: float):  # type: ignore[no-untyped-def]
        yield env.timeout(at)
        with mediators.request() as taken_up:
            requested = env.now
            yield taken_up
            wait = env.now - requested
            stages.append(StageTime(f"w{n}", f"LD-{n}", "wait", "mediation", "intake", "accepted", wait,
                                    START + timedelta(seconds=env.now)))
            yield env.timeout(work)
            stages.append(StageTime(f"k{n}", f"LD-{n}", "work", "mediation", None, None, work,
                                    START + timedelta(seconds=env.now)))

    at = 0.0
    for n in range(cases):
        at += rng.expovariate(1 / 5400)  # a case every hour and a half
        env.process(case(n, at, rng.expovariate(1 / (3.5 * 3600))))
    env.run()
    return stages


def test_with_no_change_the_recorded_waits_are_reproduced():
    (row,) = what_if(recorded_period(), {}).values()
    assert row["staff"] == 3 and row["handoffs"] == 400
    assert row["simulated_mean_days"] == pytest.approx(row["recorded_mean_days"], rel=TOLERANCE)
    assert row["predicted_mean_days"] == row["simulated_mean_days"]


def test_more_staff_shorten_the_waits_and_fewer_lengthen_them():
    stages = recorded_period()
    more = what_if(stages, {"mediation": 2})["mediation"]
    fewer = what_if(stages, {"mediation": -1})["mediation"]
    assert more["staff_after_change"] == 5 and fewer["staff_after_change"] == 2
    assert more["predicted_mean_days"] < more["recorded_mean_days"] / 2
    assert fewer["predicted_mean_days"] > fewer["recorded_mean_days"] * 1.5


def test_a_change_to_an_agency_without_handoffs_is_refused():
    with pytest.raises(ValueError, match="no handoffs recorded to arbitration"):
        what_if(recorded_period(cases=20), {"arbitration": 1})


def test_the_service_simulates_a_period_of_its_read_model(analytics_db: Any):
    with analytics_db() as uow:
        for stage in recorded_period(cases=150):
            uow.stages.add(stage)
        uow.commit()
    with analytics_db() as uow:
        result = Analytics().simulate(uow, "2026-11", {"mediation": 1})
    assert result["agencies"]["mediation"]["handoffs"] == 150
    assert result["agencies"]["mediation"]["staff_after_change"] == result["agencies"]["mediation"]["staff"] + 1
