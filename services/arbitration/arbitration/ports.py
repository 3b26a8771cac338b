"""What arbitration's service layer asks of its storage, as named queries (no SQL here)."""

from __future__ import annotations

from abc import abstractmethod

from disputes_shared.ports import CaseRepository, UnitOfWork

from .domain import ArbitrationCase


class ArbitrationCases(CaseRepository[ArbitrationCase]):
    @abstractmethod
    def assigned_arbitrators(self) -> list[str | None]:
        """The arbitrator of each case in arbitration now: who carries what load."""


class ArbitrationUnitOfWork(UnitOfWork):
    cases: ArbitrationCases
