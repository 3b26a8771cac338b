"""The small locks a service takes on PostgreSQL, each for one thing that must happen one at a
time: a key (a case, a warning's subject), the trail's chain append, a background scan that one
replica at a time runs, the cases whose outbox events one relay is sending.

All are advisory locks, released at the end of their transaction (or, for a scan's lease or a
relay's claims, of the scan or the round), and by the server when a killed replica's connection goes, so none is left held. On
SQLite they are nothing: a transaction there holds the file's write lock from its start
(``BEGIN IMMEDIATE``), which already gives one at a time, and one process serves a file.
"""
from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Iterator

from sqlalchemy import Connection, Engine, text


class LockSpace(enum.IntEnum):
    """The first key of a two-key advisory lock: the kind of thing locked, so that a hashed
    name of one kind can never take the lock of another."""

    KEY = 7272  # a case, or another name whose read-then-write must not interleave
    SEQUENCER = 7273  # a single global order (the trail's chain append)
    LEASE = 7274  # a scan one replica runs at a time
    OUTBOX = 7275  # a case whose outbox events one relay is sending


_LOCK = text("SELECT pg_advisory_xact_lock(:space, hashtext(:name))")
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:space, hashtext(:name))")
_TRY_LEASE = text("SELECT pg_try_advisory_lock(:space, hashtext(:name))")
_END_LEASE = text("SELECT pg_advisory_unlock(:space, hashtext(:name))")


def _on_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def lock(connection: Connection, space: LockSpace, name: str) -> None:
    """Wait for ``name``'s lock and hold it until the transaction ends. Two names that hash
    alike only wait for each other, never miss a lock."""
    if _on_postgresql(connection):
        connection.execute(_LOCK, {"space": int(space), "name": name})


def try_lock(connection: Connection, space: LockSpace, name: str) -> bool:
    """Take ``name``'s lock until the transaction ends if no other transaction holds it; False
    (at once) when one does."""
    if not _on_postgresql(connection):
        return True
    return bool(connection.execute(_TRY_LOCK, {"space": int(space), "name": name}).scalar_one())


@contextlib.contextmanager
def lease(engine: Engine, name: str) -> Iterator[bool]:
    """True when this replica runs the scan ``name`` now, False at once when another one does.
    Held on a connection of its own outside any transaction, so the scan's own transactions
    stay short and no idle-transaction timeout ends the lease midway."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    parameters = {"space": int(LockSpace.LEASE), "name": name}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        taken = bool(connection.execute(_TRY_LEASE, parameters).scalar_one())
        try:
            yield taken
        finally:
            if taken:
                connection.execute(_END_LEASE, parameters)


_CLAIM = text("SELECT name FROM unnest(CAST(:names AS text[])) AS name "
              "WHERE pg_try_advisory_lock(:space, hashtext(name))")
_END_CLAIM = text("SELECT pg_advisory_unlock(:space, hashtext(name)) "
                  "FROM unnest(CAST(:names AS text[])) AS name")


@contextlib.contextmanager
def claims(engine: Engine, space: LockSpace) -> Iterator[Callable[[list[str]], list[str]]]:
    """``take(names)``: those of ``names`` that no other replica holds, held by this one until
    the block ends (the others left out at once, never waited for). Held, as a lease is, on a
    connection of its own outside any transaction: the work in the block may wait on something
    slow (the broker) without keeping a transaction open. All of them on SQLite."""
    if engine.dialect.name != "postgresql":
        yield lambda names: names
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        held: list[str] = []

        def take(names: list[str]) -> list[str]:
            taken = list(connection.execute(_CLAIM, {"space": int(space), "names": names}).scalars())
            held.extend(taken)
            return taken

        try:
            yield take
        finally:
            try:
                connection.execute(_END_CLAIM, {"space": int(space), "names": held})
            except Exception:
                # Never back in the pool still holding them: dropped, the server frees them.
                connection.invalidate()
                raise
