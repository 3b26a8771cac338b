"""What the trail's service layer asks of its storage, as named queries (no SQL here)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from datetime import datetime

from disputes_shared.contract.handoff import Handoff
from disputes_shared.ports import HandoffRepository, Repository, UnitOfWork

from .chain import Checkpoint
from .domain import Bounces, CaseSummary, PairTally, PersonalDataRead, RankedValues, TrailEntry


class TrailEntries(Repository[TrailEntry]):
    @abstractmethod
    def head_hash(self) -> tuple[int | None, str | None]:
        """The id and hash of the last entry recorded, if any."""

    @abstractmethod
    def hold_end(self) -> None:
        """Hold the chain's end for this transaction until it ends: no other entry can take the
        next place meanwhile."""

    @abstractmethod
    def append_after(self, entry: TrailEntry, end: str) -> bool:
        """Record ``entry`` as the chain's next if the last entry recorded is still the one
        hashed ``end`` (``chain.GENESIS``: there is none); False, recording nothing, if not."""

    @abstractmethod
    def count_through(self, entry_id: int) -> int:
        """How many entries were recorded up to and including ``entry_id``."""

    @abstractmethod
    def of_case(self, case_id: str) -> list[TrailEntry]:
        """A case's entries in the order they were recorded."""

    @abstractmethod
    def in_recorded_order(self) -> list[TrailEntry]: ...

    @abstractmethod
    def after(self, entry_id: int, limit: int) -> list[TrailEntry]:
        """Up to ``limit`` entries recorded after the entry ``entry_id``, in recorded order."""

    @abstractmethod
    def of_types(self, event_types: Iterable[str]) -> list[TrailEntry]: ...

    @abstractmethod
    def work_tallies(self) -> dict[str, RankedValues]:
        """The ``worked_seconds`` of the entries that name one, by source agency, as
        ``domain.tally_work`` tallies them."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def count_between(self, after: int, up_to: int) -> int:
        """How many entries are numbered after ``after`` and up to ``up_to``."""

    @abstractmethod
    def erase_texts(self, case_id: str, keep: str) -> int:
        """Clear the texts kept beside a case's entries (not those of type ``keep``); how many."""


class CaseSummaries(Repository[CaseSummary]):
    @abstractmethod
    def of_cases(self, case_ids: Iterable[str] | None) -> list[CaseSummary]:
        """The summaries of ``case_ids``; of every case when None."""

    @abstractmethod
    def count_returned_at_least(self, returns: int) -> tuple[int, int]:
        """How many cases were handed back at least ``returns`` times, and how many of them
        are closed."""

    @abstractmethod
    def save_if_last(self, summary: CaseSummary, entry_hash: str) -> bool:
        """``save`` the summary if its case's last entry recorded is still the one hashed
        ``entry_hash``; False, storing nothing, if not. A summary changes only with an entry of
        its case, so then no one has changed it since that entry was recorded."""

    @abstractmethod
    def seen_at(self, case_id: str, at: datetime) -> None:
        """The case's newest entry happened at ``at``, if that is later than its summary's."""


class Checkpoints(Repository[Checkpoint]):
    @abstractmethod
    def latest(self) -> Checkpoint | None: ...

    @abstractmethod
    def in_order(self) -> list[Checkpoint]: ...


class TrailHandoffs(HandoffRepository):
    @abstractmethod
    def add_unless_known(self, handoff: Handoff) -> None:
        """Store a handoff not seen before; one seen already (its answer came first) stays as
        it is."""

    @abstractmethod
    def every(self) -> list[Handoff]:
        """Every handoff the trail has seen."""

    @abstractmethod
    def pair_tallies(self) -> list[PairTally]:
        """Every handoff tallied by agency pair, as ``domain.tally_pairs`` tallies them."""

    @abstractmethod
    def bounces(self, listed: int) -> Bounces:
        """As ``domain.bounces``: how many cases were bounced, and the returned handoffs of the
        ``listed`` of them returned last."""


class PersonalDataReads(Repository[PersonalDataRead]):
    @abstractmethod
    def of_case(self, case_id: str) -> list[PersonalDataRead]:
        """A case's reads, oldest first."""

    @abstractmethod
    def of_worker(self, worker_ref: str) -> list[PersonalDataRead]:
        """Every read of one worker's data, across their cases, oldest first."""

    @abstractmethod
    def name_worker(self, case_id: str, worker_ref: str) -> None:
        """Name the worker on the case's reads recorded without one."""


class TrailUnitOfWork(UnitOfWork):
    entries: TrailEntries
    reads: PersonalDataReads
    summaries: CaseSummaries
    checkpoints: Checkpoints
    handoffs: TrailHandoffs
