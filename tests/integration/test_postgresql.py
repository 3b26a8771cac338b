"""PostgreSQL as a service database: the migration histories, a driver that lets the other
green threads of a nameko service run while one waits on the database, and the inbox under
concurrent deliveries."""

from __future__ import annotations

import time

import eventlet
import pytest
from sqlalchemy import MetaData, create_engine, text

from disputes_cli.sandbox import scratch_postgres_databases
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.inbox import SqlInbox
from disputes_shared.plumbing.tables import add_plumbing_tables

from ..support.examples import AT
from ..support.migrations import SCHEMAS, check_handoff_waits_filled, check_round_trip
from ..support.waiting import eventually


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.package)
def test_an_empty_postgresql_database_goes_to_head_and_back(schema):
    with scratch_postgres_databases([schema.package], prefix="mig") as urls:
        check_round_trip(schema, urls[schema.package])


def test_the_trails_handoffs_answered_before_get_their_waits_on_postgresql():
    with scratch_postgres_databases(["trail"], prefix="mig") as urls:
        check_handoff_waits_filled(urls["trail"])


def test_a_slow_query_in_one_green_thread_does_not_stop_the_others():
    with scratch_postgres_databases(["green"], prefix="drv") as urls:
        engine = make_engine(urls["green"])
        try:
            def slow_query() -> None:
                with engine.connect() as connection:
                    connection.execute(text("SELECT pg_sleep(2)"))

            ticks: list[float] = []

            def ticker() -> None:
                while True:
                    ticks.append(time.monotonic())
                    eventlet.sleep(0.05)

            ticking = eventlet.spawn(ticker)
            started = time.monotonic()
            eventlet.spawn(slow_query).wait()
            waited = time.monotonic() - started
            ticking.kill()
        finally:
            engine.dispose()
    assert waited >= 2
    # Had the driver blocked the process, the ticker would have run once before the query and
    # not again until it ended; instead it kept ticking all through the wait.
    during = [t for t in ticks if started < t < started + waited]
    assert len(during) >= 10, f"{len(during)} ticks while the query ran for {waited:.1f}s"


def test_the_inbox_takes_an_event_once_even_from_two_transactions_at_a_time():
    """Two deliveries of one event in two open transactions: the second's insert waits on the
    first's lock (the server shows it waiting) until the first commits, then does nothing, so
    only one of them applies its effect. (A service's event transactions also hold the event's
    case; the inbox does not rely on that, so the transactions here hold nothing else.)"""
    metadata = MetaData()
    tables = add_plumbing_tables(metadata)
    event = Envelope(event_type="case.closed", case_id="LD-1", source_agency=Agency.MEDIATION,
                     occurred_at=AT, payload={"outcome": "withdrawn"}, correlation_id="c-1")
    with scratch_postgres_databases(["inbox"], prefix="inbox") as urls:
        make_engine(urls["inbox"]).dispose()  # psycopg2 now waits cooperatively
        engine = create_engine(urls["inbox"].replace("postgresql://", "postgresql+psycopg2://", 1))
        try:
            metadata.create_all(engine)
            watching = engine.execution_options(isolation_level="AUTOCOMMIT")  # fresh statistics each look
            with engine.connect() as first, engine.connect() as second, watching.connect() as watcher:
                second_pid = second.execute(text("SELECT pg_backend_pid()")).scalar_one()
                second.rollback()  # end the transaction that query began
                first.begin()
                second.begin()
                assert SqlInbox(first, tables.inbox).claim("mediation", event, AT).new
                later = eventlet.spawn(SqlInbox(second, tables.inbox).claim, "mediation", event, AT)
                # The second insert is blocked on the first's row lock (as the server reports
                # it), and has not returned.
                eventually(lambda: watcher.execute(text(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": second_pid}).scalar_one() == "Lock", timeout=10)
                assert not later.dead
                first.commit()
                assert later.wait().new is False
                second.commit()
                assert SqlInbox(second, tables.inbox).claim("arbitration", event, AT).new
                assert not SqlInbox(second, tables.inbox).claim("arbitration", event, AT).new
        finally:
            engine.dispose()
