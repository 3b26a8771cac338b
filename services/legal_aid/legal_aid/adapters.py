"""Legal aid's own database."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Boolean, Column, Connection, String, Table

from disputes_shared.plumbing.column_types import JsonDocument
from disputes_shared.plumbing.engine import service_metadata
from disputes_shared.plumbing.sealed import SealedCaseRepository
from disputes_shared.plumbing.tables import add_plumbing_tables, agency_case_columns
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork

from .domain import AidApplication
from .ports import AidApplications, LegalAidUnitOfWork

metadata = service_metadata()
aid_applications = Table(
    "aid_applications", metadata, *agency_case_columns(),
    Column("lawyer_id", String(40), index=True),
    Column("means_test", String(16)),
    Column("representing", Boolean, nullable=False, index=True),
    Column("green_channel", JsonDocument, nullable=False),
    Column("provisional", Boolean, nullable=False),
    Column("forums", JsonDocument, nullable=False),
)
plumbing = add_plumbing_tables(metadata, personal_data=True)


class SqlAidApplications(SealedCaseRepository[AidApplication], AidApplications):
    def with_ids(self, case_ids: Iterable[str]) -> list[AidApplication]:
        return self.listed(self.table.c.case_id.in_(set(case_ids)))

    def representing_lawyers(self) -> list[str | None]:
        return self.column("lawyer_id", self.table.c.representing.is_(True))


class SqlLegalAidUnitOfWork(SqlUnitOfWork, LegalAidUnitOfWork):
    cases: SqlAidApplications

    def bind(self, connection: Connection) -> None:
        self.cases = SqlAidApplications(connection, aid_applications, AidApplication, self.case_keys)
