"""Concurrency on PostgreSQL, where a service's replicas share its database: changes of
different cases run side by side, changes of one case take turns and lose nothing, the trail's
chain stays one line under concurrent appends, a clock fires once with two keepers racing,
two relays publish each outbox row once, in its case's order, and a rebuild of analytics clears
no event by halves.

Green threads stand for the replicas: each has its own connections, and the driver yields to
the others while it waits on the server (as in a service)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import eventlet
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, MetaData, select, text

import analytics.adapters
import mediation.adapters
import trail.adapters
from analytics.handlers import Analytics
from disputes_cli.sandbox import scratch_postgres_databases
from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.clocks.statutory import ClockStatus, StatutoryClock
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.handoff import HandoffAlreadyAnswered
from disputes_shared.kit.broker import Outgoing
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.locks import lease
from disputes_shared.plumbing.metrics import PlatformMetrics
from disputes_shared.plumbing.outbox import SqlOutbox
from disputes_shared.plumbing.relay import OutboxRelay
from disputes_shared.plumbing.tables import PlumbingTables
from disputes_shared.ports import UnitOfWork, apply_once
from mediation.handlers import Mediation
from trail.handlers import Trail

from ..support.examples import AT, delivered, dossier_envelope, envelope
from ..support.fakes import FakeKeyManagement
from ..support.waiting import eventually

MEDIATION = Mediation()
SIGNING_KEY = Ed25519PrivateKey.generate()
TRAIL = Trail(SIGNING_KEY.sign, lambda signature, message: _verified(signature, message))
CASES = [f"LD-20260302-000000000{n}" for n in range(1, 4)]
STATION = "people-wuhou"  # a mediation station of the directory


def _verified(signature: bytes, message: bytes) -> bool:
    try:
        SIGNING_KEY.public_key().verify(signature, message)
    except Exception:
        return False
    return True


@contextmanager
def database(metadata: MetaData, tables: PlumbingTables,
             uow_class: type[Any]) -> Iterator[tuple[Callable[[], Any], Engine, ManualClock]]:
    """A scratch PostgreSQL database with a service's tables: a unit-of-work factory on it."""
    with scratch_postgres_databases(["service"], prefix="cc") as urls:
        engine = make_engine(urls["service"])
        try:
            metadata.create_all(engine)
            clock, keys = ManualClock(AT), FakeKeyManagement()
            yield (lambda: uow_class(engine, tables, clock, keys=keys)), engine, clock
        finally:
            engine.dispose()


@pytest.fixture
def mediation_db() -> Iterator[tuple[Callable[[], Any], Engine, ManualClock]]:
    with database(mediation.adapters.metadata, mediation.adapters.plumbing,
                  mediation.adapters.SqlMediationUnitOfWork) as db:
        unit_of_work = db[0]
        for case_id in CASES:  # each case received, as a dossier delivered here makes it
            apply_once(unit_of_work, "mediation", dossier_envelope(case_id=case_id, to_unit=STATION),
                       MEDIATION.handle)
        yield db


def count_up(unit_of_work: Callable[[], UnitOfWork], case_id: str) -> None:
    """A read-then-write of a case, as every command and event handler does."""
    with unit_of_work() as uow:
        case = MEDIATION.case(uow, case_id)
        case.history = {**case.history, "count": case.history.get("count", 0) + 1}
        uow.cases.save(case)  # type: ignore[attr-defined]
        uow.commit()


def count_of(unit_of_work: Callable[[], UnitOfWork], case_id: str) -> int:
    with unit_of_work() as uow:
        return int(MEDIATION.case(uow, case_id).history.get("count", 0))


def test_changes_of_different_cases_run_side_by_side(mediation_db):
    unit_of_work, _, _ = mediation_db
    with unit_of_work() as held:
        MEDIATION.case(held, CASES[0])  # loaded for a change, and left open
        other = eventlet.spawn(count_up, unit_of_work, CASES[1])
        # Committed while the first transaction is still open: one lock per database would
        # keep it waiting until that one ends.
        eventually(lambda: other.dead, timeout=5)
        other.wait()
        assert count_of(unit_of_work, CASES[1]) == 1


def test_changes_of_one_case_take_turns_and_lose_nothing(mediation_db):
    unit_of_work, _, _ = mediation_db
    with unit_of_work() as first:
        case = MEDIATION.case(first, CASES[0])
        second = eventlet.spawn(count_up, unit_of_work, CASES[0])
        eventlet.sleep(0.5)
        assert not second.dead  # waits for the first change of the case to end
        case.history = {**case.history, "count": 1}
        first.cases.save(case)
        first.commit()
    second.wait()
    assert count_of(unit_of_work, CASES[0]) == 2  # the second read the first's count


def test_a_handoff_taken_up_by_two_at_once_is_accepted_once(mediation_db):
    unit_of_work, _, _ = mediation_db
    with unit_of_work() as uow:
        handoff_id = next(h.handoff_id for h in uow.handoffs.pending_to(Agency.MEDIATION)
                          if h.case_id == CASES[0])

    def accept() -> str:
        try:
            with unit_of_work() as uow:
                MEDIATION.accept_handoff(uow, handoff_id, mediator_id="m-1")
                eventlet.sleep(0.2)  # the other one is there meanwhile
                uow.commit()
        except HandoffAlreadyAnswered:
            return "refused"
        return "accepted"

    staff = [eventlet.spawn(accept) for _ in range(2)]
    assert sorted(s.wait() for s in staff) == ["accepted", "refused"]
    with unit_of_work() as uow:
        answers = uow.outbox.table  # type: ignore[attr-defined]
        accepted = uow.connection.execute(select(answers.c.event_id).where(
            answers.c.event_type == "handoff.accepted")).all()
    assert len(accepted) == 1


@pytest.mark.parametrize("one_trail", [True, False], ids=["workers of one replica", "two replicas"])
def test_the_trail_chain_stays_one_line_under_concurrent_appends(one_trail):
    """Each trail appends after the entry it appended last unless the chain moved on: another
    worker's or replica's append in between is found, whichever appended it."""
    recorders = {1: TRAIL, 2: TRAIL if one_trail else Trail(SIGNING_KEY.sign)}
    with database(trail.adapters.metadata, trail.adapters.plumbing,
                  trail.adapters.SqlTrailUnitOfWork) as (unit_of_work, _, _):
        def record(replica: int) -> None:
            for n in range(25):  # each event of a case of its own: only the chain is shared
                filed = delivered(envelope("case.filed", case_id=f"LD-20260302-{replica}{n:09d}"))
                apply_once(unit_of_work, "trail", filed, recorders[replica].handle)

        def sign_checkpoints() -> None:
            while not all(r.dead for r in replicas):
                with unit_of_work() as uow:
                    if TRAIL.checkpoint(uow):
                        uow.commit()
                eventlet.sleep(0.01)

        started = time.monotonic()
        replicas = [eventlet.spawn(record, replica) for replica in (1, 2)]
        signer = eventlet.spawn(sign_checkpoints)
        for replica in replicas:
            replica.wait()
        signer.wait()
        with unit_of_work() as uow:
            TRAIL.checkpoint(uow)
            uow.commit()
        with unit_of_work() as uow:
            verdict = TRAIL.verify(uow)
            previous = [e.prev_hash for e in uow.entries.in_recorded_order()]
    assert verdict.intact, verdict.report()
    assert (verdict.entries, verdict.unattested) == (50, 0)
    assert verdict.checkpoints >= 2
    assert len(set(previous)) == 50  # no two entries follow the same one
    assert time.monotonic() - started < 10


def test_a_scan_is_run_by_one_replica_at_a_time(mediation_db):
    _, engine, _ = mediation_db
    with lease(engine, "consult-court") as first, lease(engine, "consult-court") as second:
        assert (first, second) == (True, False)
        with lease(engine, "statutory-clocks") as other_scan:
            assert other_scan
    with lease(engine, "consult-court") as after:
        assert after  # given back when the round ended


def test_a_clock_fires_once_with_two_keepers_racing(mediation_db):
    unit_of_work, _, clock = mediation_db
    keeper = ClockKeeper(Agency.MEDIATION)
    case = type("Case", (), {"case_id": CASES[0], "correlation_id": "corr-1"})()
    with unit_of_work() as uow:
        started = keeper.start(uow, ClockKind.MEDIATION_WITHOUT_AGREEMENT, case)
        uow.commit()
    clock.advance(days=60)
    followed: list[str] = []

    def follow_up(uow: UnitOfWork, elapsed: StatutoryClock) -> list[Any]:
        followed.append(elapsed.clock_id)
        eventlet.sleep(0.2)  # the agency's follow-up takes a while: the other keeper is there
        return []

    keepers = [eventlet.spawn(keeper.fire_due, unit_of_work, follow_up) for _ in range(2)]
    assert sorted(k.wait() for k in keepers) == [0, 1]
    assert followed == [started.clock_id]
    with unit_of_work() as uow:
        assert uow.clocks.get(started.clock_id).status is ClockStatus.ELAPSED
        outbox = uow.outbox.table  # type: ignore[attr-defined]
        elapsed = uow.connection.execute(select(outbox.c.event_id).where(
            outbox.c.event_type == "clock.elapsed")).all()
    assert len(elapsed) == 1


class RecordingPublisher:
    """The broker as the relays see it: confirms everything, a little later; keeps the order."""

    def __init__(self, sent: list[str]) -> None:
        self.sent = sent

    def publish_many(self, messages: list[Outgoing]) -> list[Exception | None]:
        for message in messages:
            self.sent.append(message.message_id)
            eventlet.sleep(0.005)  # the confirms' round trip: the other relay runs meanwhile
        return [None] * len(messages)


def test_two_relays_publish_each_row_once_in_case_order(mediation_db):
    _, engine, clock = mediation_db
    table = mediation.adapters.plumbing.outbox
    with engine.begin() as connection:  # the receipts' own events, already sent
        connection.execute(table.update().values(published_at=clock.now()))
    events = [delivered(envelope(event_type, case_id=case_id))
              for event_type in ("case.filed", "case.triaged", "case.closed") * 4
              for case_id in CASES]
    with engine.begin() as connection:
        SqlOutbox(connection, table).add(events, clock.now())
    sent: list[str] = []
    relays = [OutboxRelay(engine, table, RecordingPublisher(sent), PlatformMetrics("mediation"),
                          clock, batch_size=4) for _ in range(2)]

    def drain(relay: OutboxRelay) -> None:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and len(set(sent)) < len(events):
            relay.flush()
            eventlet.sleep(0)

    for running in [eventlet.spawn(drain, relay) for relay in relays]:
        running.wait()
    assert sorted(sent) == sorted(e.event_id for e in events)  # each once, none lost
    for case_id in CASES:
        in_commit_order = [e.event_id for e in events if e.case_id == case_id]
        assert [i for i in sent if i in in_commit_order] == in_commit_order


def test_a_rebuild_of_analytics_clears_no_event_by_halves():
    with database(analytics.adapters.metadata, analytics.adapters.plumbing,
                  analytics.adapters.SqlAnalyticsUnitOfWork) as (unit_of_work, _, _):
        logic = Analytics()

        def clear() -> None:
            with unit_of_work() as uow:
                logic.clear(uow)
                uow.commit()

        filed = delivered(envelope("case.filed", case_id=CASES[0]))
        with unit_of_work() as applying:
            logic.handle(applying, filed)
            clearing = eventlet.spawn(clear)
            eventlet.sleep(0.5)
            assert not clearing.dead  # waits for the apply under way
            applying.commit()
        clearing.wait()
        with unit_of_work() as uow:
            # Both gone: a case's facts cleared but its event still listed as folded would
            # keep the rebuild from folding it again.
            assert uow.facts.get(CASES[0]) is None
            assert uow.folded.claim(filed.event_id)


def test_a_relay_holds_no_transaction_open_while_the_broker_confirms(mediation_db):
    _, engine, clock = mediation_db
    table = mediation.adapters.plumbing.outbox
    with engine.begin() as connection:  # the receipts' own events, already sent
        connection.execute(table.update().values(published_at=clock.now()))
        SqlOutbox(connection, table).add(
            [delivered(envelope(event_type, case_id=CASES[0])) for event_type in ("case.filed", "case.triaged")],
            clock.now())
    open_while_confirming: list[int] = []

    class WatchingPublisher:
        """Counts, while its confirms are awaited, the transactions left open on the database."""

        def publish_many(self, messages: list[Outgoing]) -> list[Exception | None]:
            with engine.connect() as watcher:
                open_while_confirming.append(watcher.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%'")).scalar_one())
            return [None] * len(messages)

    relay = OutboxRelay(engine, table, WatchingPublisher(), PlatformMetrics("mediation"), clock)  # type: ignore[arg-type]
    assert relay.flush() == 2
    assert open_while_confirming == [0, 0]
