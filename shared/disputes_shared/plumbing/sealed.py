"""Personal data on a service's own tables: the ``data_keys`` table (each case's data key,
wrapped), the case keys a unit of work opens and seals with, and the repositories whose personal
columns hold sealed text. Domain objects and handlers see plain values; only these adapters and
memory ever hold them decrypted."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from ..ports import ERASED, ERASED_TEXT, WITHHELD, WithheldData
from .column_types import UtcDateTime
from .personal_data import KeyManagement, PersonalDataError, new_data_key, open_sealed, seal
from .repositories import DataclassRepository, SqlCaseRepository

T = TypeVar("T")
KEYS_PER_QUERY = 500  # well under every driver's limit on bound parameters


def data_keys_table(metadata: MetaData) -> Table:
    return Table(
        "data_keys", metadata,
        Column("case_id", String(64), primary_key=True),
        Column("kek_id", String(64), nullable=False, index=True),  # the key-encryption key that wrapped it
        Column("wrapped_key", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
    )


@functools.cache
def _key_of_case(table: Table) -> Select[Any]:
    """Built once, so SQLAlchemy reuses its compiled form: read for every case an event opens."""
    return select(table.c.kek_id, table.c.wrapped_key).where(table.c.case_id == bindparam("case_id"))


@functools.cache
def _keys_of_cases(table: Table) -> Select[Any]:
    """Built once, as ``_key_of_case``: read for the cases of every list and relay round."""
    return (select(table.c.case_id, table.c.kek_id, table.c.wrapped_key)
            .where(table.c.case_id.in_(bindparam("case_ids", expanding=True))))


def beside_wrapped_keys(query: Select[Any], table: Table, case_id: Any) -> Select[Any]:
    """``query`` with the data key of each row's case as ``table`` stores it (``key_kek_id``,
    ``key_wrapped``; None where the case has none), in the same statement: for
    ``CaseKeys.keep``, a statement fewer than ``load``."""
    return (query.add_columns(table.c.kek_id.label("key_kek_id"), table.c.wrapped_key.label("key_wrapped"))
            .outerjoin(table, table.c.case_id == case_id))


class CaseKeys:
    """Each case's data key, for one connection: unwrapped once per unit of work, created (and
    wrapped by the current key-encryption key) the first time a case's personal data is sealed."""

    def __init__(self, connection: Connection, table: Table, keys: KeyManagement) -> None:
        self.connection = connection
        self.table = table
        self.keys = keys
        self._open: dict[str, bytes] = {}
        self._absent: set[str] = set()  # cases found to have no key: erased, or never sealed

    def data_key(self, case_id: str, create: bool = False) -> bytes:
        if case_id in self._open:
            return self._open[case_id]
        key = None if case_id in self._absent else self._stored_key(case_id)
        if key is not None:
            return key
        if not create:
            raise PersonalDataError(f"case {case_id}: no data key (erased, or never sealed)")
        key = new_data_key()
        kek_id, wrapped = self.keys.wrap(key)
        self.connection.execute(insert(self.table), {
            "case_id": case_id, "kek_id": kek_id, "wrapped_key": wrapped, "created_at": datetime.now(UTC)})
        self._absent.discard(case_id)
        self._open[case_id] = key
        return key

    def _stored_key(self, case_id: str) -> bytes | None:
        row = self.connection.execute(_key_of_case(self.table), {"case_id": case_id}).first()
        if row is None:
            self._absent.add(case_id)
            return None
        key = self._open[case_id] = self.keys.unwrap(row.kek_id, bytes(row.wrapped_key))
        return key

    def has_key(self, case_id: str) -> bool:
        """Whether the case has a data key here: the service sealed personal data of it, and
        it was not erased."""
        if case_id in self._open:
            return True
        return case_id not in self._absent and self._stored_key(case_id) is not None

    def destroy(self, case_id: str) -> bool:
        """Crypto-shredding: the case's data key deleted, so every value sealed under it, in any
        table or backup, can never be opened again. A conditional delete: of several replicas
        erasing the same case, exactly one sees True."""
        self._open.pop(case_id, None)
        self._absent.add(case_id)
        result = self.connection.execute(delete(self.table).where(self.table.c.case_id == case_id))
        return bool(result.rowcount)

    def load(self, case_ids: Iterable[str]) -> None:
        """The data keys of many cases in a few queries, not one each: a work list opens every
        case on it."""
        wanted = sorted(set(case_ids) - set(self._open) - self._absent)
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            rows = self.connection.execute(_keys_of_cases(self.table),
                                           {"case_ids": wanted[start:start + KEYS_PER_QUERY]})
            for case_id, kek_id, wrapped in rows:
                self._open[case_id] = self.keys.unwrap(kek_id, bytes(wrapped))
        self._absent.update(set(wanted) - set(self._open))

    def keep(self, stored: Iterable[tuple[str, str | None, bytes | None]]) -> None:
        """The data keys of cases as read beside their rows (``beside_wrapped_keys``): (case,
        KEK id, wrapped key), each unwrapped once. A key that does not unwrap is left for
        ``open`` to report, for what is sealed under it alone."""
        refused: set[str] = set()
        for case_id, kek_id, wrapped in stored:
            if case_id in self._open or case_id in self._absent or case_id in refused:
                continue
            if kek_id is None or wrapped is None:
                self._absent.add(case_id)
                continue
            try:
                self._open[case_id] = self.keys.unwrap(kek_id, bytes(wrapped))
            except PersonalDataError:
                refused.add(case_id)

    def seal(self, case_id: str, value: Any, context: str) -> str:
        return seal(self.data_key(case_id, create=True), value, f"{context}:{case_id}")

    def open(self, case_id: str, text: str, context: str) -> Any:
        return open_sealed(self.data_key(case_id), text, f"{context}:{case_id}")

    def lookup_digest(self, value: str) -> str:
        return self.keys.lookup_digest(value)


def rewrap_data_keys(connection: Connection, table: Table, keys: KeyManagement) -> dict[str, int]:
    """Every data key not under the current key-encryption key, unwrapped and wrapped again
    under it; the rows they encrypt are not touched. How many keys each KEK now wraps."""
    current = keys.wrap(bytes(32))[0]  # which KEK is current: the port names it as it wraps
    stale = connection.execute(select(table.c.case_id, table.c.kek_id, table.c.wrapped_key)
                               .where(table.c.kek_id != current)).all()
    for case_id, kek_id, wrapped in stale:
        kek, rewrapped = keys.wrap(keys.unwrap(kek_id, bytes(wrapped)))
        connection.execute(update(table).where(table.c.case_id == case_id)
                           .values(kek_id=kek, wrapped_key=rewrapped))
    return {kek: count for kek, count in connection.execute(
        select(table.c.kek_id, func.count()).group_by(table.c.kek_id)).all()}


class SealedRows(DataclassRepository[T]):
    """A repository whose ``sealed`` columns hold personal data sealed under the row's case key
    (the row's ``case_id``); the rest of the row is stored as it is."""

    sealed: tuple[str, ...] = ()

    def __init__(self, connection: Connection, table: Table, cls: type[T], case_keys: CaseKeys) -> None:
        super().__init__(connection, table, cls)
        self.case_keys = case_keys

    def _context(self, name: str) -> str:
        return f"{self.table.name}.{name}"

    def _row(self, obj: T) -> dict[str, Any]:
        row = super()._row(obj)
        for name in self.sealed:
            if row[name] is WITHHELD:  # stored, it would overwrite what the list did not read
                raise WithheldData(f"{self.table.name} {row['case_id']}: its {name} was withheld "
                                   "from a list; read the row whole to store it")
            if row[name] is ERASED:
                row[name] = ERASED_TEXT
            elif row[name] is not None:
                row[name] = self.case_keys.seal(row["case_id"], row[name], self._context(name))
        return row

    def listed(self, *where: Any, opening: Collection[str] = ()) -> list[T]:
        """The matching objects, by key, for a list: of the sealed columns only those named in
        ``opening`` are read and opened, the others hold ``WITHHELD``. Opening every row of a
        work list cost more than the rest of the list together."""
        withheld = dict.fromkeys((name for name in self.sealed if name not in opening), WITHHELD)
        columns = [column for column in self.table.columns if column.name not in withheld]
        return self.objects_of([{**row, **withheld} for row in self._rows(columns, where, None, None)])

    def _to_open(self, row: Any) -> list[str]:
        return [name for name in self.sealed if row[name] is not None and row[name] is not WITHHELD]

    def objects_of(self, rows: list[Any]) -> list[T]:
        self.case_keys.load(row["case_id"] for row in rows if self._to_open(row))
        return super().objects_of(rows)

    def object_of(self, row: Any) -> T:
        values = dict(row)
        to_open = self._to_open(values)
        # No key, or the marker: the case was erased; the row's other columns still read.
        erased = bool(to_open) and not self.case_keys.has_key(values["case_id"])
        for name in to_open:
            values[name] = ERASED if erased or values[name] == ERASED_TEXT else \
                self.case_keys.open(values["case_id"], values[name], self._context(name))
        return super().object_of(values)


class SealedCaseRepository(SealedRows[T], SqlCaseRepository[T]):
    """An agency's cases with the dossier sealed."""

    sealed = ("dossier",)


def rotate_keys(url: str, table: Table, keys: KeyManagement) -> dict[str, Any]:
    """A new key-encryption key made current, then every case's data key re-wrapped under it in
    one transaction (the sealed rows are not touched). A service that wraps a new case's key
    meanwhile uses the old KEK, which still unwraps; running this again re-wraps that too."""
    from .engine import make_engine

    new_kek = keys.rotate()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            wrapped_by = rewrap_data_keys(connection, table, keys)
    finally:
        engine.dispose()
    return {"current": new_kek, "data_keys_by_kek": wrapped_by}
