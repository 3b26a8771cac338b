"""What the courts bridge's service layer asks of its storage (no SQL here)."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime

from disputes_shared.ports import CaseRepository, UnitOfWork

from .domain import CourtMatter


class CourtMatters(CaseRepository[CourtMatter]):
    """The matters held here; the base queries serve (every matter not closed...)."""

    @abstractmethod
    def quiet_since(self, moment: datetime) -> list[str]:
        """The ids of the matters not closed whose last step (or receipt) was at or before
        ``moment``."""


class CourtsUnitOfWork(UnitOfWork):
    cases: CourtMatters
