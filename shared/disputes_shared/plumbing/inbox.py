"""The inbox: events already applied, by consumer, so that a redelivered event is applied once;
and, per consumer, publisher and case, the highest place among the case's events applied, so
that an event applied after a later one of its case is noticed."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    func,
    select,
)

from ..contract.envelope import Envelope
from ..ports import Inbox, InboxClaim


def dialect_insert(dialect: str, table: Table) -> Any:
    """An ``INSERT`` that can say ``ON CONFLICT``, in the databases the platform runs on."""
    from sqlalchemy.dialects import postgresql, sqlite

    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no INSERT ... ON CONFLICT for {dialect}")


@functools.cache
def insert_unless_present(dialect: str, table: Table) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING``."""
    return dialect_insert(dialect, table).on_conflict_do_nothing()


@functools.cache
def _insert_returning_mark(dialect: str, table: Table) -> Any:
    """The insert, returning (in the same statement) the highest place of the same consumer,
    publisher and case applied before; no row when the event was there already."""
    applied = table.alias("applied")
    c = applied.c
    mark = (select(func.max(c.case_sequence))
            .where(c.consumer == bindparam("of_consumer"), c.case_id == bindparam("of_case"),
                   c.source_agency == bindparam("of_source"), c.event_id != bindparam("not_event"))
            .scalar_subquery())
    return insert_unless_present(dialect, table).returning(mark)


class SqlInbox(Inbox):
    """Events already applied, by consumer: the same event is never applied twice."""

    def __init__(self, connection: Connection, table: Table) -> None:
        self.connection = connection
        self.table = table

    def claim(self, consumer: str, envelope: Envelope, at: datetime) -> InboxClaim:
        # One statement: a concurrent delivery of the same event that got there first makes
        # this insert do nothing, instead of failing the transaction; the case's mark is read
        # by it too (the case is held, so no other event of it is being claimed meanwhile).
        row = {"consumer": consumer, "event_id": envelope.event_id,
               "event_type": envelope.event_type, "handled_at": at, "case_id": envelope.case_id,
               "source_agency": str(envelope.source_agency),
               "case_sequence": envelope.case_sequence}
        dialect = self.connection.dialect.name
        if envelope.case_sequence is None:
            result = self.connection.execute(insert_unless_present(dialect, self.table), row)
            return InboxClaim(new=result.rowcount == 1)
        returned = self.connection.execute(_insert_returning_mark(dialect, self.table), {
            **row, "of_consumer": consumer, "of_case": envelope.case_id,
            "of_source": row["source_agency"], "not_event": envelope.event_id}).first()
        if returned is None:
            return InboxClaim(new=False)
        later = returned[0]
        return InboxClaim(new=True, overtaken_by=later if later is not None and later > envelope.case_sequence else None)
