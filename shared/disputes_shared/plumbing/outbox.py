"""The outbox: outgoing events, written in the same transaction as the change that caused them
and published afterwards by the relay.

A body carries the case's personal data (a dossier: the worker's name, ID number, phone), so
it is never kept in the clear: while it waits it is sealed under its case's data key, like the
service's own personal columns; once the broker has confirmed it, only its header is kept (ids,
type, version, times, source), which the relay's checks and an operator's tracing need and
which names no one. An event whose case has no data key at this service (a registry event, or
a service that keeps no personal data) waits in the clear: the service never held personal
data of that case.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)

from ..contract.envelope import Envelope, encode
from ..contract.routing import route
from ..ports import Outbox
from .personal_data import PersonalDataError, is_sealed
from .sealed import CaseKeys

BODY_CONTEXT = "outbox.body"  # what a waiting body is sealed under, with its case
WITHDRAWN = "withdrawn, never sent: the case's personal data was erased"


class SqlOutbox(Outbox):
    """Outgoing events, written in the same transaction as the change that caused them."""

    def __init__(self, connection: Connection, table: Table, case_keys: CaseKeys | None = None) -> None:
        self.connection = connection
        self.table = table
        self.case_keys = case_keys

    def add(self, envelopes: Iterable[Envelope], at: datetime) -> int:
        rows = []
        for envelope in envelopes:
            exchange, routing_key = route(envelope)
            rows.append({
                "event_id": envelope.event_id, "event_type": envelope.event_type,
                "case_id": envelope.case_id, "exchange": exchange, "routing_key": routing_key,
                "body": sealed_body(self.case_keys, envelope.case_id, encode(envelope)),
                "created_at": at, "attempts": 0,
            })
        if rows:
            self.connection.execute(insert(self.table), rows)
        return len(rows)

    def withdraw_waiting(self, case_id: str, at: datetime) -> int:
        """The case's events still waiting to be sent, withdrawn as its personal data is erased:
        sealed under the destroyed key they could never be sent, and would hold back the
        erasure's own announcement behind them. Each is cut to what its columns say (no
        payload), marked done and why, and never sent. How many."""
        c = self.table.c
        waiting = self.connection.execute(
            select(c.id, c.event_id, c.event_type).where(c.case_id == case_id, c.published_at.is_(None))).all()
        if waiting:
            self.connection.execute(
                update(self.table).where(c.id == bindparam("row_id")).values(
                    body=bindparam("header"), published_at=at, last_error=WITHDRAWN),
                [{"row_id": row.id, "header": json.dumps({"event_id": row.event_id, "event_type": row.event_type,
                                                          "case_id": case_id})} for row in waiting])
        return len(waiting)

    def unpublished_count(self) -> int:
        """Events committed but not yet confirmed by the broker."""
        return int(self.connection.execute(
            select(func.count()).select_from(self.table)
            .where(self.table.c.published_at.is_(None))).scalar_one())


def sealed_body(case_keys: CaseKeys | None, case_id: str, body: str) -> str:
    """The body as it waits: sealed under its case's data key where the case has one."""
    if case_keys is None or not case_keys.has_key(case_id):
        return body
    return case_keys.seal(case_id, body, BODY_CONTEXT)


def opened_body(case_keys: CaseKeys | None, case_id: str, stored: str) -> str:
    """The body to publish, opened in memory; a body stored in the clear as it is."""
    if not is_sealed(stored):
        return stored
    if case_keys is None:
        raise PersonalDataError(f"outbox event of case {case_id} is sealed, and this relay has no keys")
    opened: str = case_keys.open(case_id, stored, BODY_CONTEXT)
    return opened


def purged_body(body: str) -> str:
    """What is kept of a published body: the envelope without its payload."""
    return header_of(json.loads(body))


def header_of(envelope: dict[str, Any]) -> str:
    """What is kept of a published envelope (read from its body): all but its payload."""
    return json.dumps({name: value for name, value in envelope.items() if name != "payload"}, ensure_ascii=False)
