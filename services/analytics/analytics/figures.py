"""The figures a centre sends upward for a period (月报): plain Python over the read model."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from disputes_shared.clocks.statutory import CHINA_TIME

from .domain import CaseFacts, StageTime, yuan

DAY_SECONDS = 86400
TOP_EMPLOYERS = 10
TREND_MONTHS = 12


class BadPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """A month (``2026-11``) or a year (``2026``) as China's calendar counts it."""

    name: str
    start: datetime
    end: datetime  # exclusive

    @classmethod
    def parse(cls, name: str) -> Period:
        if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", name):
            year, month = int(name[:4]), int(name[5:])
            start = datetime(year, month, 1, tzinfo=CHINA_TIME)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=CHINA_TIME)
        elif re.fullmatch(r"\d{4}", name):
            start = datetime(int(name), 1, 1, tzinfo=CHINA_TIME)
            end = datetime(int(name) + 1, 1, 1, tzinfo=CHINA_TIME)
        else:
            raise BadPeriod(f"a period is a month (2026-11) or a year (2026), not {name!r}")
        return cls(name, start, end)

    def holds(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end

    def trend_start(self) -> datetime:
        """The first day of the trend shown beside the period: twelve months up to its end."""
        months = self.end.year * 12 + self.end.month - 1 - TREND_MONTHS
        return datetime(months // 12, months % 12 + 1, 1, tzinfo=CHINA_TIME)


def period_report(period: Period, facts: Iterable[CaseFacts], stages: Iterable[StageTime],
                  trend: dict[str, int] | None = None) -> dict[str, Any]:
    """Every figure of the period. ``facts``: at least the cases filed, closed or whose
    mediation ended in the period (others are ignored); ``stages``: at least those that ended
    in it; ``trend``: cases filed in each of ``trend_months(period)``, by month."""
    facts = list(facts)
    received = [f for f in facts if period.holds(f.filed_at)]
    closed = [f for f in facts if period.holds(f.closed_at)]
    mediated = [f for f in facts if period.holds(f.mediation_ended_at)]
    stages = [s for s in stages if period.holds(s.ended_at)]
    agreements = sum(1 for f in mediated if f.mediation == "agreement")
    returned = [s for s in stages if s.kind == "wait" and s.answer == "returned"]
    returned_cases = {s.case_id for s in returned}
    by_case = {f.case_id: f for f in facts}
    return {
        "period": period.name,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "received": {
            "cases": len(received),
            "workers": sum(f.worker_count for f in received),
            "by_district": _count(f.district for f in received),
            "by_industry": _count(f.industry for f in received),
            "by_claim_type": _count(t for f in received for t in f.claim_types),
            "by_relationship": _count(f.relationship for f in received),
            "by_channel": _count(f.channel for f in received),
            "by_platform": _count(f.platform for f in received if f.platform),
        },
        "closed": {"cases": len(closed), "by_outcome": _count(f.outcome for f in closed),
                   "days_open": _spread([float(f.days_open) for f in closed if f.days_open is not None])},
        "mediation": {"ended": len(mediated), "agreements": agreements,
                      "failed": len(mediated) - agreements,
                      "success_rate": round(agreements / len(mediated), 4) if mediated else None},
        "money": {"claimed_yuan": str(sum((yuan(f.amount_claimed) for f in received), Decimal(0))),
                  "recovered_yuan": str(sum((yuan(f.amount_recovered) for f in closed), Decimal(0)))},
        "waits": _waits(stages),
        "work": _work(stages),
        "returns": {"handoffs_returned": len(returned), "cases_returned": len(returned_cases),
                    "cases_bounced": sum(1 for c in returned_cases
                                         if c in by_case and by_case[c].bounced)},
        "top_employers": _top_employers(received),
        "trend": [{"month": month, "cases": (trend or {}).get(month, 0)}
                  for month, _, _ in trend_months(period)],
    }


def _count(values: Iterable[str | None]) -> dict[str, int]:
    counted = Counter(value or "unknown" for value in values)
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def _spread(values: list[float]) -> dict[str, Any]:
    """Count, mean, median and 90th percentile (nearest rank), in the values' own unit."""
    if not values:
        return {"count": 0, "mean": None, "median": None, "p90": None}
    ordered = sorted(values)
    rank = max(0, -(-9 * len(ordered) // 10) - 1)
    return {"count": len(ordered), "mean": round(statistics.fmean(ordered), 2),
            "median": round(statistics.median(ordered), 2), "p90": round(ordered[rank], 2)}


def _waits(stages: list[StageTime]) -> list[dict[str, Any]]:
    """Handoff waits in days by agency pair, slowest (p90) first."""
    pairs: dict[tuple[str, str], list[float]] = {}
    for s in stages:
        if s.kind == "wait":
            pairs.setdefault((s.from_agency or "unknown", s.agency), []).append(s.seconds / DAY_SECONDS)
    rows = [{"from_agency": a, "to_agency": b, "days": _spread(days)} for (a, b), days in pairs.items()]
    return sorted(rows, key=lambda r: (-r["days"]["p90"], r["from_agency"], r["to_agency"]))


def _work(stages: list[StageTime]) -> list[dict[str, Any]]:
    """Days worked per agency, longest (p90) first."""
    agencies: dict[str, list[float]] = {}
    for s in stages:
        if s.kind == "work":
            agencies.setdefault(s.agency, []).append(s.seconds / DAY_SECONDS)
    rows = [{"agency": a, "days": _spread(days)} for a, days in agencies.items()]
    return sorted(rows, key=lambda r: (-r["days"]["p90"], r["agency"]))


def _top_employers(received: list[CaseFacts]) -> list[dict[str, Any]]:
    employers: dict[str, list[CaseFacts]] = {}
    for f in received:
        if f.employer_ref:
            employers.setdefault(f.employer_ref, []).append(f)
    ranked = sorted(employers.items(),
                    key=lambda item: (-len(item[1]), -sum(f.worker_count for f in item[1]), item[0]))
    return [{"employer_ref": ref, "cases": len(cases), "workers": sum(f.worker_count for f in cases),
             "claimed_yuan": str(sum((yuan(f.amount_claimed) for f in cases), Decimal(0)))}
            for ref, cases in ranked[:TOP_EMPLOYERS]]


def trend_months(period: Period) -> list[tuple[str, datetime, datetime]]:
    """The twelve months up to the period's end, each with its start and end."""
    months = []
    at = period.trend_start()
    while at < period.end:
        following = datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=CHINA_TIME)
        months.append((at.strftime("%Y-%m"), at, following))
        at = following
    return months
