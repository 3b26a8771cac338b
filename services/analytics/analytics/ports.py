"""What the analytics service layer asks of its storage, as named queries (no SQL here)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from disputes_shared.ports import Repository, UnitOfWork

from .domain import CaseFacts, StageTime
from .figures import Period, PeriodTally


@dataclass
class RaisedWarning:
    """A warning announced, kept so the same one is not announced again within the quiet days."""

    event_id: str
    rule: str
    subject: str
    raised_at: datetime
    case_id: str
    payload: dict[str, Any]  # as announced: the cases, the figures, the explanation


class CaseFactsRepository(Repository[CaseFacts]):
    @abstractmethod
    def involved_in(self, start: datetime, end: datetime) -> list[CaseFacts]:
        """Cases filed, closed or whose mediation ended in ``[start, end)``."""

    @abstractmethod
    def count_filed_between(self, start: datetime, end: datetime) -> int: ...

    @abstractmethod
    def against_employer(self, employer_ref: str) -> list[CaseFacts]: ...

    @abstractmethod
    def of_worker_against(self, worker_ref: str, employer_ref: str) -> list[CaseFacts]:
        """The worker's cases (by ``worker_ref``) against the employer."""

    @abstractmethod
    def on_platform(self, platform: str, since: datetime) -> list[CaseFacts]:
        """Cases filed since ``since`` whose work was found through ``platform``."""

    @abstractmethod
    def filing_times(self, industry: str, claim_type: str, district: str) -> list[datetime]:
        """When each case of the series (industry × claim type × district) was filed."""

    @abstractmethod
    def clear(self) -> None:
        """Forget every case: the read model is about to be rebuilt."""


class StageTimes(Repository[StageTime]):
    @abstractmethod
    def ended_between(self, start: datetime, end: datetime) -> list[StageTime]: ...

    @abstractmethod
    def clear(self) -> None: ...


class RaisedWarnings(Repository[RaisedWarning]):
    @abstractmethod
    def last_raised(self, rule: str, subject: str) -> datetime | None: ...

    @abstractmethod
    def since(self, since: datetime) -> list[RaisedWarning]:
        """Warnings raised since ``since``, oldest first."""


class FoldedEvents(ABC):
    """The events whose effect the read model holds: the consumer and a rebuild from the trail
    each fold an event only if the other has not."""

    @abstractmethod
    def claim(self, event_id: str) -> bool:
        """Record the event as folded; False when it already was."""

    @abstractmethod
    def clear(self) -> None:
        """Forget them all, with the read model, before it is rebuilt (first: it waits for the
        applies under way)."""


class PeriodFigures(ABC):
    """The period's counts where the rows are: a store counts a national year without handing
    every row over."""

    @abstractmethod
    def tally(self, period: Period) -> PeriodTally:
        """What ``figures.tally`` counts over the rows of ``period``, counted alike."""


class AnalyticsUnitOfWork(UnitOfWork):
    facts: CaseFactsRepository
    stages: StageTimes
    warnings: RaisedWarnings
    figures: PeriodFigures
    folded: FoldedEvents
