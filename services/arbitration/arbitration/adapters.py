"""Arbitration's own database."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, String, Table

from disputes_shared.plumbing.agency import agency_case_columns
from disputes_shared.plumbing.storage import DataclassRepository, Money, add_plumbing_tables, service_metadata
from disputes_shared.plumbing.unit_of_work import UnitOfWork

from .domain import ArbitrationCase

metadata = service_metadata()
arbitration_cases = Table(
    "arbitration_cases", metadata, *agency_case_columns(),
    Column("arbitrator_id", String(40), index=True),
    Column("amount_awarded", Money),
    Column("final_for_employer", Boolean),
)
plumbing = add_plumbing_tables(metadata)


class ArbitrationUnitOfWork(UnitOfWork):
    cases: DataclassRepository[ArbitrationCase]

    def bind(self, connection: Connection) -> None:
        self.cases = DataclassRepository(connection, arbitration_cases, ArbitrationCase)
