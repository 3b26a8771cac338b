"""PostgreSQL as a service database: the migration histories, and a driver that lets the other
green threads of a nameko service run while one waits on the database."""

from __future__ import annotations

import time

import eventlet
import pytest
from sqlalchemy import text

from disputes_cli.sandbox import scratch_postgres_databases
from disputes_shared.plumbing.storage import make_engine

from ..unit.test_migrations import SCHEMAS, check_round_trip


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.package)
def test_an_empty_postgresql_database_goes_to_head_and_back(schema):
    with scratch_postgres_databases([schema.package], prefix="mig") as urls:
        check_round_trip(schema, urls[schema.package])


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
