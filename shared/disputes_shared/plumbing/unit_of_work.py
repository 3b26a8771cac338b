"""One transaction on a service's own database: the change, the events it causes, the inbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from sqlalchemy import Connection, Engine

from ..clocks.statutory import StatutoryClock
from ..clocks.wall import Clock
from ..contract.envelope import Envelope
from ..contract.handoff import Handoff
from .inbox import Inbox
from .outbox import Outbox
from .repositories import ClockRepository, HandoffRepository
from .tables import PlumbingTables


class UnitOfWork:
    """Use as ``with uow: ...; uow.commit()``; leaving without commit rolls everything back.

    Events passed to ``emit`` are written to the outbox by ``commit``, in the same transaction
    as the change, so a change is never committed without its events nor an event sent for a
    change that was rolled back. Nothing inside the block may wait on the network.

    ``outbox``, ``handoffs`` and ``clocks`` exist only in a service that declares those tables.
    """

    outbox: Outbox
    inbox: Inbox
    handoffs: HandoffRepository
    clocks: ClockRepository

    def __init__(self, engine: Engine, tables: PlumbingTables, clock: Clock,
                 on_commit: Callable[[list[Envelope]], None] | None = None) -> None:
        self.engine = engine
        self.tables = tables
        self.clock = clock
        self.on_commit = on_commit

    def __enter__(self) -> Self:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.inbox = Inbox(self.connection, self.tables.inbox)
        if self.tables.outbox is not None:
            self.outbox = Outbox(self.connection, self.tables.outbox)
        if self.tables.handoffs is not None:
            self.handoffs = HandoffRepository(self.connection, self.tables.handoffs, Handoff)
        if self.tables.clocks is not None:
            self.clocks = ClockRepository(self.connection, self.tables.clocks, StatutoryClock)
        self.emitted: list[Envelope] = []
        self._committed = False
        self.bind(self.connection)
        return self

    def bind(self, connection: Connection) -> None:
        """Subclasses make their own repositories here."""

    def emit(self, *envelopes: Envelope) -> None:
        if envelopes and self.tables.outbox is None:
            raise RuntimeError(f"this service has no outbox: it cannot publish "
                               f"{', '.join(e.event_type for e in envelopes)}")
        self.emitted.extend(envelopes)

    def commit(self) -> None:
        if self.emitted:
            self.outbox.add(self.emitted, self.clock.now())
        self.transaction.commit()
        self._committed = True

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if not self._committed:
                self.transaction.rollback()
        finally:
            self.connection.close()
        if self._committed and self.emitted and self.on_commit is not None:
            self.on_commit(self.emitted)


def apply_once(unit_of_work: Callable[[], UnitOfWork], consumer: str, envelope: Envelope,
               handle: Callable[[Any, Envelope], str]) -> str:
    """Apply an event's effect and record it in the inbox in one transaction; a redelivered
    event finds itself recorded and is skipped."""
    with unit_of_work() as uow:
        if not uow.inbox.claim(consumer, envelope, uow.clock.now()):
            return "duplicate"
        outcome = handle(uow, envelope)
        uow.commit()
    return outcome
