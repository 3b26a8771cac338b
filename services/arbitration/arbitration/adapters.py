"""Arbitration's own database."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, Date, String, Table

from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.plumbing.column_types import JsonDocument, Money, UtcDateTime
from disputes_shared.plumbing.engine import service_metadata
from disputes_shared.plumbing.sealed import SealedCaseRepository
from disputes_shared.plumbing.tables import add_plumbing_tables, agency_case_columns
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork

from .domain import ArbitrationCase
from .ports import ArbitrationCases, ArbitrationUnitOfWork

metadata = service_metadata()
arbitration_cases = Table(
    "arbitration_cases", metadata, *agency_case_columns(),
    Column("arbitrator_id", String(40), index=True),
    Column("amount_awarded", Money),
    Column("final_for_employer", Boolean),
    Column("award_items", JsonDocument),
    Column("panel", JsonDocument, nullable=False),
    Column("served_at", UtcDateTime),
    Column("answer_received_at", UtcDateTime),
    Column("answer_passed_on_at", UtcDateTime),
    Column("hearing_on", Date),
    Column("awarded_at", UtcDateTime),
    Column("effective_on", Date),
    Column("award_overdue", Boolean, nullable=False),
)
plumbing = add_plumbing_tables(metadata, personal_data=True)


class SqlArbitrationCases(SealedCaseRepository[ArbitrationCase], ArbitrationCases):
    def assigned_arbitrators(self) -> list[str | None]:
        return self.column("arbitrator_id", self.table.c.state == CaseState.IN_ARBITRATION)


class SqlArbitrationUnitOfWork(SqlUnitOfWork, ArbitrationUnitOfWork):
    cases: SqlArbitrationCases

    def bind(self, connection: Connection) -> None:
        self.cases = SqlArbitrationCases(connection, arbitration_cases, ArbitrationCase, self.case_keys)
