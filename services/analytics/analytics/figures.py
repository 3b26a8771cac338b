"""The figures a centre sends upward for a period (月报): what each one counts (``tally``, over
the read model's rows) and how they are laid out (``period_report``)."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Spread:
    """Count, mean, median and 90th percentile (nearest rank) of some values, in their own unit,
    rounded to two places."""

    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        """The definition, over the values themselves."""
        if not values:
            return cls()
        ordered = sorted(values)
        rank = max(0, -(-9 * len(ordered) // 10) - 1)
        return cls(len(ordered), round(statistics.fmean(ordered), 2),
                   round(statistics.median(ordered), 2), round(ordered[rank], 2))

    @staticmethod
    def ranks(count: int) -> tuple[int, int, int]:
        """The ranks (from 1, smallest first) of the lower and upper median and of the 90th
        percentile among ``count`` values: all a store has to hand back besides the total."""
        return (count + 1) // 2, (count + 2) // 2, (9 * count + 9) // 10

    @classmethod
    def at_ranks(cls, count: int, total: float, at_rank: dict[int, float]) -> Spread:
        """The same figures from the values' total and the values at ``ranks(count)``. The
        median and percentile are the very values; the mean divides a total the store summed in
        its own order, so it can differ from ``of``'s exactly rounded sum in the last bits, which
        shows only on a mean a few billionths of a billionth from a half hundredth."""
        if not count:
            return cls()
        lower, upper, p90 = cls.ranks(count)
        median = at_rank[lower] if lower == upper else (at_rank[lower] + at_rank[upper]) / 2
        return cls(count, round(total / count, 2), round(median, 2), round(at_rank[p90], 2))

    def view(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, "median": self.median, "p90": self.p90}


@dataclass(frozen=True)
class EmployerTally:
    employer_ref: str
    cases: int
    workers: int
    claimed: Decimal


@dataclass
class PeriodTally:
    """What the figures of a period count, before they are laid out. ``tally`` is the
    definition, over the rows themselves; a store may count the same where the rows are."""

    received: int = 0
    workers: int = 0
    # Cases received by district, industry, claim_type, relationship, channel and platform.
    received_by: dict[str, Counter[str | None]] = field(default_factory=dict)
    claimed: Decimal = Decimal(0)
    closed: int = 0
    by_outcome: Counter[str | None] = field(default_factory=Counter)
    days_open: Spread = Spread()
    recovered: Decimal = Decimal(0)
    mediation_ended: int = 0
    agreements: int = 0
    waits: dict[tuple[str, str], Spread] = field(default_factory=dict)  # by (from, to) agency, in days
    work: dict[str, Spread] = field(default_factory=dict)  # by agency, in days
    handoffs_returned: int = 0
    cases_returned: int = 0
    cases_bounced: int = 0
    top_employers: list[EmployerTally] = field(default_factory=list)  # ranked, at most TOP_EMPLOYERS


RECEIVED_BY = ("district", "industry", "claim_type", "relationship", "channel", "platform")


def tally(period: Period, facts: Iterable[CaseFacts], stages: Iterable[StageTime]) -> PeriodTally:
    """The period's counts over the rows. ``facts``: at least the cases filed, closed or whose
    mediation ended in the period (others are ignored); ``stages``: at least those that ended
    in it."""
    facts = list(facts)
    received = [f for f in facts if period.holds(f.filed_at)]
    closed = [f for f in facts if period.holds(f.closed_at)]
    mediated = [f for f in facts if period.holds(f.mediation_ended_at)]
    stages = [s for s in stages if period.holds(s.ended_at)]
    returned = [s for s in stages if s.kind == "wait" and s.answer == "returned"]
    returned_cases = {s.case_id for s in returned}
    # A returned case counts as bounced only if the period's figures hold it (as they always have).
    held = {f.case_id: f for f in facts
            if any(period.holds(at) for at in (f.filed_at, f.closed_at, f.mediation_ended_at))}
    return PeriodTally(
        received=len(received), workers=sum(f.worker_count for f in received),
        received_by={
            "district": Counter(f.district for f in received),
            "industry": Counter(f.industry for f in received),
            "claim_type": Counter(t for f in received for t in f.claim_types),
            "relationship": Counter(f.relationship for f in received),
            "channel": Counter(f.channel for f in received),
            "platform": Counter(f.platform for f in received if f.platform),
        },
        claimed=sum((yuan(f.amount_claimed) for f in received), Decimal(0)),
        closed=len(closed), by_outcome=Counter(f.outcome for f in closed),
        days_open=Spread.of([float(f.days_open) for f in closed if f.days_open is not None]),
        recovered=sum((yuan(f.amount_recovered) for f in closed), Decimal(0)),
        mediation_ended=len(mediated), agreements=sum(1 for f in mediated if f.mediation == "agreement"),
        waits=_waits(stages), work=_work(stages),
        handoffs_returned=len(returned), cases_returned=len(returned_cases),
        cases_bounced=sum(1 for c in returned_cases if c in held and held[c].bounced),
        top_employers=_top_employers(received),
    )


def period_report(period: Period, counted: PeriodTally, trend: dict[str, int] | None = None) -> dict[str, Any]:
    """Every figure of the period, laid out. ``trend``: cases filed in each of
    ``trend_months(period)``, by month."""
    waits = sorted(counted.waits.items(), key=lambda item: (-(item[1].p90 or 0), item[0]))
    work = sorted(counted.work.items(), key=lambda item: (-(item[1].p90 or 0), item[0]))
    ended = counted.mediation_ended
    return {
        "period": period.name,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "received": {
            "cases": counted.received,
            "workers": counted.workers,
            **{f"by_{name}": _count(counted.received_by.get(name, Counter())) for name in RECEIVED_BY},
        },
        "closed": {"cases": counted.closed, "by_outcome": _count(counted.by_outcome),
                   "days_open": counted.days_open.view()},
        "mediation": {"ended": ended, "agreements": counted.agreements,
                      "failed": ended - counted.agreements,
                      "success_rate": round(counted.agreements / ended, 4) if ended else None},
        "money": {"claimed_yuan": str(counted.claimed), "recovered_yuan": str(counted.recovered)},
        "waits": [{"from_agency": a, "to_agency": b, "days": spread.view()} for (a, b), spread in waits],
        "work": [{"agency": a, "days": spread.view()} for a, spread in work],
        "returns": {"handoffs_returned": counted.handoffs_returned, "cases_returned": counted.cases_returned,
                    "cases_bounced": counted.cases_bounced},
        "top_employers": [{"employer_ref": e.employer_ref, "cases": e.cases, "workers": e.workers,
                           "claimed_yuan": str(e.claimed)} for e in counted.top_employers],
        "trend": [{"month": month, "cases": (trend or {}).get(month, 0)}
                  for month, _, _ in trend_months(period)],
    }


def _count(counted: Counter[str | None]) -> dict[str, int]:
    merged = Counter[str]()
    for value, count in counted.items():
        merged[value or "unknown"] += count
    return dict(sorted(merged.items(), key=lambda item: (-item[1], item[0])))


def _waits(stages: list[StageTime]) -> dict[tuple[str, str], Spread]:
    """Handoff waits in days by agency pair (who handed on, who was waited for)."""
    pairs: dict[tuple[str, str], list[float]] = {}
    for s in stages:
        if s.kind == "wait":
            pairs.setdefault((s.from_agency or "unknown", s.agency), []).append(s.seconds / DAY_SECONDS)
    return {pair: Spread.of(days) for pair, days in pairs.items()}


def _work(stages: list[StageTime]) -> dict[str, Spread]:
    """Days worked per agency."""
    agencies: dict[str, list[float]] = {}
    for s in stages:
        if s.kind == "work":
            agencies.setdefault(s.agency, []).append(s.seconds / DAY_SECONDS)
    return {agency: Spread.of(days) for agency, days in agencies.items()}


def _top_employers(received: list[CaseFacts]) -> list[EmployerTally]:
    """The employers with most cases received (then most workers, then by ref)."""
    employers: dict[str, list[CaseFacts]] = {}
    for f in received:
        if f.employer_ref:
            employers.setdefault(f.employer_ref, []).append(f)
    ranked = sorted(employers.items(),
                    key=lambda item: (-len(item[1]), -sum(f.worker_count for f in item[1]), item[0]))
    return [EmployerTally(ref, len(cases), sum(f.worker_count for f in cases),
                          sum((yuan(f.amount_claimed) for f in cases), Decimal(0)))
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
