"""The outbox relay's CPU per published event: ``python -m bench.relay_cpu [--events 1200]
[--cases 120] [--per-commit 3] [--database sqlite|postgres|URL] [--profile N]``.

An agency's outbox (mediation's tables: ``outbox`` and ``data_keys``, on a SQLite file or a
scratch PostgreSQL database) is filled with ``--events`` events of ``--cases`` cases, in turns
(each case's next event, the cases in a random order each turn), each body sealed under its
case's data key as the service's unit of work seals it (``SqlOutbox`` with ``CaseKeys``, keys
wrapped by a key file of the run's own). The relay (``OutboxRelay``, ``ConfirmedPublisher``) then
sends them to the real broker, each persistent and mandatory with a publisher confirm, to a
throwaway topic exchange of the run's own (the rows are pointed at it) with a throwaway queue
bound to everything, so every event is routable; both are deleted at the end. Two ways:

- backlog: every event committed before the relay starts, then flushed until none is left;
- as committed: ``--per-commit`` events committed at a time, the relay flushing after each
  commit, as a commit wakes it in a service.

Reported, per published event: the CPU time of this process in the relay (``process_time``: a
loaded machine stretches the wall time, not this; the broker's and a PostgreSQL server's own CPU
are not in it), and the SQL statements the relay ran (counted by SQLAlchemy's cursor events on a
second outbox, as those events cost time of their own). Every event is checked sent, its row cut
to its header, and the queue to hold one message per event. ``--profile N`` prints the N
functions the relay spent most CPU in (cProfile, on a further outbox, each way).

It measures and asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kombu import Connection, Exchange, Queue
from sqlalchemy import Engine, event, func, select, update

from disputes_shared.clocks.wall import SystemClock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.kit.broker import ConfirmedPublisher, amqp_uri
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.metrics import PlatformMetrics
from disputes_shared.plumbing.outbox import SqlOutbox
from disputes_shared.plumbing.personal_data import LocalKeyFile, is_sealed
from disputes_shared.plumbing.relay import OutboxRelay
from disputes_shared.plumbing.sealed import CaseKeys
from mediation.adapters import metadata, plumbing

from .bulk import NO_TIMEOUTS
from .large_trail import database
from .trail_consumer import statement_kind

OUTBOX, DATA_KEYS = plumbing.outbox, plumbing.data_keys
assert OUTBOX is not None and DATA_KEYS is not None
# What mediation publishes of a case, in this order, again from the start for a longer case.
COURSE = ("handoff.accepted", "mediation.session_held", "mediation.failed", "handoff.requested",
          "handoff.dossier", "case.closed")


@dataclass(frozen=True)
class Broker:
    """The run's own exchange on the broker at ``uri``, and its queue bound to everything sent
    there."""

    uri: str
    exchange: str
    queue: str

    def queued(self) -> int:
        with Connection(self.uri) as connection:
            return int(connection.channel().queue_declare(self.queue, passive=True).message_count)

    def purge(self) -> None:
        with Connection(self.uri) as connection:
            connection.channel().queue_purge(self.queue)


@contextlib.contextmanager
def throwaway_broker(uri: str) -> Iterator[Broker]:
    name = f"bench.relay-cpu.{uuid.uuid4().hex[:12]}"
    with Connection(uri) as connection:
        channel = connection.channel()
        Exchange(name, type="topic", durable=False)(channel).declare()
        Queue(name, Exchange(name, type="topic", durable=False), routing_key="#", durable=True,
              queue_arguments={"x-queue-type": "quorum"})(channel).declare()
        try:
            yield Broker(uri, name, name)
        finally:
            channel = connection.channel()
            channel.queue_delete(name)
            channel.exchange_delete(name)


def commit_order(events: int, cases: int, seed: int) -> list[tuple[str, str]]:
    """(case id, event type) in the order they are committed: each case's next event in turn,
    the cases shuffled at every turn."""
    rng = random.Random(seed)
    case_ids = [f"LD-20260302-{n:010d}" for n in range(cases)]
    order: list[tuple[str, str]] = []
    for turn in range(-(-events // cases)):
        rng.shuffle(case_ids)
        order += [(case_id, COURSE[turn % len(COURSE)]) for case_id in case_ids]
    return order[:events]


def envelopes_of(order: list[tuple[str, str]]) -> list[Envelope]:
    from tests.support.examples import example_payloads

    payloads, now = example_payloads(), datetime.now(UTC)
    return [Envelope(event_type, case_id, Agency.MEDIATION, now, payloads[event_type], correlation_id=case_id)
            for case_id, event_type in order]


class Outbox:
    """Mediation's outbox and data keys on one database, and how its unit of work fills them."""

    def __init__(self, engine: Engine, keys: LocalKeyFile, broker: Broker) -> None:
        self.engine, self.keys, self.broker = engine, keys, broker
        self.filling = False  # while the outbox is filled: not the relay's statements
        metadata.create_all(engine, tables=[OUTBOX, DATA_KEYS])

    def commit(self, envelopes: list[Envelope]) -> None:
        """Committed as a unit of work commits them, sealed under their cases' keys, pointed at
        the run's exchange."""
        self.filling = True
        with self.engine.begin() as connection:
            case_keys = CaseKeys(connection, DATA_KEYS, self.keys)
            for envelope in envelopes:  # made when the service first kept the case's dossier
                case_keys.data_key(envelope.case_id, create=True)
            outbox = SqlOutbox(connection, OUTBOX, case_keys)
            outbox.add(envelopes, datetime.now(UTC))
            connection.execute(update(OUTBOX).where(OUTBOX.c.published_at.is_(None))
                               .values(exchange=self.broker.exchange))
        self.filling = False

    def check_sent(self, events: int) -> None:
        """Every event sent once, its row cut to a header that names no one."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(OUTBOX.c.body, OUTBOX.c.published_at)).all()
            keys = connection.execute(select(func.count()).select_from(DATA_KEYS)).scalar_one()
        if len(rows) != events or any(row.published_at is None for row in rows):
            raise RuntimeError(f"{sum(row.published_at is None for row in rows)} of {len(rows)} events unsent")
        if any(is_sealed(row.body) or "payload" in json.loads(row.body) for row in rows):
            raise RuntimeError("a sent event's row kept its payload")
        if not keys:
            raise RuntimeError("no case had a data key: nothing was sealed")


def relay_on(engine: Engine, keys: LocalKeyFile, publisher: ConfirmedPublisher) -> OutboxRelay:
    """The relay as a service's storage makes it (``nameko_deps.Storage``)."""
    return OutboxRelay(engine, OUTBOX, publisher, PlatformMetrics("mediation"), SystemClock(),
                       case_keys=lambda connection: CaseKeys(connection, DATA_KEYS, keys))


def drained(relay: OutboxRelay) -> int:
    """Flushed until nothing is left, as ``OutboxRelay.run`` goes on while a flush fills a batch."""
    sent = 0
    while (now := relay.flush()) > 0:
        sent += now
    return sent


Way = Callable[[Outbox, OutboxRelay, list[Envelope]], float]


def backlog(outbox: Outbox, relay: OutboxRelay, envelopes: list[Envelope]) -> float:
    """CPU seconds the relay took to send a backlog of ``envelopes``."""
    for start in range(0, len(envelopes), 50):
        outbox.commit(envelopes[start:start + 50])
    started = time.process_time()
    sent = drained(relay)
    spent = time.process_time() - started
    if sent != len(envelopes):
        raise RuntimeError(f"the relay sent {sent} of {len(envelopes)} events")
    return spent


def as_committed(per_commit: int) -> Way:
    def run(outbox: Outbox, relay: OutboxRelay, envelopes: list[Envelope]) -> float:
        """CPU seconds the relay took to send ``envelopes``, flushing after each commit."""
        spent, sent = 0.0, 0
        for start in range(0, len(envelopes), per_commit):
            outbox.commit(envelopes[start:start + per_commit])
            started = time.process_time()
            # As ``OutboxRelay.run`` does when the commit's hook has woken it.
            while (now := relay.flush()) >= relay.batch_size:
                sent += now
            sent += now
            spent += time.process_time() - started
        if sent != len(envelopes):
            raise RuntimeError(f"the relay sent {sent} of {len(envelopes)} events")
        return spent
    return run


@contextlib.contextmanager
def relayed(choice: str, folder: str, broker: Broker) -> Iterator[tuple[Outbox, OutboxRelay]]:
    """A fresh outbox on ``choice``'s database, and a relay on it with a publisher of its own."""
    keys = LocalKeyFile(Path(folder) / "keys.json")
    with tempfile.TemporaryDirectory(dir=folder) as own, database(choice, own) as url:
        engine = make_engine(url, NO_TIMEOUTS)
        publisher = ConfirmedPublisher(broker.uri)
        try:
            yield Outbox(engine, keys, broker), relay_on(engine, keys, publisher)
        finally:
            publisher.close()
            engine.dispose()


def measured(choice: str, folder: str, broker: Broker, way: Way, envelopes: list[Envelope]) -> float:
    """CPU ms per published event, ``way``, on a fresh outbox; each checked sent."""
    with relayed(choice, folder, broker) as (outbox, relay):
        spent = way(outbox, relay, envelopes)
        outbox.check_sent(len(envelopes))
    if (count := broker.queued()) != len(envelopes):
        raise RuntimeError(f"the queue holds {count} messages, not {len(envelopes)}")
    broker.purge()
    return 1000 * spent / len(envelopes)


def counted(choice: str, folder: str, broker: Broker, way: Way, envelopes: list[Envelope]) -> Counter[str]:
    """The relay's SQL statements by kind, BEGIN and COMMIT among them."""
    found: Counter[str] = Counter()
    with relayed(choice, folder, broker) as (outbox, relay):
        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if not outbox.filling:
                found[statement_kind(statement)] += 1

        def begin(_conn: Any) -> None:
            if not outbox.filling:
                found["BEGIN"] += 1

        def commit(_conn: Any) -> None:
            if not outbox.filling:
                found["COMMIT"] += 1

        event.listen(outbox.engine, "before_cursor_execute", count)
        event.listen(outbox.engine, "begin", begin)
        event.listen(outbox.engine, "commit", commit)
        way(outbox, relay, envelopes)
    broker.purge()
    return found


def profiled(choice: str, folder: str, broker: Broker, way: Way, envelopes: list[Envelope], top: int) -> str:
    profile = cProfile.Profile(time.process_time)  # CPU, not the waits for the broker
    with relayed(choice, folder, broker) as (outbox, relay):
        flush = relay.flush

        def flush_profiled() -> int:  # the filling is not the relay's
            profile.enable()
            try:
                return flush()
            finally:
                profile.disable()
        relay.flush = flush_profiled  # type: ignore[method-assign]
        way(outbox, relay, envelopes)
    broker.purge()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1200)
    parser.add_argument("--cases", type=int, default=120)
    parser.add_argument("--per-commit", type=int, default=3, help="events a commit, the relay flushing after each")
    parser.add_argument("--database", default="sqlite", help="sqlite (a temporary file), postgres (a scratch "
                                                             "database on the local server) or an empty database's URL")
    parser.add_argument("--runs", type=int, default=1, help="each way timed this many times (the median reported)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", type=int, default=0, help="print the N functions most time was spent in")
    args = parser.parse_args()
    if not 0 < args.cases <= args.events <= 100_000:
        raise SystemExit("need 0 < --cases <= --events <= 100000")
    envelopes = envelopes_of(commit_order(args.events, args.cases, args.seed))
    ways: dict[str, Way] = {"backlog": backlog, f"as committed, {args.per_commit} a commit": as_committed(args.per_commit)}
    with tempfile.TemporaryDirectory() as folder, throwaway_broker(amqp_uri()) as broker:
        print(f"{args.events} events of {args.cases} cases, sealed; the relay on {args.database}", flush=True)
        for name, way in ways.items():
            ms = sorted(measured(args.database, folder, broker, way, envelopes) for _ in range(args.runs))
            statements = counted(args.database, folder, broker, way, envelopes)
            per_event = {kind: times / args.events for kind, times in statements.most_common()}
            print(f"{name}: CPU ms per published event {statistics.median(ms):.3f} (runs: "
                  f"{', '.join(f'{m:.3f}' for m in ms)}); SQL statements per event "
                  f"{sum(per_event.values()):.2f}, BEGIN and COMMIT included", flush=True)
            for kind, times in per_event.items():
                print(f"  {times:5.2f}  {kind}")
            if args.profile:
                print(profiled(args.database, folder, broker, way, envelopes, args.profile))


if __name__ == "__main__":
    main()
