"""What the courts bridge's service layer asks of its storage (no SQL here)."""

from __future__ import annotations

from disputes_shared.ports import CaseRepository, UnitOfWork

from .domain import CourtMatter


class CourtMatters(CaseRepository[CourtMatter]):
    """The matters held here; the base queries serve (every matter not closed...)."""


class CourtsUnitOfWork(UnitOfWork):
    cases: CourtMatters
