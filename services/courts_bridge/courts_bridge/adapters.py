"""The courts bridge's own database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, Connection, Date, String, Table, func, select

from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.plumbing.column_types import Money, UtcDateTime
from disputes_shared.plumbing.engine import service_metadata
from disputes_shared.plumbing.sealed import SealedCaseRepository
from disputes_shared.plumbing.tables import add_plumbing_tables, agency_case_columns
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork

from .domain import CourtMatter
from .ports import CourtMatters, CourtsUnitOfWork

metadata = service_metadata()
court_matters = Table(
    "court_matters", metadata, *agency_case_columns(),
    Column("court_case_number", String(64)),
    Column("ruling", String(32)),
    Column("amount_ruled", Money),
    Column("amount_recovered", Money),
    Column("proceeding", String(32)),
    Column("payment_order_amount", Money),
    Column("respond_by", Date),
    Column("enforceable", Boolean, nullable=False),
    Column("last_step_at", UtcDateTime),
)
plumbing = add_plumbing_tables(metadata, personal_data=True)


class SqlCourtMatters(SealedCaseRepository[CourtMatter], CourtMatters):
    def quiet_since(self, moment: datetime) -> list[str]:
        c = self.table.c
        return list(self.connection.execute(
            select(c.case_id).where(c.state != CaseState.CLOSED,
                                    func.coalesce(c.last_step_at, c.received_at) <= moment)
            .order_by(c.case_id)).scalars())


class SqlCourtsUnitOfWork(SqlUnitOfWork, CourtsUnitOfWork):
    cases: SqlCourtMatters

    def bind(self, connection: Connection) -> None:
        self.cases = SqlCourtMatters(connection, court_matters, CourtMatter, self.case_keys)
