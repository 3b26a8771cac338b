"""What legal aid's service layer asks of its storage, as named queries (no SQL here)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable

from disputes_shared.ports import CaseRepository, UnitOfWork

from .domain import AidApplication


class AidApplications(CaseRepository[AidApplication]):
    @abstractmethod
    def with_ids(self, case_ids: Iterable[str]) -> list[AidApplication]:
        """The applications of ``case_ids`` for the desk's list of handoffs, their dossier
        withheld."""

    @abstractmethod
    def representing_lawyers(self) -> list[str | None]:
        """The lawyer of each application whose lawyer still acts: who carries what load."""


class LegalAidUnitOfWork(UnitOfWork):
    cases: AidApplications
