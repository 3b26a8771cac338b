"""The unit of work on a service's own database through SQLAlchemy: one connection, one
transaction, the plumbing repositories its tables provide."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine

from ..clocks.statutory import StatutoryClock
from ..clocks.wall import Clock
from ..contract.envelope import Envelope
from ..contract.handoff import Handoff
from ..ports import UnitOfWork
from .inbox import SqlInbox
from .locks import LockSpace, lock, try_lock
from .outbox import SqlOutbox
from .personal_data import KeyManagement
from .repositories import SqlClockRepository, SqlHandoffRepository
from .sealed import CaseKeys
from .tables import PlumbingTables


class SqlUnitOfWork(UnitOfWork):
    """``outbox``, ``handoffs`` and ``clocks`` exist only in a service that declares those
    tables; a service's own repositories are made in ``bind``."""

    case_keys: CaseKeys  # in a service that keeps personal data

    def __init__(self, engine: Engine, tables: PlumbingTables, clock: Clock,
                 on_commit: Callable[[list[Envelope]], None] | None = None,
                 keys: KeyManagement | None = None) -> None:
        super().__init__(clock, on_commit)
        self.engine = engine
        self.tables = tables
        if tables.data_keys is not None and keys is None:
            raise ValueError("a service that keeps personal data needs its key management")
        self.keys = keys

    def begin(self) -> None:
        self.connection = self.engine.connect()
        self.transaction = self.connection.begin()
        self.inbox = SqlInbox(self.connection, self.tables.inbox)
        case_keys = None
        if self.tables.data_keys is not None and self.keys is not None:
            self.case_keys = case_keys = CaseKeys(self.connection, self.tables.data_keys, self.keys)
        self.outbox = (SqlOutbox(self.connection, self.tables.outbox, case_keys)
                       if self.tables.outbox is not None else None)
        if self.tables.handoffs is not None:
            self.handoffs = SqlHandoffRepository(self.connection, self.tables.handoffs, Handoff)
        if self.tables.clocks is not None:
            self.clocks = SqlClockRepository(self.connection, self.tables.clocks, StatutoryClock)
        self.bind(self.connection)

    def bind(self, connection: Connection) -> None:
        """Subclasses make their own repositories here."""

    def hold(self, name: str) -> None:
        lock(self.connection, LockSpace.KEY, name)

    def lease(self, name: str) -> bool:
        return try_lock(self.connection, LockSpace.LEASE, name)

    def erase_personal_data(self, case_id: str) -> bool:
        if self.tables.data_keys is None:
            return super().erase_personal_data(case_id)
        erased = self.case_keys.destroy(case_id)
        if erased:
            if isinstance(self.outbox, SqlOutbox):
                self.outbox.withdraw_waiting(case_id, self.clock.now())
            self.erase_kept_beside(case_id)
        return erased

    def erase_kept_beside(self, case_id: str) -> None:
        """What the service keeps of an erased case outside its sealed columns (intake: the
        evidence files, the keyed hashes that link claims)."""

    def commit_changes(self) -> None:
        self.transaction.commit()

    def roll_back(self) -> None:
        self.transaction.rollback()

    def end(self) -> None:
        self.connection.close()
