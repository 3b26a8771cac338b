"""The trail's own database."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Float,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    func,
    insert,
    select,
    text,
    update,
)

from disputes_shared.contract.handoff import BOUNCED_AFTER_RETURNS, Handoff, HandoffStatus
from disputes_shared.plumbing.column_types import UtcDateTime
from disputes_shared.plumbing.engine import service_metadata
from disputes_shared.plumbing.inbox import insert_unless_present
from disputes_shared.plumbing.locks import LockSpace, lock
from disputes_shared.plumbing.repositories import KEY_PARAMETER, DataclassRepository, SqlHandoffRepository
from disputes_shared.plumbing.tables import add_plumbing_tables
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork

from .chain import GENESIS, Checkpoint
from .domain import (
    WAIT_PERCENTILES,
    WORK_PERCENTILES,
    Bounces,
    CaseSummary,
    PairTally,
    PersonalDataRead,
    RankedValues,
    TrailEntry,
    rank_runs,
    ranks_wanted,
)
from .ports import CaseSummaries, Checkpoints, PersonalDataReads, TrailEntries, TrailHandoffs, TrailUnitOfWork

T = TypeVar("T")
# The trail's documents hold JSON values only (a payload is made plain as it is recorded,
# ``handlers._plain``; the rest are texts and numbers): stored as they are, without the copy
# ``JsonDocument`` makes of each to turn Decimals and dates into text.
PlainDocument = JSON
metadata = service_metadata()
trail_entries = Table(
    "trail_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("event_type", String(64), nullable=False),
    Column("move", String(96), nullable=False),
    Column("source_agency", String(32), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("causation_id", String(36)),
    Column("payload", PlainDocument, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False, unique=True),
    Column("signature", String(128), nullable=False),
    # How the entry is hashed (chain.py): 1 before free texts were salted, 2 since.
    Column("format", Integer, nullable=False, server_default="1"),
    # Format 2: the free texts and their salts, outside the chain so they can be erased.
    Column("texts", PlainDocument),
    # Copied from a work-ending event's payload (outside the chain, which hashes the payload),
    # so the handoff view ranks each agency's stays on an index instead of parsing payloads.
    Column("worked_seconds", Float),
    Index("ix_trail_entries_worked", "source_agency", "worked_seconds",
          sqlite_where=text("worked_seconds IS NOT NULL"), postgresql_where=text("worked_seconds IS NOT NULL")),
)
trail_checkpoints = Table(
    "trail_checkpoints", metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=False),
    Column("entries", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    Column("previous", String(128), nullable=False),
    Column("signature", String(128), nullable=False, unique=True),
)
case_summaries = Table(
    "case_summaries", metadata,
    Column("case_id", String(64), primary_key=True),
    Column("state", String(32), nullable=False, index=True),
    Column("aid_state", String(32), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("last_event_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    Column("outcome", String(32), index=True),
    Column("amount_recovered", String(24)),
    Column("returns", Integer, nullable=False),
    Column("anomalies", PlainDocument, nullable=False),
    # Null for a summary kept before these were: the case is replayed at its next event.
    Column("inspection_state", String(32)),
    Column("worker_ref", String(16)),
)
# The cases returned again and again, counted open and closed for a gauge every few seconds
# from the index alone.
Index("ix_case_summaries_returns", case_summaries.c.returns, case_summaries.c.closed_at)
# Access records (``personal_data.read``), each also an entry of the chain: listed by case and
# by worker (``case.filed``'s keyed worker_ref), never holding a personal value.
personal_data_reads = Table(
    "personal_data_reads", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("worker_ref", String(16), index=True),
    Column("read_at", UtcDateTime, nullable=False),
    Column("agency", String(32), nullable=False),
    Column("reader", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("fields", PlainDocument, nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("via", String(8), nullable=False),
)
# The trail records handoffs it sees; it publishes nothing and keeps no statutory clock.
plumbing = add_plumbing_tables(metadata, outbox=False, clocks=False)
handoffs = plumbing.handoffs
assert handoffs is not None
# Each answered handoff's wait, kept as it is answered, so that the handoff view ranks waits on
# an index instead of working each one out from two timestamps at every read.
handoffs.append_column(Column("wait_seconds", Float))
ANSWERED = text("wait_seconds IS NOT NULL")
# The counts by status and agency pair, of the waits kept among them and the oldest pending, read
# from the index alone; the cases by their returns; and each pair's waits in order.
Index("ix_handoffs_status_pair", handoffs.c.status, handoffs.c.from_agency, handoffs.c.to_agency,
      handoffs.c.requested_at, handoffs.c.wait_seconds)
Index("ix_handoffs_status_case", handoffs.c.status, handoffs.c.case_id, handoffs.c.answered_at)
Index("ix_handoffs_waits", handoffs.c.from_agency, handoffs.c.to_agency, handoffs.c.wait_seconds,
      sqlite_where=ANSWERED, postgresql_where=ANSWERED)
# Left in the database for the release before, whose relay still polls it; dropped next release.
metadata.info["retired_tables"] = ("outbox",)

CHAIN_END = "trail-chain"  # the sequencer lock's name: held by an append until it commits

# Built once so SQLAlchemy reuses their compiled form.
HEAD = select(trail_entries.c.id, trail_entries.c.entry_hash).order_by(trail_entries.c.id.desc()).limit(1)
OF_CASE = select(trail_entries).where(trail_entries.c.case_id == bindparam("case_id")).order_by(trail_entries.c.id)
END_PARAMETER = "_chain_end"  # no column's name
CASE_LAST_ENTRY = (select(trail_entries.c.entry_hash).where(trail_entries.c.case_id == bindparam(KEY_PARAMETER))
                   .order_by(trail_entries.c.id.desc()).limit(1).scalar_subquery())
SAVE_IF_LAST = update(case_summaries).where(case_summaries.c.case_id == bindparam(KEY_PARAMETER),
                                            CASE_LAST_ENTRY == bindparam(END_PARAMETER))


@functools.cache
def _append_after(dialect: str) -> Any:
    """The insert of an entry that takes place only if the chain still ends where the caller
    says: the check and the append in one statement."""
    columns = [c for c in trail_entries.columns if c.name != "id"]
    # PostgreSQL types the values of an ``INSERT ... SELECT`` as text unless told; SQLite
    # must not be told (a cast to JSON there turns a document into a number).
    values = [cast(bindparam(c.name, type_=c.type), c.type) if dialect == "postgresql"
              else bindparam(c.name, type_=c.type) for c in columns]
    end = select(trail_entries.c.entry_hash).order_by(trail_entries.c.id.desc()).limit(1).scalar_subquery()
    return insert(trail_entries).from_select(
        [c.name for c in columns], select(*values).where(func.coalesce(end, GENESIS) == bindparam(END_PARAMETER)))


def group_counts(connection: Connection, keys: list[Any], value: ColumnElement[Any]) -> dict[tuple[Any, ...], int]:
    """How many values (``value`` not null) each group of ``keys`` has, none left out."""
    counted = connection.execute(select(*keys, func.count()).where(value.is_not(None)).group_by(*keys)).all()
    return {tuple(group): count for *group, count in counted}


def ranked_groups(connection: Connection, keys: list[Any], value: ColumnElement[Any],
                  percentiles: Iterable[int], counts: dict[tuple[Any, ...], int]) -> dict[tuple[Any, ...], RankedValues]:
    """Each group of ``keys`` with values (``counts``: how many, ``value`` not null): those at
    the ranks its percentiles and maximum need. Meant for an index on ``keys`` then ``value``:
    each value is read at its place in the group's order, counted from the nearer end, so a
    group of a million values is never sorted nor sent. (SQLite has no percentile; the same
    queries on PostgreSQL keep one definition of the figures.)"""
    known = value.is_not(None)
    found = {}
    for group, count in counts.items():
        where = [known, *(key == named for key, named in zip(keys, group, strict=True))]
        at_rank: dict[int, float] = {}
        for first, last in rank_runs(ranks_wanted(count, percentiles)):
            from_end = count - 1 - last
            if first <= from_end:
                order, skip, ranks = value, first, range(first, last + 1)
            else:
                order, skip, ranks = value.desc(), from_end, range(last, first - 1, -1)
            values = connection.execute(select(value).where(*where).order_by(order)
                                        .offset(skip).limit(last - first + 1)).scalars()
            at_rank.update(zip(ranks, map(float, values), strict=True))
        found[group] = RankedValues(count, at_rank)
    return found


class NumberedRows(DataclassRepository[T]):
    """Rows numbered by the database as they are added (an entry's place in the chain)."""

    def add(self, obj: T) -> None:
        row = self._row(obj)
        row.pop("id")
        self.connection.execute(self.statements.insert, row)


class SqlTrailEntries(NumberedRows[TrailEntry], TrailEntries):
    def head_hash(self) -> tuple[int | None, str | None]:
        """The id and hash of the last entry recorded, if any."""
        row = self.connection.execute(HEAD).first()
        return (row.id, row.entry_hash) if row else (None, None)

    def hold_end(self) -> None:
        # The one lock the chain needs, taken by appends only: held to commit, so the next
        # append finds this one's entry at the end (each statement sees what was committed
        # before it began), and ids are given in chain order.
        lock(self.connection, LockSpace.SEQUENCER, CHAIN_END)

    def append_after(self, entry: TrailEntry, end: str) -> bool:
        row = self._row(entry)
        row.pop("id")
        row[END_PARAMETER] = end
        return self.connection.execute(_append_after(self.connection.dialect.name), row).rowcount == 1

    def count_through(self, entry_id: int) -> int:
        return super().count(self.table.c.id <= entry_id)

    def of_case(self, case_id: str) -> list[TrailEntry]:
        """A case's entries in the order they were recorded."""
        return [self.object_of(row) for row in
                self.connection.execute(OF_CASE, {"case_id": case_id}).mappings()]

    def in_recorded_order(self) -> list[TrailEntry]:
        return self.find(order_by=self.table.c.id)

    def after(self, entry_id: int, limit: int) -> list[TrailEntry]:
        return self.find(self.table.c.id > entry_id, order_by=self.table.c.id, limit=limit)

    def of_types(self, event_types: Iterable[str]) -> list[TrailEntry]:
        return self.find(self.table.c.event_type.in_(sorted(event_types)))

    def work_tallies(self) -> dict[str, RankedValues]:
        c = self.table.c
        agency = [c.source_agency]
        found = ranked_groups(self.connection, agency, c.worked_seconds, WORK_PERCENTILES,
                              group_counts(self.connection, agency, c.worked_seconds))
        return {agency: values for (agency,), values in found.items()}

    def count(self, *where: Any) -> int:
        return super().count(*where)

    def count_between(self, after: int, up_to: int) -> int:
        return self.count(self.table.c.id > after, self.table.c.id <= up_to)

    def erase_texts(self, case_id: str, keep: str) -> int:
        c = self.table.c
        return int(self.connection.execute(
            update(self.table).where(c.case_id == case_id, c.event_type != keep, c.texts.is_not(None))
            .values(texts=None)).rowcount)


class SqlCaseSummaries(DataclassRepository[CaseSummary], CaseSummaries):
    def of_cases(self, case_ids: Iterable[str] | None) -> list[CaseSummary]:
        return self.find(*([] if case_ids is None else [self.table.c.case_id.in_(list(case_ids))]))

    def count_returned_at_least(self, returns: int) -> tuple[int, int]:
        c = self.table.c
        every, closed = self.connection.execute(
            select(func.count(), func.count(c.closed_at)).where(c.returns >= returns)).one()
        return int(every), int(closed)

    def save_if_last(self, summary: CaseSummary, entry_hash: str) -> bool:
        row = self._row(summary)
        row[KEY_PARAMETER], row[END_PARAMETER] = row.pop("case_id"), entry_hash
        return self.connection.execute(SAVE_IF_LAST, row).rowcount == 1

    def seen_at(self, case_id: str, at: datetime) -> None:
        c = self.table.c
        self.connection.execute(update(self.table).where(c.case_id == case_id, c.last_event_at < at)
                                .values(last_event_at=at))


class SqlCheckpoints(DataclassRepository[Checkpoint], Checkpoints):
    def latest(self) -> Checkpoint | None:
        found = self.find(order_by=self.table.c.entry_id.desc(), limit=1)
        return found[0] if found else None

    def in_order(self) -> list[Checkpoint]:
        return self.find()


class SqlTrailHandoffs(SqlHandoffRepository, TrailHandoffs):
    def every(self) -> list[Handoff]:
        return self.find()

    def add_unless_known(self, handoff: Handoff) -> None:
        self.connection.execute(insert_unless_present(self.connection.dialect.name, self.table), self._row(handoff))

    def _row(self, obj: Handoff) -> dict[str, Any]:
        return {**super()._row(obj), "wait_seconds": obj.wait_seconds}

    def pair_tallies(self) -> list[PairTally]:
        c = self.table.c
        pair = [c.from_agency, c.to_agency]
        # By status first, as the index has them: a handful of rows, the oldest pending among
        # them, and how many waits each pair keeps (so the waits' index is not counted again).
        counted = self.connection.execute(
            select(c.status, *pair, func.count(), func.min(c.requested_at), func.count(c.wait_seconds))
            .group_by(c.status, *pair)).all()
        tallies: dict[tuple[str, str], dict[str, Any]] = {}
        waits_kept: dict[tuple[Any, ...], int] = defaultdict(int)
        for status, source, target, count, oldest, kept in map(tuple, counted):
            tally = tallies.setdefault((str(source), str(target)), {"oldest_pending": None})
            tally[str(status)] = count
            if status == HandoffStatus.PENDING:
                tally["oldest_pending"] = oldest
            if kept:
                waits_kept[(source, target)] += kept
        waits = {(str(source), str(target)): values for (source, target), values
                 in ranked_groups(self.connection, pair, c.wait_seconds, WAIT_PERCENTILES, waits_kept).items()}

        def counted_as(tally: dict[str, Any], status: HandoffStatus) -> int:
            return int(tally.get(str(status), 0))
        return [PairTally(source, target, sum(counted_as(tally, s) for s in HandoffStatus),
                          accepted=counted_as(tally, HandoffStatus.ACCEPTED),
                          returned=counted_as(tally, HandoffStatus.RETURNED),
                          pending=counted_as(tally, HandoffStatus.PENDING),
                          oldest_pending=tally["oldest_pending"], waits=waits.get((source, target)))
                for (source, target), tally in tallies.items()]

    def bounces(self, listed: int) -> Bounces:
        c = self.table.c
        returned = c.status == HandoffStatus.RETURNED
        # Read on ix_handoffs_status_case alone, which holds each return's time; grouped once,
        # the count of every bounced case beside the first few.
        bounced = select(c.case_id, func.max(c.answered_at).label("last_return")).where(returned) \
            .group_by(c.case_id).having(func.count() >= BOUNCED_AFTER_RETURNS).subquery()
        # Ties broken as Python orders the ids (the byte order), whatever the database's collation.
        case_id = bounced.c.case_id.collate("C") if self.connection.dialect.name == "postgresql" \
            else bounced.c.case_id
        latest = self.connection.execute(
            select(bounced.c.case_id, func.count().over())
            .order_by(bounced.c.last_return.desc(), case_id.desc()).limit(max(1, listed))).all()
        if not latest:
            return Bounces(0, [])
        cases = [row[0] for row in latest[:listed]]
        return Bounces(int(latest[0][1]), self.find(returned, c.case_id.in_(cases)) if cases else [])


class SqlPersonalDataReads(NumberedRows[PersonalDataRead], PersonalDataReads):
    def of_case(self, case_id: str) -> list[PersonalDataRead]:
        return self.find(self.table.c.case_id == case_id, order_by=self.table.c.id)

    def of_worker(self, worker_ref: str) -> list[PersonalDataRead]:
        return self.find(self.table.c.worker_ref == worker_ref, order_by=self.table.c.id)

    def name_worker(self, case_id: str, worker_ref: str) -> None:
        self.connection.execute(update(self.table).where(
            self.table.c.case_id == case_id, self.table.c.worker_ref.is_(None)).values(worker_ref=worker_ref))


class SqlTrailUnitOfWork(SqlUnitOfWork, TrailUnitOfWork):
    entries: SqlTrailEntries
    reads: SqlPersonalDataReads
    summaries: SqlCaseSummaries
    checkpoints: SqlCheckpoints
    handoffs: SqlTrailHandoffs

    def bind(self, connection: Connection) -> None:
        self.entries = SqlTrailEntries(connection, trail_entries, TrailEntry)
        self.summaries = SqlCaseSummaries(connection, case_summaries, CaseSummary)
        self.reads = SqlPersonalDataReads(connection, personal_data_reads, PersonalDataRead)
        self.checkpoints = SqlCheckpoints(connection, trail_checkpoints, Checkpoint)
        assert self.tables.handoffs is not None  # the trail keeps every handoff it sees
        self.handoffs = SqlTrailHandoffs(connection, self.tables.handoffs, Handoff)
