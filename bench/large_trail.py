"""The trail on a large database: ``python -m bench.large_trail --cases N [--database
sqlite|postgres|URL] [--reads 50] [--seed 1]``.

Loads the trail's tables (their own definitions: ``trail.adapters``) in bulk with N cases of six
to eight entries each and their handoffs, as the trail would have recorded them (PostgreSQL:
``COPY``; SQLite: one prepared insert per batch; the indexes built after, as a load of this size
is done), then times, through the trail's own service layer and adapters:

- ``disputes trail CASE_ID`` (``Trail.trail``: the case's summary, entries and handoffs, and
  the access recorded on its chain, committed) for random cases: median and p95;
- ``disputes handoffs`` (``Trail.handoff_summary``: waits by agency pair, backlog, bounced
  cases, work by agency, counted in the database);
- the gauge of bounced cases open and closed (``Trail.bounced_cases``), which every replica of the
  trail refreshes every five seconds;
- recording one more event of a random case (``Trail.handle``, in order: the summary advanced);
- signing a checkpoint of the chain's head (``Trail.checkpoint``).

The loaded entries are numbered and linked as a chain is, but their hashes and signatures are
placeholders, not digests: enough to time reads and appends, not for ``disputes verify``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from disputes_shared.clocks.wall import SystemClock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.plumbing.engine import make_engine
from trail.adapters import SqlTrailUnitOfWork, case_summaries, metadata, plumbing, trail_entries
from trail.chain import ENTRY_FORMAT
from trail.domain import TrailEntry, entry_move, summarise, worked_seconds_of
from trail.handlers import Trail

from .bulk import NO_TIMEOUTS, YEAR, Load, Stamps, bulk_load

BATCH = 20_000  # cases per batch
HANDOFFS = plumbing.handoffs
assert HANDOFFS is not None

# A case's course: (event type, agency, handoff purpose or None, minutes after the one before).
# Handoff events name the handoff they are of by its place among the case's handoffs.
Step = tuple[str, str, str | None, int]
COURSES: list[tuple[int, list[Step]]] = [  # (weight, steps)
    (45, [("case.filed", "intake", None, 0), ("case.triaged", "intake", None, 1),
          ("handoff.requested", "intake", "mediation", 1), ("handoff.accepted", "mediation", "mediation", 600),
          ("mediation.agreement_reached", "mediation", None, 9000),
          ("case.closed", "mediation", None, 20000)]),
    (25, [("case.filed", "intake", None, 0), ("case.triaged", "intake", None, 1),
          ("handoff.requested", "intake", "mediation", 1), ("handoff.accepted", "mediation", "mediation", 900),
          ("mediation.failed", "mediation", None, 12000),
          ("handoff.requested", "mediation", "arbitration", 60),
          ("handoff.accepted", "arbitration", "arbitration", 4000),
          ("arbitration.awarded", "arbitration", None, 60000)]),
    (15, [("case.filed", "intake", None, 0), ("case.triaged", "intake", None, 1),
          ("handoff.requested", "intake", "mediation", 1), ("handoff.returned", "mediation", "mediation", 300),
          ("handoff.requested", "intake", "mediation", 30), ("handoff.accepted", "mediation", "mediation", 400),
          ("mediation.session_held", "mediation", None, 5000)]),
    (12, [("case.filed", "intake", None, 0), ("case.triaged", "intake", None, 1),
          ("handoff.requested", "intake", "mediation", 1), ("handoff.accepted", "mediation", "mediation", 700),
          ("handoff.requested", "intake", "legal_aid", 5), ("handoff.accepted", "legal_aid", "legal_aid", 2000),
          ("legal_aid.granted", "legal_aid", None, 3000)]),
    (3, [("case.filed", "intake", None, 0), ("case.triaged", "intake", None, 1),
         ("handoff.requested", "intake", "mediation", 1), ("handoff.returned", "mediation", "mediation", 200),
         ("handoff.requested", "intake", "mediation", 20), ("handoff.returned", "mediation", "mediation", 300),
         ("trail.bounced", "trail", None, 0), ("handoff.requested", "intake", "arbitration", 20)]),
]
TO_AGENCY = {"mediation": "mediation", "arbitration": "arbitration", "legal_aid": "legal_aid"}
CLOSED = {"outcome": "mediated", "amount_recovered": "2560.00"}
WORKED = {"handoff.requested", "case.closed", "legal_aid.granted"}  # entries naming worked_seconds




@dataclass
class Batch:
    entries: list[tuple[Any, ...]]
    handoffs: list[tuple[Any, ...]]
    summaries: list[tuple[Any, ...]]


# The columns each row gives, by the tables' own names (checked against their definitions).
ENTRY_COLUMNS = ("id", "event_id", "case_id", "event_type", "move", "source_agency", "occurred_at",
                 "recorded_at", "causation_id", "payload", "prev_hash", "entry_hash", "signature", "format",
                 "texts", "worked_seconds")
HANDOFF_COLUMNS = ("handoff_id", "case_id", "from_agency", "to_agency", "purpose", "requested_at", "status",
                   "answered_at", "reason", "to_unit", "wait_seconds")
SUMMARY_COLUMNS = ("case_id", "state", "aid_state", "opened_at", "last_event_at", "closed_at", "outcome",
                   "amount_recovered", "returns", "anomalies", "inspection_state", "worker_ref")


def case_id_of(n: int) -> str:
    return f"LD-2026{n:010d}"


def course_summaries() -> list[Any]:
    """Each course's summary, replayed once by the domain (``summarise``) from its entries."""
    found = []
    for _, steps in COURSES:
        minute, entries = 0, []
        for n, (event_type, agency, purpose, after) in enumerate(steps):
            minute += after
            payload = {"purpose": purpose} if purpose else {}
            entries.append(TrailEntry(
                event_id=str(n), case_id="LD", event_type=event_type, move=entry_move(event_type, payload),
                source_agency=agency, occurred_at=YEAR + timedelta(minutes=minute), recorded_at=YEAR,
                payload=CLOSED if event_type == "case.closed" else payload, id=n + 1))
        found.append(summarise("LD", entries))
    return found


def batches(cases: int, stamp: Stamps, seed: int) -> Iterator[Batch]:
    """The rows of the trail's tables, a batch of cases at a time, in the order they were recorded
    (a case's entries together: the order only matters to the chain, which is not timed here)."""
    rng = random.Random(seed)
    weights = [weight for weight, _ in COURSES]
    summaries = course_summaries()
    year_minutes = 365 * 24 * 60
    entry_id = 0
    for first in range(0, cases, BATCH):
        batch = Batch([], [], [])
        for n in range(first, min(first + BATCH, cases)):
            case_id, course = case_id_of(n), rng.choices(range(len(COURSES)), weights)[0]
            minute = n * year_minutes // cases
            opened, handoffs, worker_ref = minute, [], f"{rng.getrandbits(64):016x}"
            for event_type, agency, purpose, after in COURSES[course][1]:
                minute += after + rng.randrange(after + 1)
                entry_id += 1
                payload: dict[str, Any] = {}
                if event_type.startswith("handoff."):
                    if event_type == "handoff.requested":
                        handoffs.append([f"{case_id}-h{len(handoffs)}", case_id, agency, TO_AGENCY[str(purpose)],
                                         purpose, stamp(minute), "pending", None, None, None, None])
                        requested = minute
                    handoff = handoffs[-1]
                    payload = {"handoff_id": handoff[0], "from_agency": handoff[2], "to_agency": handoff[3],
                               "purpose": purpose, "requested_at": handoff[5]}
                    if event_type != "handoff.requested":
                        handoff[6], handoff[7] = event_type.split(".")[1], stamp(minute)
                        handoff[10] = payload["wait_seconds"] = 60.0 * (minute - requested)
                    if event_type == "handoff.returned":
                        handoff[8] = payload["reason"] = "salted-sha256:" + "0" * 64
                elif event_type == "case.closed":
                    payload = dict(CLOSED)
                elif event_type == "case.filed":
                    payload = {"channel": "online", "worker_ref": worker_ref}
                if event_type in WORKED:
                    payload["worked_seconds"] = float(rng.randrange(60, 30 * 86400))
                batch.entries.append((
                    entry_id, f"{n:010d}-{entry_id:012d}-entry", case_id, event_type,
                    entry_move(event_type, {"purpose": purpose} if purpose else {}), agency, stamp(minute),
                    stamp(minute + 1), None, json.dumps(payload), f"{entry_id - 1:064x}", f"{entry_id:064x}",
                    "0" * 128, ENTRY_FORMAT, None, worked_seconds_of(event_type, payload)))
            batch.handoffs.extend(tuple(h) for h in handoffs)
            summary = summaries[course]
            batch.summaries.append((case_id, summary.state, summary.aid_state, stamp(opened), stamp(minute),
                                    stamp(minute) if summary.closed_at else None, summary.outcome,
                                    summary.amount_recovered, summary.returns, json.dumps(summary.anomalies),
                                    summary.inspection_state, worker_ref))
        yield batch


def fill(engine: Engine, cases: int, seed: int) -> float:
    """Bulk-load the rows, the tables' indexes built after."""
    sqlite = engine.dialect.name == "sqlite"
    metadata.create_all(engine)
    loaded = ((trail_entries, ENTRY_COLUMNS), (HANDOFFS, HANDOFF_COLUMNS), (case_summaries, SUMMARY_COLUMNS))
    for table, columns in loaded:
        if set(columns) != set(table.columns.keys()):
            raise SystemExit(f"the bench's rows of {table.name} no longer match its definition")
    began = time.perf_counter()

    def load_rows(cursor: Any, load: Load) -> None:
        for batch in batches(cases, Stamps(sqlite), seed):
            load(cursor, trail_entries, batch.entries, ENTRY_COLUMNS)
            load(cursor, HANDOFFS, batch.handoffs, HANDOFF_COLUMNS)
            load(cursor, case_summaries, batch.summaries, SUMMARY_COLUMNS)
        if not sqlite:  # the next entry the trail records is numbered after the loaded ones
            cursor.execute("SELECT setval(pg_get_serial_sequence('trail_entries', 'id'), "
                           "(SELECT max(id) FROM trail_entries))")
    bulk_load(engine, [table for table, _ in loaded], load_rows)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # What autovacuum does to a table this size soon after: statistics, and on PostgreSQL
        # the visibility map that lets an index answer alone.
        connection.execute(text("ANALYZE" if sqlite else "VACUUM ANALYZE"))
    return time.perf_counter() - began


def timed(engine: Engine, times: int, step: Callable[[Any, int], Any]) -> list[float]:
    """Seconds each of ``times`` calls of ``step(uow, i)`` took, each in its own committed
    transaction, as the service's RPC and event entrypoints run them."""
    seconds = []
    for i in range(times):
        began = time.perf_counter()
        with SqlTrailUnitOfWork(engine, plumbing, SystemClock()) as uow:
            step(uow, i)
            uow.commit()
        seconds.append(time.perf_counter() - began)
    return seconds


def spread(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {1000 * statistics.median(ordered):.1f} ms, p95 {1000 * p95:.1f} ms (n={len(ordered)})"


def measure(engine: Engine, cases: int, reads: int, seed: int) -> list[str]:
    trail = Trail(Ed25519PrivateKey.generate().sign)
    rng = random.Random(seed + 1)
    picked = [case_id_of(rng.randrange(cases)) for _ in range(reads)]
    read = timed(engine, reads, lambda uow, i: trail.trail(uow, picked[i], "bench", "auditor"))
    summary: dict[str, Any] = {}
    handoffs = timed(engine, 3, lambda uow, i: summary.update(trail.handoff_summary(uow)))
    gauge = timed(engine, 3, lambda uow, i: trail.bounced_cases(uow))
    now = datetime.now(UTC)

    def record(uow: Any, i: int) -> None:
        trail.handle(uow, Envelope("mediation.session_held", picked[i], Agency.MEDIATION, now, {},
                                   correlation_id=picked[i], event_id=str(uuid.uuid4())))
    recorded = timed(engine, reads, record)
    checkpoints = []
    for i in range(3):  # each time the head has moved
        timed(engine, 1, lambda uow, _, i=i: record(uow, i))
        checkpoints += timed(engine, 1, lambda uow, _: trail.checkpoint(uow))
    pairs = summary["pairs"]
    return [f"disputes trail CASE_ID: {spread(read)}",
            f"disputes handoffs: {spread(handoffs)} ({sum(p['handoffs'] for p in pairs):,} handoffs in "
            f"{len(pairs)} agency pairs, {summary['bounced_count']:,} cases bounced, "
            f"{len(summary['bounced_cases'])} listed)",
            f"the bounced-cases gauge (refreshed every 5 s): {spread(gauge)}",
            f"recording one event of a case: {spread(recorded)}",
            f"signing a checkpoint of the chain's head: {spread(checkpoints)}"]


@contextlib.contextmanager
def database(choice: str, folder: str) -> Iterator[str]:
    """A SQLite file in ``folder``, a scratch PostgreSQL database (``postgres``: the local
    server), or the empty database a URL names."""
    if choice == "sqlite":
        yield f"sqlite:///{Path(folder) / 'trail.db'}"
    elif choice == "postgres":
        from disputes_cli.sandbox import scratch_postgres_databases

        with scratch_postgres_databases(["trail"], prefix="bench") as urls:
            yield urls["trail"]
    else:
        yield choice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite", help="sqlite (a temporary file), postgres (a scratch "
                                                             "database on the local server) or an empty database's URL")
    parser.add_argument("--reads", type=int, default=50, help="cases read (and events recorded) for the timings")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, database(args.database, folder) as url:
        engine = make_engine(url, NO_TIMEOUTS)
        try:
            seconds = fill(engine, args.cases, args.seed)
            with engine.connect() as connection:
                entries = connection.execute(text("SELECT count(*) FROM trail_entries")).scalar_one()
            print(f"{engine.dialect.name}: loaded {args.cases:,} cases, {entries:,} entries in {seconds:.0f} s",
                  flush=True)
            for line in measure(engine, args.cases, args.reads, args.seed):
                print(line, flush=True)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
