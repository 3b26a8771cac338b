"""How long the analytics report takes on a large read model: ``python -m bench.analytics_report
--cases N [--database URL]``. Fills the read model straight through the adapter (a year of
cases, their handoff waits and work), then times the month's and the year's report."""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from analytics.adapters import SqlAnalyticsUnitOfWork, case_facts, metadata, plumbing, stage_times
from analytics.handlers import Analytics
from disputes_shared.clocks.wall import SystemClock
from disputes_shared.contract.vocabularies import (
    CHANNELS,
    CLAIM_TYPES,
    CLOSE_OUTCOMES,
    INDUSTRIES,
    RELATIONSHIPS,
)
from disputes_shared.plumbing.engine import make_engine

DISTRICTS = [f"district-{i:02d}" for i in range(40)]
BATCH = 20_000


def fill(url: str, cases: int, seed: int = 1) -> float:
    rng = random.Random(seed)
    engine = make_engine(url)
    metadata.create_all(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    began = time.perf_counter()
    facts, stages = [], []
    for i in range(cases):
        filed = start + timedelta(seconds=rng.randrange(365 * 86400))
        closed = filed + timedelta(days=rng.randint(1, 60))
        case_id = f"LD-{i:08d}"
        facts.append({
            "case_id": case_id, "filed_at": filed, "channel": rng.choice(CHANNELS),
            "industry": rng.choice(INDUSTRIES), "relationship": rng.choice(RELATIONSHIPS),
            "claim_types": rng.sample(CLAIM_TYPES, rng.randint(1, 2)), "district": rng.choice(DISTRICTS),
            "amount_claimed": f"{rng.randrange(1000, 90000)}.00", "worker_count": rng.randint(1, 3),
            "employer_ref": f"{rng.randrange(200_000):016x}", "platform": None,
            "mediation": rng.choice(["agreement", "failed"]), "mediation_ended_at": filed + timedelta(days=1),
            "arbitration_at": None, "court_at": None, "returns": rng.choice([0, 0, 0, 1, 2]),
            "outcome": rng.choice(CLOSE_OUTCOMES), "closed_at": closed, "amount_recovered": "1000.00",
            "days_open": (closed - filed).days})
        for kind in ("wait", "work"):
            stages.append({"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "case_id": case_id,
                           "kind": kind, "agency": "mediation", "from_agency": "intake" if kind == "wait" else None,
                           "answer": "accepted" if kind == "wait" else None,
                           "seconds": float(rng.randrange(60, 5 * 86400)), "ended_at": filed + timedelta(hours=5)})
        if len(facts) >= BATCH or i == cases - 1:
            with engine.begin() as connection:
                connection.execute(insert(case_facts), facts)
                connection.execute(insert(stage_times), stages)
            facts, stages = [], []
    engine.dispose()
    return time.perf_counter() - began


def timed_report(url: str, period: str) -> tuple[float, int]:
    engine = make_engine(url)
    analytics = Analytics()
    began = time.perf_counter()
    with SqlAnalyticsUnitOfWork(engine, plumbing, SystemClock()) as uow:
        figures = analytics.report(uow, period)
    engine.dispose()
    return time.perf_counter() - began, figures["received"]["cases"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--database", help="a SQLAlchemy URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'analytics.db'}"
        print(f"filled {args.cases} cases in {fill(url, args.cases):.1f} s")
        for period in ("2026-11", "2026"):
            seconds, received = timed_report(url, period)
            print(f"report {period}: {seconds:.2f} s ({received} cases received)")


if __name__ == "__main__":
    main()
