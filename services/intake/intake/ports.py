"""What intake's service layer asks of its storage, as named queries (no SQL here)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from disputes_shared.ports import Repository, UnitOfWork

from .domain import Claim
from .evidence import EvidenceFile
from .registry import RegisteredAgency


class Claims(Repository[Claim]):
    @abstractmethod
    def count_against_employer(self, key: str, since: datetime) -> int:
        """Claims filed against one employer since ``since`` (intake's history of employers)."""

    @abstractmethod
    def access_digest(self, case_id: str) -> str | None:
        """The digest of the access code kept for the case's claim (None: no claim, or none
        kept), read alone."""

    @abstractmethod
    def urgent_open(self) -> list[Claim]:
        """Urgent claims whose case has not closed, for the joint consultations' work list:
        their consultation read, the rest of their personal data ``WITHHELD``."""

    @abstractmethod
    def closed_before_unerased(self, bound: datetime, limit: int) -> list[tuple[str, str, datetime]]:
        """Case id, correlation id and closing time of claims closed before ``bound`` whose
        personal data is still held (the retention job's candidates), the oldest first."""


class EvidenceFiles(Repository[EvidenceFile]):
    @abstractmethod
    def described(self, case_id: str) -> list[dict[str, Any]]:
        """A case's files without their bytes, oldest first."""

    @abstractmethod
    def count_for(self, case_id: str) -> int: ...

    @abstractmethod
    def of_cases_closed_before(self, bound: datetime, limit: int) -> list[tuple[str, str, datetime]]:
        """Cases closed before ``bound`` that still have files, with their correlation id and
        closing time, the oldest first (the retention job's candidates for the files' own period)."""

    @abstractmethod
    def delete_for(self, case_id: str) -> int:
        """Delete a case's files; how many."""


class RegisteredAgencies(Repository[RegisteredAgency]):
    """The registry of outside agencies, by name."""

    @abstractmethod
    def listed(self) -> list[RegisteredAgency]:
        """Every entry, removed ones included, by name."""


class RequestCounts(ABC):
    """Requests counted per client and minute by every replica of intake together, for the
    per-address limits (a replica's own count alone would let a client through once per replica)."""

    @abstractmethod
    def counted(self, scope: str, client: str, minute: int) -> tuple[int, int]:
        """One more request of ``client`` in ``scope`` during ``minute`` (minutes since the
        epoch); the counts of that minute, this one included, and of the minute before."""

    @abstractmethod
    def forget_before(self, minute: int) -> int:
        """The counts of the minutes before ``minute`` deleted; how many."""


class IntakeUnitOfWork(UnitOfWork):
    claims: Claims
    evidence: EvidenceFiles
    agencies: RegisteredAgencies
    request_counts: RequestCounts
