"""SQLAlchemy 2 plumbing shared by every service's own database.

Each service declares its own tables on its own ``MetaData`` and adds the plumbing tables
(inbox; outbox, handoffs, statutory clocks where it uses them) to it with
``add_plumbing_tables``; no service reads another's.
Domain objects are plain dataclasses; ``DataclassRepository`` maps one to a row of a table whose
columns carry the dataclass's field names.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    case,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator

from ..clocks.kinds import ClockKind
from ..clocks.statutory import ClockStatus, StatutoryClock
from ..contract.agencies import Agency
from ..contract.events import Envelope, encode
from ..contract.handoff import Handoff, HandoffPurpose, HandoffStatus
from ..contract.routing import route


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every time in the platform is aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Money(TypeDecorator[Decimal]):
    """Yuan amounts kept exact as text (SQLite has no exact decimal type)."""

    impl = String(24)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))

    def process_result_value(self, value: str | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class EnumText(TypeDecorator[Enum]):
    impl = String(40)
    cache_ok = True

    def __init__(self, enum_cls: type[Enum]) -> None:
        super().__init__()
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> Enum | None:
        return None if value is None else self.enum_cls(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


class JsonDocument(TypeDecorator[Any]):
    """JSON that also takes Decimals and dates (stored as text)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else json.loads(json.dumps(value, default=_json_default))


# Constraint and index names fixed by rule, so a later migration can name what it alters or drops
# on every backend (unnamed constraints get backend-chosen names).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Key of the PostgreSQL advisory lock every service transaction holds (any fixed number would do).
SERVICE_TRANSACTION_LOCK = 727_2026


def service_metadata() -> MetaData:
    """The ``MetaData`` of one service's own database."""
    return MetaData(naming_convention=NAMING_CONVENTION)


@dataclasses.dataclass(frozen=True)
class DatabaseTimeouts:
    """How long PostgreSQL lets one part of a service be stuck, in seconds (0: no limit).

    A statement running too long, a lock waited for too long, a transaction left open and idle:
    each is ended with an error instead of stopping the service behind it. The consumer retries
    the event (a passing failure), so a lock held for a minute elsewhere delays work, never
    loses it. The lock wait includes the queue for the service's own transaction lock, which a
    busy service makes long: the default leaves room for that before it calls a wait stuck.
    """

    statement: float = 60.0
    lock: float = 30.0
    idle_in_transaction: float = 60.0

    def server_options(self) -> str:
        settings = {"statement_timeout": self.statement, "lock_timeout": self.lock,
                    "idle_in_transaction_session_timeout": self.idle_in_transaction}
        return " ".join(f"-c {name}={round(seconds * 1000)}" for name, seconds in settings.items())


def make_engine(url: str, timeouts: DatabaseTimeouts | None = None) -> Engine:
    """An engine for a service database; SQLite files get WAL and immediate write locks,
    PostgreSQL gets ``timeouts`` (the defaults when None).

    Bound parameters never appear in errors or logs (``hide_parameters``): they carry the
    dossiers' personal data, and an error's text reaches logs and parked messages' reasons.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":  # no driver named: ours, not SQLAlchemy's default
            parsed = parsed.set(drivername="postgresql+psycopg2")
        _cooperate_with_eventlet(parsed.get_driver_name())
        # Transactions take turns (below), so more connections would only queue on the lock and
        # use up the server's max_connections across services and replicas.
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=3, max_overflow=2,
                               pool_timeout=60, hide_parameters=True,
                               connect_args={"options": (timeouts or DatabaseTimeouts())
                                             .server_options()})

        @event.listens_for(engine, "begin")
        def _one_transaction_at_a_time(connection: Connection) -> None:
            # The service layers read, then write (extend the trail's hash chain, add a case's
            # summary unless there is one) and rely on one transaction at a time per database,
            # as SQLite's BEGIN IMMEDIATE gives. This lock, held to commit or rollback, gives
            # PostgreSQL the same rule (advisory locks are per database).
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SERVICE_TRANSACTION_LOCK})")

        return engine
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:":
        from pathlib import Path

        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.database in (None, "", ":memory:"):
        from sqlalchemy.pool import StaticPool

        engine = create_engine(url, connect_args={"check_same_thread": False},
                               poolclass=StaticPool, hide_parameters=True)
    else:
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False},
                               hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() decide when a transaction starts (pysqlite's own is lazy).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Take the write lock up front: a deferred transaction that later writes can fail with
        # "database is locked" instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _cooperate_with_eventlet(driver: str) -> None:
    """psycopg2 waits for the server inside libpq, which would stall every green thread of a
    nameko service; its wait callback (psycogreen) makes it wait through eventlet's hub instead.
    Only in a monkey-patched process: elsewhere the driver's own blocking wait is right."""
    if driver != "psycopg2":
        raise ValueError(f"PostgreSQL driver {driver!r} is not supported: use postgresql:// or "
                         "postgresql+psycopg2:// (psycopg2, made cooperative with eventlet)")
    import sys

    if "eventlet" not in sys.modules:
        return
    from eventlet import patcher

    if patcher.is_monkey_patched("socket"):
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()


def add_plumbing_tables(metadata: MetaData, *, outbox: bool = True, handoffs: bool = True,
                        clocks: bool = True) -> "PlumbingTables":
    """The plumbing a service uses, on its ``metadata``: every service has an inbox; the outbox
    only if it publishes events, handoffs only if it keeps them, clocks only if it runs them."""
    return PlumbingTables(inbox=_inbox(metadata),
                          outbox=_outbox(metadata) if outbox else None,
                          handoffs=_handoffs(metadata) if handoffs else None,
                          clocks=_clocks(metadata) if clocks else None)


def _inbox(metadata: MetaData) -> Table:
    return Table(
        "inbox", metadata,
        Column("consumer", String(64), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(64), nullable=False),
        Column("handled_at", UtcDateTime, nullable=False),
    )


def _outbox(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("case_id", String(64), nullable=False),
        Column("exchange", String(64), nullable=False),
        Column("routing_key", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_unpublished", "published_at", "id"),
    )


def _handoffs(metadata: MetaData) -> Table:
    return Table(
        "handoffs", metadata,
        Column("handoff_id", String(36), primary_key=True),
        Column("case_id", String(64), nullable=False, index=True),
        Column("from_agency", EnumText(Agency), nullable=False),
        Column("to_agency", EnumText(Agency), nullable=False),
        Column("purpose", EnumText(HandoffPurpose), nullable=False),
        Column("requested_at", UtcDateTime, nullable=False),
        Column("status", EnumText(HandoffStatus), nullable=False, index=True),
        Column("answered_at", UtcDateTime, nullable=True),
        Column("reason", Text, nullable=True),
        Column("to_unit", String(64), nullable=True),
    )


def _clocks(metadata: MetaData) -> Table:
    return Table(
        "clocks", metadata,
        Column("clock_id", String(36), primary_key=True),
        Column("case_id", String(64), nullable=False, index=True),
        Column("correlation_id", String(64), nullable=False),
        Column("kind", EnumText(ClockKind), nullable=False),
        Column("started_at", UtcDateTime, nullable=False),
        Column("event_day", Date, nullable=False),
        Column("last_day", Date, nullable=False),
        Column("due_at", UtcDateTime, nullable=False),
        Column("status", EnumText(ClockStatus), nullable=False),
        Column("provisional", Boolean, nullable=False),
        Column("extension_days", Integer, nullable=False),
        Column("extension_approved_by", String(100), nullable=True),
        Column("ended_at", UtcDateTime, nullable=True),
        Column("reason", Text, nullable=True),
        Index("ix_clocks_due", "status", "due_at"),
    )


@dataclasses.dataclass(frozen=True)
class PlumbingTables:
    inbox: Table
    outbox: Table | None  # None: the service publishes nothing
    handoffs: Table | None
    clocks: Table | None


T = TypeVar("T")
KEY_PARAMETER = "_row_key"  # the primary key's parameter in the prepared statements (no column's name)


@dataclasses.dataclass(frozen=True)
class RowStatements:
    insert: Any
    update: Any
    get: Any


@functools.cache
def _row_statements(table: Table) -> RowStatements:
    """A table's insert, update-by-key and get-by-key, built once. Executed with their values as
    parameters, SQLAlchemy reuses their compiled form; a statement built afresh for every row
    must be walked and hashed again each time, which was a good part of an event's cost."""
    key = table.primary_key.columns.values()[0]
    return RowStatements(insert=insert(table),
                         update=update(table).where(key == bindparam(KEY_PARAMETER)),
                         get=select(table).where(key == bindparam(KEY_PARAMETER)))


class DataclassRepository(Generic[T]):
    """Rows of ``table`` as instances of the dataclass ``cls`` (same names for columns and fields)."""

    def __init__(self, connection: Connection, table: Table, cls: type[T]) -> None:
        self.connection = connection
        self.table = table
        self.cls = cls
        self.key = table.primary_key.columns.values()[0]
        self.names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        self.statements = _row_statements(table)

    def _row(self, obj: T) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.names}

    def add(self, obj: T) -> None:
        self.connection.execute(self.statements.insert, self._row(obj))

    def save(self, obj: T) -> None:
        row = self._row(obj)
        key = row.pop(self.key.name)
        result = self.connection.execute(self.statements.update, {**row, KEY_PARAMETER: key})
        if result.rowcount != 1:
            raise LookupError(f"no {self.table.name} row {key!r} to update")

    def get(self, key: Any) -> T | None:
        row = self.connection.execute(self.statements.get, {KEY_PARAMETER: key}).mappings().first()
        return None if row is None else self.object_of(row)

    def find(self, *where: Any, order_by: Any = None, limit: int | None = None) -> list[T]:
        query = select(self.table).where(*where).order_by(order_by if order_by is not None else self.key)
        if limit is not None:
            query = query.limit(limit)
        return [self.object_of(row) for row in self.connection.execute(query).mappings()]

    def object_of(self, row: Any) -> T:
        return self.cls(**{n: row[n] for n in self.names})

    def count(self, *where: Any) -> int:
        return int(self.connection.execute(select(func.count()).select_from(self.table).where(*where)).scalar_one())

    def column(self, name: str, *where: Any) -> list[Any]:
        """One column of the matching rows: for a count by value (who has how many cases)
        without reading and decoding whole rows."""
        return list(self.connection.execute(select(self.table.c[name]).where(*where)).scalars())


class Outbox:
    """Outgoing events, written in the same transaction as the change that caused them."""

    def __init__(self, connection: Connection, table: Table) -> None:
        self.connection = connection
        self.table = table

    def add(self, envelopes: Iterable[Envelope], at: datetime) -> int:
        rows = []
        for envelope in envelopes:
            exchange, routing_key = route(envelope)
            rows.append({
                "event_id": envelope.event_id, "event_type": envelope.event_type,
                "case_id": envelope.case_id, "exchange": exchange, "routing_key": routing_key,
                "body": encode(envelope), "created_at": at, "attempts": 0,
            })
        if rows:
            self.connection.execute(insert(self.table), rows)
        return len(rows)

    def unpublished_count(self) -> int:
        """Events committed but not yet confirmed by the broker."""
        return int(self.connection.execute(
            select(func.count()).select_from(self.table)
            .where(self.table.c.published_at.is_(None))).scalar_one())


@functools.cache
def _insert_unless_present(dialect: str, table: Table) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the databases the platform runs on."""
    from sqlalchemy.dialects import postgresql, sqlite

    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"no insert-unless-present for {dialect}")


class Inbox:
    """Events already applied, by consumer: the same event is never applied twice."""

    def __init__(self, connection: Connection, table: Table) -> None:
        self.connection = connection
        self.table = table

    def claim(self, consumer: str, envelope: Envelope, at: datetime) -> bool:
        """Record the event as handled by ``consumer``; False when it already was."""
        # One statement: a concurrent delivery of the same event that got there first makes
        # this insert do nothing, instead of failing the transaction.
        result = self.connection.execute(_insert_unless_present(self.connection.dialect.name, self.table), {
            "consumer": consumer, "event_id": envelope.event_id,
            "event_type": envelope.event_type, "handled_at": at})
        return result.rowcount == 1


class HandoffRepository(DataclassRepository[Handoff]):
    def pending_to(self, agency: Agency) -> list[Handoff]:
        return self.find(self.table.c.to_agency == agency, self.table.c.status == HandoffStatus.PENDING,
                         order_by=self.table.c.requested_at)

    def for_case(self, case_id: str) -> list[Handoff]:
        return self.find(self.table.c.case_id == case_id, order_by=self.table.c.requested_at)


class ClockRepository(DataclassRepository[StatutoryClock]):
    def running(self, case_id: str, kind: ClockKind) -> StatutoryClock | None:
        found = self.find(self.table.c.case_id == case_id, self.table.c.kind == kind,
                          self.table.c.status == ClockStatus.RUNNING, limit=1)
        return found[0] if found else None

    def for_case(self, case_id: str) -> list[StatutoryClock]:
        return self.find(self.table.c.case_id == case_id, order_by=self.table.c.started_at)

    def running_for_case(self, case_id: str) -> list[StatutoryClock]:
        return self.find(self.table.c.case_id == case_id,
                         self.table.c.status == ClockStatus.RUNNING)

    def due(self, now: datetime, limit: int) -> list[StatutoryClock]:
        return self.find(self.table.c.status == ClockStatus.RUNNING, self.table.c.due_at <= now,
                         order_by=self.table.c.due_at, limit=limit)

    def provisional_running(self) -> list[StatutoryClock]:
        return self.find(self.table.c.status == ClockStatus.RUNNING,
                         self.table.c.provisional.is_(True))

    def claim_elapsed(self, clock: StatutoryClock, at: datetime) -> bool:
        """Mark a running clock elapsed unless another worker already did: the conditional
        update is what makes a clock fire once across workers and replicas."""
        c = self.table.c
        result = self.connection.execute(
            update(self.table).where(c.clock_id == clock.clock_id,
                                     c.status == ClockStatus.RUNNING, c.due_at <= at)
            .values(status=ClockStatus.ELAPSED, ended_at=at))
        return result.rowcount == 1

    def summary(self, now: datetime) -> dict[str, dict[str, Any]]:
        """Per clock kind: running clocks, seconds to the soonest due (negative when one is
        overdue and not yet fired), breaches (elapsed clocks) and provisional ones."""
        c = self.table.c
        rows = self.connection.execute(
            select(c.kind, c.status, func.count(), func.min(c.due_at),
                   func.sum(case((c.provisional.is_(True), 1), else_=0)))
            .group_by(c.kind, c.status)).all()
        kinds: dict[str, dict[str, Any]] = {
            str(kind): {"pending": 0, "seconds_to_soonest_due": None, "breaches": 0,
                        "satisfied": 0, "provisional": 0} for kind in ClockKind}
        for kind, status, count, soonest, provisional in rows:
            entry = kinds[str(kind)]
            if status is ClockStatus.RUNNING:
                entry["pending"] = int(count)
                entry["provisional"] = int(provisional or 0)
                soonest = soonest if soonest.tzinfo else soonest.replace(tzinfo=UTC)
                entry["seconds_to_soonest_due"] = (soonest - now).total_seconds()
            elif status is ClockStatus.ELAPSED:
                entry["breaches"] = int(count)
            else:
                entry["satisfied"] = int(count)
        return kinds
