"""The analytics service's own database: the read model (one row per case, the stretches of
time, the warnings raised) beside the plumbing (inbox, outbox for warning.raised)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Connection, Float, Index, Integer, String, Table, delete, or_, select, text

from disputes_shared.plumbing.column_types import JsonDocument, UtcDateTime
from disputes_shared.plumbing.engine import service_metadata
from disputes_shared.plumbing.inbox import insert_unless_present
from disputes_shared.plumbing.repositories import DataclassRepository
from disputes_shared.plumbing.tables import add_plumbing_tables
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork

from .domain import CaseFacts, StageTime
from .period_queries import SqlPeriodFigures
from .ports import (
    AnalyticsUnitOfWork,
    CaseFactsRepository,
    FoldedEvents,
    RaisedWarning,
    RaisedWarnings,
    StageTimes,
)

metadata = service_metadata()
case_facts = Table(
    "case_facts", metadata,
    Column("case_id", String(64), primary_key=True),
    Column("filed_at", UtcDateTime, index=True),
    Column("channel", String(32)),
    Column("industry", String(32)),
    Column("relationship", String(32)),
    Column("claim_types", JsonDocument, nullable=False),
    Column("district", String(64)),
    Column("amount_claimed", String(24), nullable=False),
    Column("worker_count", Integer, nullable=False),
    Column("employer_ref", String(16), index=True),
    Column("worker_ref", String(16), index=True),
    Column("platform", String(200), index=True),
    Column("mediation", String(16)),
    Column("mediation_ended_at", UtcDateTime, index=True),
    Column("arbitration_at", UtcDateTime),
    Column("court_at", UtcDateTime),
    Column("returns", Integer, nullable=False),
    Column("outcome", String(32)),
    Column("closed_at", UtcDateTime, index=True),
    Column("amount_recovered", String(24), nullable=False),
    Column("days_open", Integer),
)
stage_times = Table(
    "stage_times", metadata,
    Column("event_id", String(36), primary_key=True),
    Column("case_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("agency", String(32), nullable=False),
    Column("from_agency", String(32)),
    Column("answer", String(16)),
    Column("seconds", Float, nullable=False),
    Column("ended_at", UtcDateTime, nullable=False),
    # The period's stretches, with all their figures need in the index itself (no row read).
    Index("ix_stage_times_ended_at_spread", "ended_at", "kind", "agency", "from_agency", "seconds"),
    # Its returned handoffs, without reading the rest.
    Index("ix_stage_times_answer_ended_at", "answer", "ended_at"),
)
raised_warnings = Table(
    "raised_warnings", metadata,
    Column("event_id", String(36), primary_key=True),
    Column("rule", String(32), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("payload", JsonDocument, nullable=False),
)
folded_events = Table(
    "folded_events", metadata,
    Column("event_id", String(36), primary_key=True),
)
# Announces warnings (an outbox); receives no handoffs and runs no statutory clock.
plumbing = add_plumbing_tables(metadata, outbox=True, handoffs=False, clocks=False)


class SqlCaseFacts(DataclassRepository[CaseFacts], CaseFactsRepository):
    def involved_in(self, start: datetime, end: datetime) -> list[CaseFacts]:
        c = self.table.c
        return self.find(or_(*((column >= start) & (column < end)
                               for column in (c.filed_at, c.closed_at, c.mediation_ended_at))))

    def count_filed_between(self, start: datetime, end: datetime) -> int:
        c = self.table.c
        return self.count(c.filed_at >= start, c.filed_at < end)

    def against_employer(self, employer_ref: str) -> list[CaseFacts]:
        return self.find(self.table.c.employer_ref == employer_ref)

    def of_worker_against(self, worker_ref: str, employer_ref: str) -> list[CaseFacts]:
        c = self.table.c
        return self.find(c.worker_ref == worker_ref, c.employer_ref == employer_ref)

    def on_platform(self, platform: str, since: datetime) -> list[CaseFacts]:
        c = self.table.c
        return self.find(c.platform == platform, c.filed_at >= since)

    def filing_times(self, industry: str, claim_type: str, district: str) -> list[datetime]:
        c = self.table.c
        # Claim types are a short JSON list: filter the rest in SQL and these in Python.
        rows = self.connection.execute(
            select(c.filed_at, c.claim_types).where(c.industry == industry, c.district == district,
                                                    c.filed_at.is_not(None)))
        return [row.filed_at for row in rows if claim_type in row.claim_types]

    def clear(self) -> None:
        self.connection.execute(delete(self.table))


class SqlStageTimes(DataclassRepository[StageTime], StageTimes):
    def ended_between(self, start: datetime, end: datetime) -> list[StageTime]:
        c = self.table.c
        return self.find(c.ended_at >= start, c.ended_at < end)

    def clear(self) -> None:
        self.connection.execute(delete(self.table))


class SqlRaisedWarnings(DataclassRepository[RaisedWarning], RaisedWarnings):
    def last_raised(self, rule: str, subject: str) -> datetime | None:
        c = self.table.c
        found = self.find(c.rule == rule, c.subject == subject, order_by=c.raised_at.desc(), limit=1)
        return found[0].raised_at if found else None

    def since(self, since: datetime) -> list[RaisedWarning]:
        return self.find(self.table.c.raised_at >= since, order_by=self.table.c.raised_at)


class SqlFoldedEvents(FoldedEvents):
    def __init__(self, connection: Connection, table: Table) -> None:
        self.connection = connection
        self.table = table

    def claim(self, event_id: str) -> bool:
        result = self.connection.execute(insert_unless_present(self.connection.dialect.name, self.table),
                                         {"event_id": event_id})
        return result.rowcount == 1

    def clear(self) -> None:
        if self.connection.dialect.name == "postgresql":
            # Every apply claims its event here before it touches the read model: this waits
            # for those under way and keeps new ones waiting until the clear commits, so that
            # none is cleared by halves. (SQLite's transactions already take turns.)
            self.connection.execute(text(f"LOCK TABLE {self.table.name} IN EXCLUSIVE MODE"))
        self.connection.execute(delete(self.table))


class SqlAnalyticsUnitOfWork(SqlUnitOfWork, AnalyticsUnitOfWork):
    facts: SqlCaseFacts
    stages: SqlStageTimes
    warnings: SqlRaisedWarnings
    figures: SqlPeriodFigures
    folded: SqlFoldedEvents

    def bind(self, connection: Connection) -> None:
        self.facts = SqlCaseFacts(connection, case_facts, CaseFacts)
        self.stages = SqlStageTimes(connection, stage_times, StageTime)
        self.warnings = SqlRaisedWarnings(connection, raised_warnings, RaisedWarning)
        self.figures = SqlPeriodFigures(connection, case_facts, stage_times)
        self.folded = SqlFoldedEvents(connection, folded_events)
