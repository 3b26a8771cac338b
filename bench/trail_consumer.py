"""The trail's consumer, one delivery at a time: ``python -m bench.trail_consumer [--cases 40]
[--database sqlite|postgres|URL] [--seed 2026] [--events FILE] [--profile N]``.

The trail's deliveries of ``--cases`` planned cases (the synthetic planner's paths, acted on by
the simulated staff) are made by the in-process platform of the unit tests
(``tests/unit/inprocess.py``: every agency's service layer on in-memory storage), as the
bodies and the ``x-case-sequence`` the trail's consumer receives, in the order it receives them.
With ``--events FILE`` they are read from the file, or written to it when there is none: two
versions of the code are then compared on the very same deliveries.

They are applied as the consumer applies them, to the trail on a real database: each body
decoded by the contract (``decode_or_reason``), then ``apply_once`` with the trail's ``handle``
on its SQL unit of work, a transaction each. Reported, per delivery: the SQL statements (counted
by SQLAlchemy's cursor events, on a second database, since those events cost time of their own),
and the CPU time this process spent decoding and applying (CPU, not wall time: a loaded machine
stretches the one, not the other; a PostgreSQL server's own CPU is not in it). The chain is then
verified as ``disputes verify`` verifies it. ``--profile N`` prints the N functions the
applying spent most time in (cProfile, on a third database).

It measures and asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import pstats
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, event

from disputes_cli.synthetic import planned_cases
from disputes_shared.clocks.wall import ManualClock, SystemClock
from disputes_shared.contract.envelope import Envelope, decode_or_reason
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.ports import apply_once
from trail.adapters import SqlTrailUnitOfWork, metadata, plumbing
from trail.handlers import Trail
from trail.signing import signature_check

from .bulk import NO_TIMEOUTS
from .large_trail import database

Delivery = tuple[str, int]  # the body as sent, its x-case-sequence


def deliveries_of(cases: int, seed: int) -> list[Delivery]:
    """What the trail's consumer receives while ``cases`` planned cases run to their end."""
    from tests.support.examples import AT
    from tests.unit.inprocess import InProcessPlatform

    platform = InProcessPlatform(ManualClock(AT))
    try:
        platform.play(planned_cases(cases, seed))
        # A relay numbers what it sends by its outbox row (``relay.py``).
        return [(row["body"], row["id"]) for name, row in platform.delivered if name == "trail"]
    finally:
        platform.close()


def decoded(delivery: Delivery) -> Envelope:
    body, sequence = delivery
    source = json.loads(body)["source_agency"]
    envelope, reason = decode_or_reason(body, source)  # sent by the agency's own broker user
    if envelope is None:
        raise ValueError(f"a delivery the consumer would park: {reason}")
    return replace(envelope, case_sequence=sequence)


def applied(engine: Engine, trail: Trail, deliveries: list[Delivery]) -> tuple[float, float]:
    """Every delivery decoded and applied in a transaction of its own, as the consumer does;
    the CPU seconds spent decoding and applying."""
    clock = SystemClock()
    decoding = applying = 0.0
    for delivery in deliveries:
        started = time.process_time()
        envelope = decoded(delivery)
        middle = time.process_time()
        outcome = apply_once(lambda: SqlTrailUnitOfWork(engine, plumbing, clock), "trail",
                             envelope, trail.handle)
        ended = time.process_time()
        if outcome != "handled":
            raise RuntimeError(f"{envelope.event_type} was {outcome}, not handled")
        decoding, applying = decoding + middle - started, applying + ended - middle
    return decoding, applying


@contextlib.contextmanager
def trail_database(choice: str) -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder, database(choice, folder) as url:
        engine = make_engine(url, NO_TIMEOUTS)
        try:
            metadata.create_all(engine)
            yield engine
        finally:
            engine.dispose()


def statement_kind(statement: str) -> str:
    """``INSERT trail_entries``, ``SELECT case_summaries``...: a statement's verb and first table."""
    words = statement.split()
    verb = words[0].upper()
    table = next((w for before, w in zip(words, words[1:], strict=False)
                  if before.upper() in ("INTO", "FROM", "UPDATE")), "")
    return f"{verb} {table.strip('()')}".strip()


def counted_statements(engine: Engine, trail: Trail, deliveries: list[Delivery]) -> Counter[str]:
    counted: Counter[str] = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counted[statement_kind(statement)] += 1

    applied(engine, trail, deliveries)
    event.remove(engine, "before_cursor_execute", count)
    return counted


def profiled(engine: Engine, trail: Trail, deliveries: list[Delivery], top: int) -> str:
    envelopes = [decoded(delivery) for delivery in deliveries]
    clock = SystemClock()
    profile = cProfile.Profile()
    profile.enable()
    for envelope in envelopes:
        apply_once(lambda: SqlTrailUnitOfWork(engine, plumbing, clock), "trail", envelope, trail.handle)
    profile.disable()
    with tempfile.NamedTemporaryFile("w+") as out:
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(top)
        out.seek(0)
        return out.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database", default="sqlite", help="sqlite (a temporary file), postgres (a scratch "
                                                             "database on the local server) or an empty database's URL")
    parser.add_argument("--events", type=Path, help="the deliveries, read from this file (written when there is none)")
    parser.add_argument("--profile", type=int, default=0, help="print the N functions most time was spent in")
    args = parser.parse_args()
    if args.events and args.events.exists():
        deliveries = [tuple(d) for d in json.loads(args.events.read_text())]
    else:
        deliveries = deliveries_of(args.cases, args.seed)
        if args.events:
            args.events.write_text(json.dumps(deliveries))
    key = Ed25519PrivateKey.generate()

    def trail() -> Trail:  # a service started afresh on each database: it knows nothing of it yet
        return Trail(key.sign, signature_check(key.public_key()))
    count = len(deliveries)
    with trail_database(args.database) as engine:
        decoding, applying = applied(engine, trail(), deliveries)
        with SqlTrailUnitOfWork(engine, plumbing, SystemClock()) as uow:
            verdict = trail().verify(uow)
    with trail_database(args.database) as engine:
        statements = counted_statements(engine, trail(), deliveries)
    print(f"{engine.dialect.name}: {count} deliveries; chain {'intact' if verdict.intact else verdict.problem}, "
          f"{verdict.entries} entries")
    print(f"CPU ms per delivery: decoding {1000 * decoding / count:.3f}, applying {1000 * applying / count:.3f}, "
          f"total {1000 * (decoding + applying) / count:.3f}")
    print(f"SQL statements per delivery, besides BEGIN and COMMIT: {statements.total() / count:.2f}")
    for kind, times in statements.most_common():
        print(f"  {times / count:5.2f}  {kind}")
    if args.profile:
        with trail_database(args.database) as engine:
            print(profiled(engine, trail(), deliveries, args.profile))


if __name__ == "__main__":
    main()
