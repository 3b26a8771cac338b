"""The plumbing tables a service adds to its own ``MetaData`` (inbox; outbox, handoffs and
statutory clocks where it uses them) with ``add_plumbing_tables``; no service reads another's."""
from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from ..clocks.kinds import ClockKind
from ..clocks.statutory import ClockStatus
from ..contract.agencies import Agency
from ..contract.handoff import HandoffPurpose, HandoffStatus
from .column_types import EnumText, JsonDocument, UtcDateTime


def agency_case_columns() -> list[Column[Any]]:
    """The columns of an ``AgencyCase``; each receiving agency adds its own."""
    return [
        Column("case_id", String(64), primary_key=True),
        Column("correlation_id", String(64), nullable=False),
        Column("handoff_id", String(36), nullable=False),
        Column("purpose", String(32), nullable=False),
        Column("dossier", Text, nullable=False),  # sealed personal data (plumbing/sealed.py)
        Column("state", String(32), nullable=False, index=True),
        Column("received_at", UtcDateTime, nullable=False),
        Column("accepted_at", UtcDateTime),
        Column("history", JsonDocument, nullable=False),
    ]


def add_plumbing_tables(metadata: MetaData, *, outbox: bool = True, handoffs: bool = True,
                        clocks: bool = True, personal_data: bool = False) -> "PlumbingTables":
    """The plumbing a service uses, on its ``metadata``: every service has an inbox; the outbox
    only if it publishes events, handoffs only if it keeps them, clocks only if it runs them,
    the cases' data keys only if it keeps personal data (sealed with them)."""
    from .sealed import data_keys_table

    return PlumbingTables(inbox=_inbox(metadata),
                          outbox=_outbox(metadata) if outbox else None,
                          handoffs=_handoffs(metadata) if handoffs else None,
                          clocks=_clocks(metadata) if clocks else None,
                          data_keys=data_keys_table(metadata) if personal_data else None)


def _inbox(metadata: MetaData) -> Table:
    return Table(
        "inbox", metadata,
        Column("consumer", String(64), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(64), nullable=False),
        Column("handled_at", UtcDateTime, nullable=False),
        # The event's case, publisher and the publisher's place of it among the case's events
        # (``Envelope.case_sequence``): an event applied after a later one of its case shows.
        Column("case_id", String(64), nullable=True),
        Column("source_agency", String(40), nullable=True),
        Column("case_sequence", BigInteger, nullable=True),
        Index("ix_inbox_case", "case_id"),
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
    data_keys: Table | None = None  # None: the service keeps no personal data

