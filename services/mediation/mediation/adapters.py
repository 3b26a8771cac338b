"""Mediation's own database."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, Date, String, Table

from disputes_shared.plumbing.agency import agency_case_columns
from disputes_shared.plumbing.column_types import JsonDocument, Money
from disputes_shared.plumbing.engine import service_metadata
from disputes_shared.plumbing.repositories import DataclassRepository
from disputes_shared.plumbing.tables import add_plumbing_tables
from disputes_shared.plumbing.unit_of_work import UnitOfWork

from .domain import MediationCase

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
plumbing = add_plumbing_tables(metadata)


class MediationUnitOfWork(UnitOfWork):
    cases: DataclassRepository[MediationCase]

    def bind(self, connection: Connection) -> None:
        self.cases = DataclassRepository(connection, mediation_cases, MediationCase)
