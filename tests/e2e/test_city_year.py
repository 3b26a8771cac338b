"""``disputes city-year`` on a small year: claims filed over intake's HTTP API on a compressed
clock, staff acting over RPC, and at the end early warnings raised and a report whose figures
spread over the year's months, with its plots. A minute and more of a busy machine, so it runs in
``make test-city-year``, not in ``make test``."""

from __future__ import annotations

from collections import Counter

import pytest

from disputes_cli.city_year import city_year, plan_year

CASES = 150
pytestmark = pytest.mark.city_year


def test_a_compressed_city_year_raises_warnings_and_reports_the_year():
    planned = plan_year(CASES, seed=7, year=2026)
    year = city_year(CASES, seed=7, year=2026, seconds=30, timeout=70)
    report = year["report"]
    assert year["cases_filed"] == CASES
    # Filed on the compressed clock as their day came: the months hold what was planned.
    by_month = {row["month"]: row["cases"] for row in report["trend"]}
    assert sum(by_month.values()) >= 0.8 * CASES  # the last days' claims may be filed in the next year
    assert sum(1 for cases in by_month.values() if cases) >= 10
    # A claim is filed when its day has come, never before: a slow round only moves it later.
    # The pre-Spring-Festival peak (17 February 2026) shows, as planned.
    assert max(Counter(c.at.month for c in planned).items(), key=lambda kv: kv[1])[0] == 2
    assert max(by_month, key=lambda month: by_month[month]) in ("2026-01", "2026-02", "2026-03")
    rules = {w["rule"] for w in report["warnings"]}
    assert {"group_dispute", "repeat_employer"} <= rules, report["warnings"]
    assert report["closed"]["cases"] > 0 and report["top_employers"]
    assert year["html"].count("data:image/png;base64,") == 4
