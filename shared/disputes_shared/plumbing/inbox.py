"""The inbox: events already applied, by consumer, so that a redelivered event is applied once."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
)

from ..contract.envelope import Envelope
from ..ports import Inbox


@functools.cache
def _insert_unless_present(dialect: str, table: Table) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the databases the platform runs on."""
    from sqlalchemy.dialects import postgresql, sqlite

    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"no insert-unless-present for {dialect}")


class SqlInbox(Inbox):
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
