"""What mediation's service layer asks of its storage, as named queries (no SQL here)."""

from __future__ import annotations

from abc import abstractmethod

from disputes_shared.ports import CaseRepository, UnitOfWork

from .domain import MediationCase


class MediationCases(CaseRepository[MediationCase]):
    @abstractmethod
    def active_count_at(self, station_id: str) -> int:
        """Cases the station is mediating now (an agreement awaiting payment counts)."""

    @abstractmethod
    def mediators_of_active_cases_at(self, station_id: str) -> list[str | None]:
        """The mediator of each case the station is mediating now: who carries what load."""

    @abstractmethod
    def open_at(self, station_id: str, state: str | None = None) -> list[MediationCase]:
        """The station's cases in ``state``, or else every one not closed, by case number: a
        station's work list (no personal data)."""


class MediationUnitOfWork(UnitOfWork):
    cases: MediationCases
