"""How long the analytics report takes on a large read model: ``python -m bench.analytics_report
--cases N [--stages-per-case K] [--database URL] [--no-rows]``.

Fills the read model in bulk (a year of N cases and K stretches of time each: handoff waits and
work; a national year is about 4,000,000 cases whose 100 million lifecycle events report about
six stretches each), then times the month's and the year's report two ways in the same run: the
figures counted in the database (what the service does) and, as the baseline, the rows of the
period read and counted in Python by the definition (``figures.tally``, what it did before);
both must give the same report. ``--no-rows`` leaves the baseline out (it takes minutes for a
year of millions of cases)."""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from analytics.adapters import SqlAnalyticsUnitOfWork, case_facts, metadata, plumbing, stage_times
from analytics.figures import Period, period_report, tally, trend_months
from disputes_shared.clocks.wall import SystemClock
from disputes_shared.contract.vocabularies import (
    CHANNELS,
    CLAIM_TYPES,
    CLOSE_OUTCOMES,
    INDUSTRIES,
    RELATIONSHIPS,
)
from disputes_shared.plumbing.engine import make_engine

from .bulk import NO_TIMEOUTS, Load, Stamps, bulk_load

DISTRICTS = [f"district-{i:02d}" for i in range(40)]
AGENCIES = ["intake", "mediation", "legal_aid", "arbitration", "courts"]
EMPLOYERS = 200_000
BATCH = 50_000
PERIODS = ("2026-11", "2026")

Row = tuple[Any, ...]




def rows(cases: int, stages_per_case: int, stamp: Stamps, seed: int) -> Iterator[tuple[list[Row], list[Row]]]:
    """Batches of (case_facts, stage_times) rows, in the tables' column order."""
    rng = random.Random(seed)
    claim_lists = [json.dumps(rng.sample(CLAIM_TYPES, rng.randint(1, 2))) for _ in range(40)]
    year_minutes = 365 * 24 * 60
    for first in range(0, cases, BATCH):
        n = min(BATCH, cases - first)
        # Cases in the order they were filed, as the read model takes them in.
        filed = sorted(first * year_minutes // cases + rng.randrange(n * year_minutes // cases) for _ in range(n))
        days = [rng.randint(1, 60) for _ in range(n)]
        facts = [
            (f"LD-{first + i:08d}", stamp(filed[i]), channel, industry, relationship, claims, district,
             f"{amount}.{cents:02d}", workers, f"{employer:016x}", None, None, mediation,
             stamp(filed[i] + 1440), None, None, returns, outcome, stamp(filed[i] + days[i] * 1440),
             "1000.00", days[i])
            for i, channel, industry, relationship, claims, district, amount, cents, workers, employer,
            mediation, returns, outcome in zip(
                range(n), rng.choices(CHANNELS, k=n), rng.choices(INDUSTRIES, k=n),
                rng.choices(RELATIONSHIPS, k=n), rng.choices(claim_lists, k=n), rng.choices(DISTRICTS, k=n),
                rng.choices(range(1000, 90000), k=n), rng.choices(range(100), k=n), rng.choices((1, 2, 3), k=n),
                rng.choices(range(EMPLOYERS), k=n), rng.choices(("agreement", "failed"), k=n),
                rng.choices((0, 0, 0, 1, 2), k=n), rng.choices(CLOSE_OUTCOMES, k=n), strict=True)]
        k = n * stages_per_case
        stages = [
            (f"{case}-{j}", case, "work" if j % 2 else "wait", agency,
             None if j % 2 else from_agency, None if j % 2 else answer, float(seconds),
             stamp(filed[i // stages_per_case] + 60 * j + 30))
            for i, j, case, agency, from_agency, answer, seconds in zip(
                range(k), (i % stages_per_case for i in range(k)),
                (facts[i // stages_per_case][0] for i in range(k)), rng.choices(AGENCIES, k=k),
                rng.choices(AGENCIES, k=k), rng.choices(("accepted",) * 9 + ("returned",), k=k),
                rng.choices(range(60, 5 * 86400), k=k), strict=True)]
        yield facts, stages


def fill(engine: Engine, cases: int, stages_per_case: int, seed: int = 1) -> float:
    """Bulk-load the rows (PostgreSQL: ``COPY``; SQLite: one prepared insert per batch), the
    indexes built after, as a load of this size is done."""
    sqlite = engine.dialect.name == "sqlite"
    metadata.create_all(engine)
    began = time.perf_counter()

    def load_rows(cursor: Any, load: Load) -> None:
        for facts, stages in rows(cases, stages_per_case, Stamps(sqlite), seed):
            load(cursor, case_facts, facts, None)
            load(cursor, stage_times, stages, None)
    bulk_load(engine, (case_facts, stage_times), load_rows)
    return time.perf_counter() - began


def timed(engine: Engine, period_name: str, count: Callable[[Any, Period], Any]) -> tuple[float, dict[str, Any]]:
    """One report of the period, counted by ``count(uow, period)``; the trend as the service reads it."""
    period = Period.parse(period_name)
    began = time.perf_counter()
    with SqlAnalyticsUnitOfWork(engine, plumbing, SystemClock()) as uow:
        trend = {month: uow.facts.count_filed_between(start, end) for month, start, end in trend_months(period)}
        figures = period_report(period, count(uow, period), trend)
    return time.perf_counter() - began, figures


def in_the_database(uow: Any, period: Period) -> Any:
    return uow.figures.tally(period)


def over_the_rows(uow: Any, period: Period) -> Any:
    return tally(period, uow.facts.involved_in(period.start, period.end),
                 uow.stages.ended_between(period.start, period.end))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--stages-per-case", type=int, default=6)
    parser.add_argument("--database", help="an empty database's SQLAlchemy URL (default: a SQLite file in a "
                                           "temporary folder)")
    parser.add_argument("--no-rows", action="store_true", help="leave out the baseline counted over the rows")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(args.database or f"sqlite:///{Path(folder) / 'analytics.db'}", NO_TIMEOUTS)
        try:
            seconds = fill(engine, args.cases, args.stages_per_case)
            print(f"{engine.dialect.name}: filled {args.cases:,} cases and "
                  f"{args.cases * args.stages_per_case:,} stretches in {seconds:.0f} s")
            for name in PERIODS:
                sql_seconds, figures = timed(engine, name, in_the_database)
                line = (f"report {name} ({figures['received']['cases']:,} cases received): "
                        f"in the database {sql_seconds:.2f} s")
                if not args.no_rows:
                    rows_seconds, baseline = timed(engine, name, over_the_rows)
                    if baseline != figures:
                        raise SystemExit(f"the two counts of {name} differ")
                    line += f", over the rows {rows_seconds:.2f} s ({rows_seconds / sql_seconds:.1f}x)"
                print(line, flush=True)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
