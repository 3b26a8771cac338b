"""The services' migration histories as the tests check them, on SQLite (unit tier) and on
PostgreSQL (integration tier): every schema, and the round trip empty -> head -> empty."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import analytics.adapters
import arbitration.adapters
import courts_bridge.adapters
import intake.adapters
import legal_aid.adapters
import mediation.adapters
import trail.adapters
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
