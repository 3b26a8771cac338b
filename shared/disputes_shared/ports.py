"""What a service layer asks of storage, with no word of SQL: repositories with named queries,
the inbox, the outbox, and the unit of work that holds them for one transaction.

The SQLAlchemy adapters implement these in ``plumbing`` and each service's ``adapters.py``; the
unit tests implement them with plain dictionaries. A handler typed against these ports runs
unchanged on either.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Self, TypeVar

from .clocks.kinds import ClockKind
from .clocks.statutory import StatutoryClock
from .clocks.wall import Clock
from .contract.agencies import Agency
from .contract.envelope import Envelope
from .contract.handoff import Handoff

T = TypeVar("T")


class WithheldData(LookupError):
    """Personal data a list left unread was asked for."""


class ErasedData(WithheldData):
    """Personal data of a case that was erased (its data key destroyed) was asked for: what
    needs it is refused; what does not goes on without it."""


class Withheld:
    """What a listed object holds in place of personal data the list neither read nor opened
    (a staff work list shows none): reading it as data fails, and a repository refuses to
    store it, so a listed object can be shown but not changed or handed on."""

    def __repr__(self) -> str:
        return "WITHHELD"

    def _refusal(self, asked: str) -> WithheldData:
        return WithheldData(f"personal data withheld from a list ({asked} asked of it): read the object itself")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the copy and pickle protocols probe for these
            raise AttributeError(name)
        raise self._refusal(name)

    def __getitem__(self, key: Any) -> Any:
        raise self._refusal(repr(key))

    def __iter__(self) -> Any:
        raise self._refusal("its items")

    def __copy__(self) -> Withheld:
        return self

    def __deepcopy__(self, memo: Any) -> Withheld:
        return self


class Erased(Withheld):
    """What an object holds in place of personal data erased with its case's data key. Unlike
    ``WITHHELD`` it may be stored back: the case's other fields still change (its lifecycle goes
    on), and the erased column is stored as ``ERASED_TEXT``."""

    def __repr__(self) -> str:
        return "ERASED"

    def _refusal(self, asked: str) -> WithheldData:
        return ErasedData(f"the case's personal data was erased ({asked} asked of it)")


WITHHELD = Withheld()
ERASED = Erased()
# What an erased value is stored as when its row is stored again (a sealed column, a handoff's
# reason): the sealed text could no longer be opened anyway, and the marker says why at a glance.
ERASED_TEXT = "erased"


class Repository(ABC, Generic[T]):
    """Domain objects kept by their key; ``get`` returns a copy the caller may change and
    ``save`` back."""

    @abstractmethod
    def get(self, key: Any) -> T | None: ...

    def peek(self, key: Any) -> T | None:
        """``get`` that holds nothing (where ``get`` locks what it reads): to learn which case
        to hold before reading the object again with ``get``."""
        return self.get(key)

    @abstractmethod
    def add(self, obj: T) -> None:
        """Store a new object (its key must be new)."""

    @abstractmethod
    def save(self, obj: T) -> None:
        """Store the changes of an object got from this repository."""


class CaseRepository(Repository[T]):
    """An agency's own cases, with the one query every agency's staff list needs. The list
    shows no personal data, so its cases hold ``WITHHELD`` for their dossier: neither read nor
    opened (get a case by its id to work on it)."""

    @abstractmethod
    def in_states(self, states: Iterable[str]) -> list[T]:
        """The cases in any of ``states``, by case id, their dossier withheld."""

    @abstractmethod
    def not_in_states(self, states: Iterable[str]) -> list[T]:
        """The cases in none of ``states`` (e.g. every case not closed), by case id, their
        dossier withheld."""


class HandoffRepository(Repository[Handoff]):
    @abstractmethod
    def pending_to(self, agency: Agency) -> list[Handoff]:
        """Handoffs waiting for ``agency`` to answer, oldest first."""

    @abstractmethod
    def pending_count(self, agency: Agency) -> tuple[int, datetime | None]:
        """How many handoffs wait for ``agency`` to answer, and when the oldest was requested
        (None when none waits): the gauges' figures, counted rather than read."""

    @abstractmethod
    def for_case(self, case_id: str) -> list[Handoff]:
        """Every handoff of a case, in the order they were requested."""


class ClockRepository(Repository[StatutoryClock]):
    @abstractmethod
    def running(self, case_id: str, kind: ClockKind) -> StatutoryClock | None: ...

    @abstractmethod
    def for_case(self, case_id: str) -> list[StatutoryClock]:
        """Every clock of a case, in the order they started."""

    @abstractmethod
    def running_for_case(self, case_id: str) -> list[StatutoryClock]: ...

    @abstractmethod
    def due(self, now: datetime, limit: int) -> list[StatutoryClock]:
        """Running clocks due by ``now``, soonest first."""

    @abstractmethod
    def running_soonest_first(self, limit: int) -> list[StatutoryClock]:
        """Running clocks of every case, the soonest due first (a staff work queue's order)."""

    @abstractmethod
    def provisional_running(self) -> list[StatutoryClock]: ...

    @abstractmethod
    def claim_elapsed(self, clock: StatutoryClock, at: datetime) -> bool:
        """Mark a running, due clock elapsed unless another worker already did; True if this
        call did (what makes a clock fire once across workers and replicas)."""

    @abstractmethod
    def summary(self, now: datetime) -> dict[str, dict[str, Any]]:
        """Per clock kind: running (``pending``), seconds to the soonest due, breaches,
        satisfied and provisional clocks."""


@dataclass(frozen=True)
class InboxClaim:
    """What the inbox says of an event a consumer is about to apply."""

    new: bool  # False: applied already (a redelivery), to be skipped
    # The highest ``case_sequence`` of the same publisher and case that the consumer applied
    # before, when it is above this event's own: this event was overtaken by a later one.
    overtaken_by: int | None = None


class Inbox(ABC):
    @abstractmethod
    def claim(self, consumer: str, envelope: Envelope, at: datetime) -> InboxClaim:
        """Record the event as handled by ``consumer``, unless it already was; with the case's
        mark, in the same statement, when the event carries its ``case_sequence``."""


class Outbox(ABC):
    @abstractmethod
    def add(self, envelopes: Iterable[Envelope], at: datetime) -> int:
        """Queue events for publishing, in the transaction of the change that caused them."""


class UnitOfWork(ABC):
    """One transaction: use as ``with uow: ...; uow.commit()``; leaving without commit rolls
    everything back.

    Events passed to ``emit`` are written to the outbox by ``commit``, in the same transaction
    as the change, so a change is never committed without its events nor an event sent for a
    change that was rolled back. Nothing inside the block may wait on the network.

    ``outbox``, ``handoffs`` and ``clocks`` exist only in a service that keeps them.
    """

    clock: Clock
    inbox: Inbox
    outbox: Outbox | None
    handoffs: HandoffRepository
    clocks: ClockRepository
    # The signed-in person whose command this is ({"subject", "role"}), recorded on every event
    # it emits; None for the system's own work (timers, consumed events) and open commands.
    actor: dict[str, str] | None = None

    def __init__(self, clock: Clock,
                 on_commit: Callable[[list[Envelope]], None] | None = None) -> None:
        self.clock = clock
        self.on_commit = on_commit

    def __enter__(self) -> Self:
        self.emitted: list[Envelope] = []
        self._committed = False
        self.begin()
        return self

    def emit(self, *envelopes: Envelope) -> None:
        if envelopes and self.outbox is None:
            raise RuntimeError(f"this service has no outbox: it cannot publish "
                               f"{', '.join(e.event_type for e in envelopes)}")
        if self.actor is not None:
            # Events name the person and role; a station is the case's business, not the actor's.
            actor = {k: self.actor[k] for k in ("subject", "role") if k in self.actor}
            envelopes = tuple(e if e.payload.get("actor") else
                              replace(e, payload={**e.payload, "actor": actor})
                              for e in envelopes)
        self.emitted.extend(envelopes)

    def commit(self) -> None:
        if self.emitted and self.outbox is not None:
            self.outbox.add(self.emitted, self.clock.now())
        self.commit_changes()
        self._committed = True

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if not self._committed:
                self.roll_back()
        finally:
            self.end()
        if self._committed and self.emitted and self.on_commit is not None:
            self.on_commit(self.emitted)

    def hold(self, name: str) -> None:
        """Hold ``name`` (a case: ``case_lock_name``) until this transaction ends: transactions
        that hold the same name take turns, others run side by side. For a read-then-write on
        what has no row to lock yet (a case's first event, a summary added unless there is one).
        Nothing to do where transactions already take turns (one writer at a time)."""
        return None

    def lease(self, name: str) -> bool:
        """Hold ``name`` until this transaction ends if no other transaction does; False at
        once when one does. For a scan one replica at a time runs."""
        return True

    def erase_personal_data(self, case_id: str) -> bool:
        """Crypto-shredding: destroy the case's data key here, and what the service keeps of the
        case beside its sealed columns; True when this call erased it (False: nothing held, or
        erased already, by another replica too)."""
        raise RuntimeError("this service keeps no personal data to erase")

    @abstractmethod
    def begin(self) -> None:
        """Open the transaction and make the repositories for it."""

    @abstractmethod
    def commit_changes(self) -> None: ...

    @abstractmethod
    def roll_back(self) -> None: ...

    @abstractmethod
    def end(self) -> None:
        """Release what ``begin`` took (a connection), committed or not."""


def case_lock_name(case_id: str) -> str:
    """What a transaction holds (``UnitOfWork.hold``) to change a case."""
    return f"case:{case_id}"


def apply_once(unit_of_work: Callable[[], UnitOfWork], consumer: str, envelope: Envelope,
               handle: Callable[[Any, Envelope], str],
               overtaken: Callable[[Envelope, int], None] = lambda envelope, later: None) -> str:
    """Apply an event's effect and record it in the inbox in one transaction; a redelivered
    event finds itself recorded and is skipped. An event whose publisher had sent a later event
    of its case that this consumer applied already is reported to ``overtaken`` (on each
    attempt), then applied as any other: the case's transition table refuses a move that no
    longer fits, and the event is parked saying why."""
    return apply_all_once(unit_of_work, consumer, [envelope], handle, overtaken)[0]


def apply_all_once(unit_of_work: Callable[[], UnitOfWork], consumer: str,
                   envelopes: Sequence[Envelope], handle: Callable[[Any, Envelope], str],
                   overtaken: Callable[[Envelope, int], None] = lambda envelope, later: None,
                   ) -> list[str]:
    """``apply_once`` for several events in one transaction, in the order given: each one's
    outcome. One failing fails them all (nothing is committed); the consumer then applies them
    one at a time. Their cases are held first, in one order, so that two transactions holding
    several cases never wait on each other."""
    with unit_of_work() as uow:
        for name in sorted({case_lock_name(e.case_id) for e in envelopes if e.case_id}):
            # A case's events take turns across workers and replicas; other cases' run beside.
            uow.hold(name)
        outcomes = []
        for envelope in envelopes:
            claim = uow.inbox.claim(consumer, envelope, uow.clock.now())
            if not claim.new:
                outcomes.append("duplicate")
                continue
            if claim.overtaken_by is not None:
                overtaken(envelope, claim.overtaken_by)
            outcomes.append(handle(uow, envelope))
        if len(outcomes) > outcomes.count("duplicate"):
            uow.commit()
    return outcomes
