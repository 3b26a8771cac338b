"""The outbox: outgoing events, written in the same transaction as the change that caused them
and published afterwards by the relay."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    Connection,
    Table,
    func,
    insert,
    select,
)

from ..contract.envelope import Envelope, encode
from ..contract.routing import route
from ..ports import Outbox


class SqlOutbox(Outbox):
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
