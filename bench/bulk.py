"""Filling a service's tables in bulk for the large-database benches, as a load of millions of
rows is done: PostgreSQL's ``COPY``, one prepared insert per batch on SQLite, and the
timestamps as each database's text takes them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table

from disputes_shared.plumbing.engine import DatabaseTimeouts

YEAR = datetime(2026, 1, 1, tzinfo=UTC)  # the year the benches' rows fall in

Row = Sequence[Any]
# A load's statements (an index over millions of rows) and its pauses between batches, on a busy
# machine, outlast the limits a service's PostgreSQL sessions have.
NO_TIMEOUTS = DatabaseTimeouts(statement=0, lock=0, idle_in_transaction=0)
Load = Callable[[Any, Table, list[Row], Sequence[str] | None], None]  # (cursor, table, rows, columns)


class Stamps:
    """Times to the minute from the start of ``YEAR``, as the database's text takes them, each
    formatted once."""

    def __init__(self, sqlite: bool) -> None:
        self.suffix = ".000000" if sqlite else ""  # SQLAlchemy's SQLite DATETIME text
        self.known: dict[int, str] = {}

    def __call__(self, minute: int) -> str:
        found = self.known.get(minute)
        if found is None:
            found = self.known[minute] = f"{YEAR + timedelta(minutes=minute):%Y-%m-%d %H:%M:%S}{self.suffix}"
        return found


def sqlite_insert(cursor: Any, table: Table, rows: list[Row], columns: Sequence[str] | None = None) -> None:
    """``rows`` into ``table`` (in ``columns``' order; all of the table's by default)."""
    names = list(columns) if columns is not None else [c.name for c in table.columns]
    cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) "
                       f"VALUES ({', '.join('?' * len(names))})", rows)


def postgres_copy(cursor: Any, table: Table, rows: list[Row], columns: Sequence[str] | None = None) -> None:
    """``rows`` into ``table`` by ``COPY`` (in ``columns``' order; all of the table's by default)."""
    names = list(columns) if columns is not None else [c.name for c in table.columns]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(["\\N" if value is None else value for value in row] for row in rows)
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table.name} ({', '.join(names)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                       buffer)


def bulk_load(engine: Engine, tables: Sequence[Table], fill: Callable[[Any, Load], None]) -> None:
    """``fill(cursor, load)`` run on one raw connection and committed, ``load`` the database's
    way of loading rows, with ``tables``' indexes dropped before and built after, as a load of
    millions of rows is done."""
    indexes = [index for table in tables for index in table.indexes]
    with engine.begin() as connection:
        for index in indexes:
            index.drop(connection)
    raw = engine.raw_connection()
    try:
        fill(raw.cursor(), sqlite_insert if engine.dialect.name == "sqlite" else postgres_copy)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as connection:
        for index in indexes:
            index.create(connection)
