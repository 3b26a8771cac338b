"""The services' migration histories as the tests check them, on SQLite (unit tier) and on
PostgreSQL (integration tier): every schema, and the round trip empty -> head -> empty."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select

import analytics.adapters
import arbitration.adapters
import courts_bridge.adapters
import intake.adapters
import legal_aid.adapters
import mediation.adapters
import trail.adapters
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.handoff import Handoff, HandoffPurpose
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.schema import ServiceSchema

SCHEMAS = [ServiceSchema(adapters.__name__.split(".")[0], adapters.metadata) for adapters in (
    intake.adapters, mediation.adapters, legal_aid.adapters, arbitration.adapters,
    courts_bridge.adapters, trail.adapters, analytics.adapters)]


def tables_in(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def differences_from_declared(schema: ServiceSchema, url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return [change for change in compare_metadata(context, schema.metadata)
                    if not retired(schema, change)]
    finally:
        engine.dispose()


def retired(schema: ServiceSchema, change: tuple[object, ...]) -> bool:
    """A retired table, or one of its indexes, left in the database on purpose."""
    kind, obj = change[0], change[1]
    table = getattr(obj, "table", obj)  # an index's table, or the table itself
    return kind in ("remove_table", "remove_index") and getattr(table, "name", None) in schema.retired_tables


def check_round_trip(schema: ServiceSchema, url: str) -> None:
    """Empty -> head (the declared tables, nothing missing or different) -> base (empty)."""
    schema.upgrade(url)
    assert tables_in(url) == set(schema.metadata.tables) | schema.retired_tables | {"alembic_version"}
    assert differences_from_declared(schema, url) == []
    engine = make_engine(url)
    with engine.connect() as connection:
        assert schema.current(connection) == schema.head()
    engine.dispose()
    schema.upgrade(url)  # at head already: nothing to do, no error
    schema.downgrade(url, "base")
    assert tables_in(url) <= {"alembic_version"}


def check_handoff_waits_filled(url: str) -> None:
    """The trail's handoffs answered before their waits were kept get them, to the microsecond,
    as ``Handoff.wait_seconds`` counts them; a pending one gets none."""
    schema = next(s for s in SCHEMAS if s.package == "trail")
    schema.upgrade(url, "e3a91c5d7b20")  # the revision before the waits were kept
    requested = datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC)
    handoffs = [Handoff(f"h-{n}", "LD-1", Agency.INTAKE, Agency.MEDIATION, HandoffPurpose.MEDIATION, requested)
                for n in range(5)]
    for handoff, wait in zip(handoffs, [timedelta(0), timedelta(microseconds=2), timedelta(hours=1, seconds=0.5),
                                        timedelta(days=200, seconds=7, microseconds=123_457)], strict=False):
        handoff.accept(requested + wait)
    table = trail.adapters.handoffs
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(insert(table), [dataclasses.asdict(h) for h in handoffs])
        schema.upgrade(url)
        with engine.connect() as connection:
            kept = dict(connection.execute(select(table.c.handoff_id, table.c.wait_seconds)).all())
    finally:
        engine.dispose()
    assert kept == {h.handoff_id: h.wait_seconds for h in handoffs}
    assert kept["h-4"] is None and kept["h-1"] == 2e-06
