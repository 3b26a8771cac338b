"""Unit-tier fixtures: a manual clock and, per service, its storage: the hand-written fakes of
the storage ports (``<service>_db``), or the real adapters on SQLite in memory for the tests of
the adapters themselves (``<service>_sql_db``).

Nothing here talks to a broker or the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import pytest
from sqlalchemy import Connection, MetaData, Table, func, select

import analytics.adapters
import arbitration.adapters
import courts_bridge.adapters
import intake.adapters
import legal_aid.adapters
import mediation.adapters
import trail.adapters
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.contract.envelope import Envelope, decode
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.outbox import opened_body
from disputes_shared.plumbing.sealed import CaseKeys
from disputes_shared.plumbing.tables import PlumbingTables
from disputes_shared.ports import UnitOfWork

from ..support.examples import AT
from ..support.fakes import FakeKeyManagement, InMemoryServiceDatabase

U = TypeVar("U", bound=UnitOfWork)


class ServiceDatabase(Generic[U]):
    """One service's database in memory; calling it opens a unit of work on it."""

    def __init__(self, metadata: MetaData, tables: PlumbingTables, uow_class: type[U],
                 clock: ManualClock) -> None:
        self.engine = make_engine("sqlite://")
        metadata.create_all(self.engine)
        self.tables = tables
        self.keys = FakeKeyManagement()
        self.uow_class = uow_class
        self.clock = clock

    def __call__(self) -> U:
        return self.uow_class(self.engine, self.tables, self.clock, keys=self.keys)

    def case_keys(self, connection: Connection) -> CaseKeys:
        assert self.tables.data_keys is not None
        return CaseKeys(connection, self.tables.data_keys, self.keys)

    def outbox_rows(self, opened: bool = True) -> list[dict[str, Any]]:
        """The outbox rows, each body opened as the relay opens it (``opened``), or as stored."""
        outbox = self.tables.outbox
        if outbox is None:  # a service that publishes nothing (the trail)
            return []
        with self.engine.connect() as connection:
            rows = [dict(row) for row in connection.execute(select(outbox).order_by(outbox.c.id)).mappings()]
            if opened and self.tables.data_keys is not None:
                case_keys = self.case_keys(connection)
                for row in rows:
                    row["body"] = opened_body(case_keys, row["case_id"], row["body"])
        return rows

    def outbox(self) -> list[Envelope]:
        """Every event this service committed, in commit order, as a consumer would read it."""
        return [decode(row["body"]) for row in self.outbox_rows()]

    def count(self, table: Table) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(AT)


def _database(module: Any, uow_class: type[U], clock: ManualClock) -> Iterator[ServiceDatabase[U]]:
    database = ServiceDatabase(module.metadata, module.plumbing, uow_class, clock)
    yield database
    database.engine.dispose()


@pytest.fixture
def intake_db(clock: ManualClock) -> InMemoryServiceDatabase:
    return InMemoryServiceDatabase("intake", clock)


@pytest.fixture
def mediation_db(clock: ManualClock) -> InMemoryServiceDatabase:
    return InMemoryServiceDatabase("mediation", clock)


@pytest.fixture
def legal_aid_db(clock: ManualClock) -> InMemoryServiceDatabase:
    return InMemoryServiceDatabase("legal_aid", clock)


@pytest.fixture
def arbitration_db(clock: ManualClock) -> InMemoryServiceDatabase:
    return InMemoryServiceDatabase("arbitration", clock)


@pytest.fixture
def courts_db(clock: ManualClock) -> InMemoryServiceDatabase:
    return InMemoryServiceDatabase("courts_bridge", clock)


@pytest.fixture
def trail_db(clock: ManualClock) -> InMemoryServiceDatabase:
    return InMemoryServiceDatabase("trail", clock)


@pytest.fixture
def intake_sql_db(clock: ManualClock) -> Iterator[ServiceDatabase[intake.adapters.SqlIntakeUnitOfWork]]:
    yield from _database(intake.adapters, intake.adapters.SqlIntakeUnitOfWork, clock)


@pytest.fixture
def mediation_sql_db(clock: ManualClock) -> Iterator[ServiceDatabase[mediation.adapters.SqlMediationUnitOfWork]]:
    yield from _database(mediation.adapters, mediation.adapters.SqlMediationUnitOfWork, clock)


@pytest.fixture
def legal_aid_sql_db(clock: ManualClock) -> Iterator[ServiceDatabase[legal_aid.adapters.SqlLegalAidUnitOfWork]]:
    yield from _database(legal_aid.adapters, legal_aid.adapters.SqlLegalAidUnitOfWork, clock)


@pytest.fixture
def courts_sql_db(clock: ManualClock) -> Iterator[ServiceDatabase[courts_bridge.adapters.SqlCourtsUnitOfWork]]:
    yield from _database(courts_bridge.adapters, courts_bridge.adapters.SqlCourtsUnitOfWork, clock)


@pytest.fixture
def arbitration_sql_db(clock: ManualClock) -> Iterator[ServiceDatabase[arbitration.adapters.SqlArbitrationUnitOfWork]]:
    yield from _database(arbitration.adapters, arbitration.adapters.SqlArbitrationUnitOfWork, clock)


@pytest.fixture
def trail_sql_db(clock: ManualClock) -> Iterator[ServiceDatabase[trail.adapters.SqlTrailUnitOfWork]]:
    yield from _database(trail.adapters, trail.adapters.SqlTrailUnitOfWork, clock)


@pytest.fixture
def analytics_db(clock: ManualClock) -> InMemoryServiceDatabase:
    return InMemoryServiceDatabase("analytics", clock)


@pytest.fixture
def analytics_sql_db(clock: ManualClock) -> Iterator[ServiceDatabase[analytics.adapters.SqlAnalyticsUnitOfWork]]:
    yield from _database(analytics.adapters, analytics.adapters.SqlAnalyticsUnitOfWork, clock)
