"""Mediation's own database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, Connection, Date, String, Table

from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.plumbing.column_types import JsonDocument, Money
from disputes_shared.plumbing.engine import service_metadata
from disputes_shared.plumbing.sealed import SealedCaseRepository
from disputes_shared.plumbing.tables import add_plumbing_tables, agency_case_columns
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork

from .domain import ACTIVE_STATES, MediationCase
from .ports import MediationCases, MediationUnitOfWork

metadata = service_metadata()
mediation_cases = Table(
    "mediation_cases", metadata, *agency_case_columns(),
    Column("station_id", String(64), index=True),
    Column("mediator_id", String(80), index=True),
    Column("amount_agreed", Money),
    Column("pay_by", Date),
    Column("amount_paid", Money),
    Column("sessions", JsonDocument, nullable=False),
    Column("arbitration_offered", Boolean, nullable=False),
    Column("difficulty", String(16)),
    Column("subsidy", Money),
)
plumbing = add_plumbing_tables(metadata, personal_data=True)


class SqlMediationCases(SealedCaseRepository[MediationCase], MediationCases):
    def _active_at(self, station_id: str) -> tuple[Any, ...]:
        c = self.table.c
        return (c.station_id == station_id, c.state.in_([str(s) for s in ACTIVE_STATES]))

    def active_count_at(self, station_id: str) -> int:
        return self.count(*self._active_at(station_id))

    def mediators_of_active_cases_at(self, station_id: str) -> list[str | None]:
        return self.column("mediator_id", *self._active_at(station_id))

    def open_at(self, station_id: str, state: str | None = None) -> list[MediationCase]:
        c = self.table.c
        return self.listed(c.station_id == station_id,
                           c.state == str(state) if state else c.state != str(CaseState.CLOSED))


class SqlMediationUnitOfWork(SqlUnitOfWork, MediationUnitOfWork):
    cases: SqlMediationCases

    def bind(self, connection: Connection) -> None:
        self.cases = SqlMediationCases(connection, mediation_cases, MediationCase, self.case_keys)
