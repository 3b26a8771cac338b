"""Repositories over a service's own tables. Domain objects are plain dataclasses;
``DataclassRepository`` maps one to a row of a table whose columns carry the dataclass's field
names; the handoff and clock repositories add the queries their tables are read by."""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)

from ..clocks.kinds import ClockKind
from ..clocks.statutory import ClockStatus, StatutoryClock
from ..contract.agencies import Agency
from ..contract.handoff import Handoff, HandoffStatus
from ..ports import CaseRepository, ClockRepository, HandoffRepository

T = TypeVar("T")
KEY_PARAMETER = "_row_key"  # the primary key's parameter in the prepared statements (no column's name)


@dataclasses.dataclass(frozen=True)
class RowStatements:
    key: Any  # the primary key's column
    insert: Any
    update: Any
    get: Any
    get_for_update: Any


@functools.cache
def _row_statements(table: Table) -> RowStatements:
    """A table's insert, update-by-key and get-by-key, built once. Executed with their values as
    parameters, SQLAlchemy reuses their compiled form; a statement built afresh for every row
    must be walked and hashed again each time, which was a good part of an event's cost."""
    key = table.primary_key.columns.values()[0]
    get = select(table).where(key == bindparam(KEY_PARAMETER))
    return RowStatements(key=key, insert=insert(table),
                         update=update(table).where(key == bindparam(KEY_PARAMETER)),
                         get=get, get_for_update=get.with_for_update())


@functools.cache
def _pending_to(table: Table) -> Any:
    """A desk's pending handoffs, oldest first: the work list read by every call of
    ``pending_handoffs`` and every refresh of the gauges, built once as ``_row_statements``."""
    c = table.c
    return (select(table).where(c.to_agency == bindparam("agency"), c.status == bindparam("status"))
            .order_by(c.requested_at))


@functools.cache
def _pending_count(table: Table) -> Any:
    """How many of a desk's handoffs are pending and the oldest's request: every refresh of the
    gauges, every few seconds in every replica, without reading the rows."""
    c = table.c
    return select(func.count(), func.min(c.requested_at)).where(
        c.to_agency == bindparam("agency"), c.status == bindparam("status"))


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, read once: every unit of work makes its repositories anew."""
    return tuple(f.name for f in dataclasses.fields(cls))


class DataclassRepository(Generic[T]):
    """Rows of ``table`` as instances of the dataclass ``cls`` (same names for columns and fields)."""

    # Whether ``get`` locks the row it reads until the transaction ends (PostgreSQL's
    # ``FOR UPDATE``; SQLite leaves the clause out, its transactions already take turns).
    locks_what_it_gets = False

    def __init__(self, connection: Connection, table: Table, cls: type[T]) -> None:
        self.connection = connection
        self.table = table
        self.cls = cls
        self.statements = _row_statements(table)
        self.key = self.statements.key
        self.names = _field_names(cls)  # type: ignore[arg-type]

    def _row(self, obj: T) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.names}

    def add(self, obj: T) -> None:
        self.connection.execute(self.statements.insert, self._row(obj))

    def save(self, obj: T) -> None:
        row = self._row(obj)
        key = row.pop(self.key.name)
        result = self.connection.execute(self.statements.update, {**row, KEY_PARAMETER: key})
        if result.rowcount != 1:
            raise LookupError(f"no {self.table.name} row {key!r} to update")

    def get(self, key: Any) -> T | None:
        return self._got(self.statements.get_for_update if self.locks_what_it_gets else self.statements.get, key)

    def peek(self, key: Any) -> T | None:
        return self._got(self.statements.get, key)

    def _got(self, statement: Any, key: Any) -> T | None:
        row = self.connection.execute(statement, {KEY_PARAMETER: key}).mappings().first()
        return None if row is None else self.object_of(row)

    def find(self, *where: Any, order_by: Any = None, limit: int | None = None) -> list[T]:
        return self.objects_of(self._rows(self.table.columns, where, order_by, limit))

    def listed(self, *where: Any) -> list[T]:
        """The matching objects, by key, for a list that shows no personal data (from a table
        that holds none: the objects whole)."""
        return self.find(*where)

    def _rows(self, columns: Iterable[Any], where: Iterable[Any], order_by: Any,
              limit: int | None) -> list[Any]:
        query = select(*columns).where(*where).order_by(order_by if order_by is not None else self.key)
        if limit is not None:
            query = query.limit(limit)
        return list(self.connection.execute(query).mappings())

    def objects_of(self, rows: list[Any]) -> list[T]:
        return [self.object_of(row) for row in rows]

    def object_of(self, row: Any) -> T:
        return self.cls(**{n: row[n] for n in self.names})

    def count(self, *where: Any) -> int:
        return int(self.connection.execute(select(func.count()).select_from(self.table).where(*where)).scalar_one())

    def column(self, name: str, *where: Any) -> list[Any]:
        """One column of the matching rows: for a count by value (who has how many cases)
        without reading and decoding whole rows."""
        return list(self.connection.execute(select(self.table.c[name]).where(*where)).scalars())


class SqlCaseRepository(DataclassRepository[T], CaseRepository[T]):
    """An agency's cases in a table of ``agency_case_columns`` (and the agency's own).

    A case loaded is locked until the transaction ends: two changes of one case take turns
    (neither overwrites the other's), changes of different cases run side by side."""

    locks_what_it_gets = True

    def in_states(self, states: Iterable[str]) -> list[T]:
        return self.listed(self.table.c.state.in_([str(s) for s in states]))

    def not_in_states(self, states: Iterable[str]) -> list[T]:
        return self.listed(self.table.c.state.not_in([str(s) for s in states]))


class SqlHandoffRepository(DataclassRepository[Handoff], HandoffRepository):
    locks_what_it_gets = True  # answering a handoff reads, then writes it: answers take turns

    def pending_to(self, agency: Agency) -> list[Handoff]:
        rows = self.connection.execute(_pending_to(self.table),
                                       {"agency": agency, "status": HandoffStatus.PENDING}).mappings()
        return self.objects_of(list(rows))

    def pending_count(self, agency: Agency) -> tuple[int, datetime | None]:
        count, oldest = self.connection.execute(_pending_count(self.table),
                                                {"agency": agency, "status": HandoffStatus.PENDING}).one()
        return int(count), oldest

    def for_case(self, case_id: str) -> list[Handoff]:
        return self.find(self.table.c.case_id == case_id, order_by=self.table.c.requested_at)


class SqlClockRepository(DataclassRepository[StatutoryClock], ClockRepository):
    def running(self, case_id: str, kind: ClockKind) -> StatutoryClock | None:
        found = self.find(self.table.c.case_id == case_id, self.table.c.kind == kind,
                          self.table.c.status == ClockStatus.RUNNING, limit=1)
        return found[0] if found else None

    def for_case(self, case_id: str) -> list[StatutoryClock]:
        return self.find(self.table.c.case_id == case_id, order_by=self.table.c.started_at)

    def running_for_case(self, case_id: str) -> list[StatutoryClock]:
        return self.find(self.table.c.case_id == case_id,
                         self.table.c.status == ClockStatus.RUNNING)

    def due(self, now: datetime, limit: int) -> list[StatutoryClock]:
        return self.find(self.table.c.status == ClockStatus.RUNNING, self.table.c.due_at <= now,
                         order_by=self.table.c.due_at, limit=limit)

    def running_soonest_first(self, limit: int) -> list[StatutoryClock]:
        return self.find(self.table.c.status == ClockStatus.RUNNING,
                         order_by=self.table.c.due_at, limit=limit)

    def provisional_running(self) -> list[StatutoryClock]:
        return self.find(self.table.c.status == ClockStatus.RUNNING,
                         self.table.c.provisional.is_(True))

    def claim_elapsed(self, clock: StatutoryClock, at: datetime) -> bool:
        """Mark a running clock elapsed unless another worker already did: the conditional
        update is what makes a clock fire once across workers and replicas."""
        c = self.table.c
        result = self.connection.execute(
            update(self.table).where(c.clock_id == clock.clock_id,
                                     c.status == ClockStatus.RUNNING, c.due_at <= at)
            .values(status=ClockStatus.ELAPSED, ended_at=at))
        return result.rowcount == 1

    def summary(self, now: datetime) -> dict[str, dict[str, Any]]:
        """Per clock kind: running clocks, seconds to the soonest due (negative when one is
        overdue and not yet fired), breaches (elapsed clocks) and provisional ones."""
        c = self.table.c
        rows = self.connection.execute(
            select(c.kind, c.status, func.count(), func.min(c.due_at),
                   func.sum(case((c.provisional.is_(True), 1), else_=0)))
            .group_by(c.kind, c.status)).all()
        kinds: dict[str, dict[str, Any]] = {
            str(kind): {"pending": 0, "seconds_to_soonest_due": None, "breaches": 0,
                        "satisfied": 0, "provisional": 0} for kind in ClockKind}
        for kind, status, count, soonest, provisional in rows:
            entry = kinds[str(kind)]
            if status is ClockStatus.RUNNING:
                entry["pending"] = int(count)
                entry["provisional"] = int(provisional or 0)
                soonest = soonest if soonest.tzinfo else soonest.replace(tzinfo=UTC)
                entry["seconds_to_soonest_due"] = (soonest - now).total_seconds()
            elif status is ClockStatus.ELAPSED:
                entry["breaches"] = int(count)
            else:
                entry["satisfied"] = int(count)
        return kinds
