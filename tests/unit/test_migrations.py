"""Each service's migration history, on SQLite: an empty database goes to head and back to
empty, and head builds exactly the tables the service declares (tests/integration runs the same
on PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import arbitration.adapters
import courts_bridge.adapters
import intake.adapters
import legal_aid.adapters
import mediation.adapters
import trail.adapters
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.plumbing.nameko_deps import ServiceDatabase
from disputes_shared.plumbing.schema import SchemaNotManaged, ServiceSchema
from disputes_shared.plumbing.storage import make_engine
from disputes_shared.plumbing.unit_of_work import UnitOfWork

from .examples import AT

SCHEMAS = [ServiceSchema(adapters.__name__.split(".")[0], adapters.metadata) for adapters in (
    intake.adapters, mediation.adapters, legal_aid.adapters, arbitration.adapters,
    courts_bridge.adapters, trail.adapters)]


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


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.package)
def test_an_empty_database_goes_to_head_and_back(schema, tmp_path):
    check_round_trip(schema, f"sqlite:///{tmp_path / 'service.db'}")


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.package)
def test_each_service_has_one_history_of_its_own(schema):
    assert schema.head()  # exactly one head
    others = {s.head() for s in SCHEMAS if s is not schema}
    assert schema.head() not in others
    assert schema.versions.parent.name == schema.package


def test_a_database_made_without_migrations_is_refused_not_altered(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    schema = SCHEMAS[0]
    engine = make_engine(url)
    schema.metadata.create_all(engine)
    engine.dispose()
    with pytest.raises(SchemaNotManaged, match="no migration history"):
        schema.upgrade(url)
    assert "alembic_version" not in tables_in(url)


def test_readiness_asks_for_this_releases_head_or_a_later_releases_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    schema = SCHEMAS[0]
    engine = make_engine(url)
    database = ServiceDatabase(
        lambda: UnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT)),
        schema.head(), schema.revisions())
    schema.metadata.create_all(engine)
    assert "schema at no revision" in (database.schema_lag() or "")
    schema.metadata.drop_all(engine)
    schema.upgrade(url)
    assert database.schema_lag() is None
    # A later release migrated first (its revisions keep this release working): still ready.
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfacef00d'"))
    assert database.schema_lag() is None
    engine.dispose()


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.package)
def test_a_service_history_builds_the_plumbing_tables_with_the_shared_ddl_not_a_copy(schema):
    shared = ("outbox", "inbox", "handoffs", "clocks")
    for revision in schema.versions.glob("*.py"):
        source = revision.read_text(encoding="utf-8")
        copied = [table for table in shared if f"create_table('{table}'" in source
                  or f'create_table("{table}"' in source]
        assert copied == [], f"{revision.name} copies the DDL of {copied}: call plumbing_tables"
