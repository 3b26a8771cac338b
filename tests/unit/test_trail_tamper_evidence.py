"""The trail is hash-chained with signed checkpoints: altering, removing, inserting or moving
an entry directly in the database is detected, and the first entry that does not match named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, update

from trail.adapters import trail_checkpoints, trail_entries
from trail.chain import entry_digest
from trail.handlers import Trail
from trail.signing import signature_check

from .examples import AT, delivered, envelope

TRAIL = Trail()
KEY = Ed25519PrivateKey.generate()
VALID = signature_check(KEY.public_key())
EVENTS = ["case.filed", "case.triaged", "mediation.failed", "arbitration.awarded", "case.closed",
          "legal_aid.granted", "legal_aid.refused", "court.ruling_entered"]


@pytest.fixture
def chained(trail_db, clock):
    """Sixteen entries over two cases, with a signed checkpoint after the tenth and the last."""
    for n in range(16):
        clock.advance(minutes=1)
        sent = envelope(EVENTS[n % len(EVENTS)], case_id=f"LD-{n % 2}",
                        occurred_at=AT + timedelta(minutes=n))
        with trail_db() as uow:
            TRAIL.handle(uow, delivered(sent))
            if n in (9, 15):
                assert TRAIL.checkpoint(uow, KEY.sign)
            uow.commit()
    return trail_db


def verdict(db):
    with db() as uow:
        return TRAIL.verify(uow, VALID)


def execute(db, statement):
    with db.engine.begin() as connection:
        connection.execute(statement)


def rows(db):
    with db.engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(trail_entries).order_by(trail_entries.c.id)).mappings()]


def test_an_untouched_trail_verifies(chained):
    result = verdict(chained)
    assert result.intact and result.entries == 16 and result.checkpoints == 2


def test_a_checkpoint_is_signed_only_when_the_head_moved(chained):
    with chained() as uow:
        assert TRAIL.checkpoint(uow, KEY.sign) is None


def test_an_altered_entry_is_named(chained):
    execute(chained, update(trail_entries).where(trail_entries.c.id == 5)
            .values(payload={"outcome": "mediated", "amount_recovered": "99999.00", "days_open": 1}))
    result = verdict(chained)
    assert not result.intact and result.entry_id == 5 and "altered" in result.problem


def test_a_removed_entry_is_found_at_the_one_after_it(chained):
    execute(chained, delete(trail_entries).where(trail_entries.c.id == 7))
    result = verdict(chained)
    assert not result.intact and result.entry_id == 8 and "removed, inserted or moved" in result.problem


def test_an_inserted_entry_is_found_even_with_a_correct_hash_of_its_own(chained):
    from trail.chain import GENESIS
    from trail.domain import TrailEntry

    forged = {**rows(chained)[2], "id": 0, "event_id": "forged-event", "prev_hash": GENESIS}
    forged["entry_hash"] = entry_digest(GENESIS, TrailEntry(**forged))
    execute(chained, insert(trail_entries).values(**forged))  # recorded "before" the first
    result = verdict(chained)
    assert not result.intact and result.entry_id == 1 and "removed, inserted or moved" in result.problem


def test_entries_moved_out_of_order_are_detected(chained):
    execute(chained, update(trail_entries).where(trail_entries.c.id == 4).values(id=1000))
    execute(chained, update(trail_entries).where(trail_entries.c.id == 3).values(id=4))
    execute(chained, update(trail_entries).where(trail_entries.c.id == 1000).values(id=3))
    result = verdict(chained)
    assert not result.intact and result.entry_id == 3


def test_rewriting_every_hash_after_a_change_is_caught_by_the_signed_checkpoint(chained):
    from trail.domain import TrailEntry

    entries = rows(chained)
    entries[4]["payload"] = {"outcome": "withdrawn", "amount_recovered": "0.00", "days_open": 0}
    previous = entries[3]["entry_hash"]
    for row in entries[4:]:  # a careful forger recomputes the whole chain after the change
        row["prev_hash"] = previous
        row["entry_hash"] = previous = entry_digest(previous, TrailEntry(**row))
        execute(chained, update(trail_entries).where(trail_entries.c.id == row["id"])
                .values(payload=row["payload"], prev_hash=row["prev_hash"], entry_hash=row["entry_hash"]))
    result = verdict(chained)
    assert not result.intact and result.entry_id == 10 and "rewritten" in result.problem


def test_a_forged_checkpoint_signature_is_detected(chained):
    execute(chained, update(trail_checkpoints).where(trail_checkpoints.c.entry_id == 10)
            .values(signature=Ed25519PrivateKey.generate().sign(b"other").hex()))
    result = verdict(chained)
    assert not result.intact and "invalid signature" in result.problem
