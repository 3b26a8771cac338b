"""Opening a service's own database: the engine (SQLite or PostgreSQL, made cooperative with
eventlet), its timeouts, and the ``MetaData`` naming rule."""
from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import (
    Engine,
    MetaData,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url

# Constraint and index names fixed by rule, so a later migration can name what it alters or drops
# on every backend (unnamed constraints get backend-chosen names).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """The ``MetaData`` of one service's own database."""
    return MetaData(naming_convention=NAMING_CONVENTION)


@dataclasses.dataclass(frozen=True)
class DatabaseTimeouts:
    """How long PostgreSQL lets one part of a service be stuck, in seconds (0: no limit).

    A statement running too long, a lock waited for too long, a transaction left open and idle:
    each is ended with an error instead of stopping the service behind it. The consumer retries
    the event (a passing failure), so a lock held for a minute elsewhere delays work, never
    loses it. Locks are per case (and the trail's chain append), so a lock waited for is
    another change of the same case, or a stalled holder.
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
        # A few connections per replica: enough for workers on different cases to run side by
        # side, few enough that every service's replicas stay within the server's
        # max_connections. Transactions take only the locks their work needs (``locks.py``).
        return create_engine(parsed, pool_pre_ping=True, pool_size=3, max_overflow=2,
                             pool_timeout=60, hide_parameters=True,
                             connect_args={"options": (timeouts or DatabaseTimeouts())
                                           .server_options()})
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

    # Take the write lock up front: a deferred transaction that later writes can fail with
    # "database is locked" instead of waiting its turn. In the dialect's own begin rather than
    # in a "begin" event listener (SQLAlchemy's recipe): any connection event makes every
    # statement go through the event dispatch, a good part of a small statement's cost.
    engine.dialect.do_begin = _begin_immediate  # type: ignore[method-assign]
    return engine


def _begin_immediate(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
    finally:
        cursor.close()


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

