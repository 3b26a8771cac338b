"""Spikes: a week's claims in one series (industry × claim type × district) beyond its seasonal
baseline, by a robust seasonal-trend decomposition (STL, statsmodels).

The pre-Spring-Festival wage-arrears season (春节前欠薪高发) moves by up to four weeks from year
to year, so a yearly seasonal component at fixed weeks cannot hold it. Its weeks are taken out
of the decomposition (interpolated over), and their usual rise above the baseline is measured
from the past seasons instead: a festival week is held to the baseline times that rise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lunardate import LunarDate

from disputes_shared.clocks.statutory import CHINA_TIME

WEEKS_PER_YEAR = 52
SEASON_SMOOTHING = 5  # weeks averaged around each week of the yearly season
MAD_TO_SIGMA = 1.4826  # a normal distribution's standard deviation per median absolute deviation


@dataclass(frozen=True)
class SpikeTest:
    """How one week compared with its baseline."""

    week: date  # the Monday it starts on (China's calendar)
    observed: int
    expected: float
    deviation: float  # robust standard deviations above the expected count
    festival_season: bool
    festival_rise: float  # the season's usual rise above the baseline (1: none measured)
    spike: bool


def week_of(at: datetime) -> date:
    day = at.astimezone(CHINA_TIME).date()
    return day - timedelta(days=day.weekday())


def spring_festival(year: int) -> date:
    solar: date = LunarDate(year, 1, 1).to_solar_date()
    return solar


def in_festival_season(week: date, weeks_before: int) -> bool:
    """The week starts within ``weeks_before`` weeks before the Spring Festival."""
    if weeks_before <= 0:
        return False
    return any(festival - timedelta(weeks=weeks_before) <= week < festival
               for festival in (spring_festival(week.year), spring_festival(week.year + 1)))


def weekly_counts(filed: Iterable[datetime], until: datetime) -> tuple[list[date], list[int]]:
    """Claims per week, from the first week with one to ``until``'s week, empty weeks as 0."""
    counted = Counter(week_of(at) for at in filed if at <= until)
    if not counted:
        return [], []
    weeks, week = [], min(counted)
    while week <= week_of(until):
        weeks.append(week)
        week += timedelta(weeks=1)
    return weeks, [counted.get(w, 0) for w in weeks]


def week_against_baseline(weeks: list[date], counts: list[int], *, sigmas: float, min_excess: int,
                   history_weeks: int, festival_weeks_before: int) -> SpikeTest | None:
    """Whether the last week is a spike against the weeks before it; None when the series
    has less than ``history_weeks`` of history (two seasons at least: STL needs them)."""
    n = len(counts[:-1])
    if n < max(history_weeks, 2 * WEEKS_PER_YEAR):
        return None
    # Imported at the first series with two seasons, not at start: statsmodels brings pandas and
    # scipy, about 120 MB resident, which a service whose series are all younger never needs.
    import numpy as np
    from statsmodels.tsa.seasonal import STL

    history = np.asarray(counts[:-1], dtype=float)
    festival = np.array([in_festival_season(w, festival_weeks_before) for w in weeks])
    past_festival = festival[:-1]
    ordinary = np.flatnonzero(~past_festival)
    # The festival weeks interpolated over, so they shape neither trend nor yearly season.
    smoothed = np.interp(np.arange(n), ordinary, history[ordinary])
    fit = STL(smoothed, period=WEEKS_PER_YEAR, robust=True).fit()
    # With a few years of weekly counts, each week's seasonal value is mostly that week's noise:
    # average it over its neighbours (the season moves slowly) and over the years seen.
    seasonal = np.convolve(np.asarray(fit.seasonal), np.ones(SEASON_SMOOTHING) / SEASON_SMOOTHING, "same")
    trend = np.asarray(fit.trend)
    baseline = trend + seasonal
    residuals = (history - baseline)[ordinary]
    mad = float(np.median(np.abs(residuals - np.median(residuals))))
    # The same weeks in the years before, at today's level.
    same_weeks = seasonal[n - WEEKS_PER_YEAR::-WEEKS_PER_YEAR]
    expected = max(0.0, float(trend[-1] + same_weeks.mean()))
    rise = 1.0
    if past_festival.any():
        rise = float(np.median(history[past_festival] / np.maximum(baseline[past_festival], 0.5)))
    in_season = bool(festival[-1])
    if in_season:
        expected *= rise
    # Counts are at least as noisy as Poisson: never hold a week to less than that.
    scale = max(MAD_TO_SIGMA * mad * (rise if in_season else 1.0), float(np.sqrt(max(expected, 1.0))))
    observed = counts[-1]
    deviation = (observed - expected) / scale
    return SpikeTest(weeks[-1], observed, round(expected, 2), round(deviation, 2), in_season,
                     round(rise, 3), deviation >= sigmas and observed - expected >= min_excess)
