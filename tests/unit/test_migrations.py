"""Each service's migration history, on SQLite: an empty database goes to head and back to
empty, and head builds exactly the tables the service declares (tests/integration runs the same
on PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

import intake.adapters
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.nameko_deps import ServiceDatabase
from disputes_shared.plumbing.schema import SchemaNotManaged
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork

from ..support.examples import AT
from ..support.fakes import FakeKeyManagement
from ..support.migrations import SCHEMAS, check_handoff_waits_filled, check_round_trip, tables_in


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.package)
def test_an_empty_database_goes_to_head_and_back(schema, tmp_path):
    check_round_trip(schema, f"sqlite:///{tmp_path / 'service.db'}")


def test_the_trails_handoffs_answered_before_get_their_waits(tmp_path):
    check_handoff_waits_filled(f"sqlite:///{tmp_path / 'trail.db'}")


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
        lambda: SqlUnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT), keys=FakeKeyManagement()),
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
