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

from ..support.examples import AT, delivered, envelope

KEY = Ed25519PrivateKey.generate()
TRAIL = Trail(KEY.sign)
VALID = signature_check(KEY.public_key())
EVENTS = ["case.filed", "case.triaged", "mediation.failed", "arbitration.awarded", "case.closed",
          "legal_aid.granted", "legal_aid.refused", "court.ruling_entered"]


@pytest.fixture
def chained(trail_sql_db, clock):
    """Sixteen entries over two cases, with a signed checkpoint after the tenth and the last."""
    for n in range(16):
        clock.advance(minutes=1)
        sent = envelope(EVENTS[n % len(EVENTS)], case_id=f"LD-{n % 2}",
                        occurred_at=AT + timedelta(minutes=n))
        with trail_sql_db() as uow:
            TRAIL.handle(uow, delivered(sent))
            if n in (9, 15):
                assert TRAIL.checkpoint(uow)
            uow.commit()
    return trail_sql_db


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
        assert TRAIL.checkpoint(uow) is None


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
    assert not result.intact and result.entry_id == 0 and "forged" in result.problem


def test_entries_moved_out_of_order_are_detected(chained):
    execute(chained, update(trail_entries).where(trail_entries.c.id == 4).values(id=1000))
    execute(chained, update(trail_entries).where(trail_entries.c.id == 3).values(id=4))
    execute(chained, update(trail_entries).where(trail_entries.c.id == 1000).values(id=3))
    result = verdict(chained)
    assert not result.intact and result.entry_id == 3


def rewrite_chain_from(db, entries, first):
    """What a careful forger without the key does: recompute every hash after a change."""
    from trail.domain import TrailEntry

    previous = entries[first - 1]["entry_hash"]
    for row in entries[first:]:
        row["prev_hash"] = previous
        row["entry_hash"] = previous = entry_digest(previous, TrailEntry(**row))
        execute(db, update(trail_entries).where(trail_entries.c.id == row["id"])
                .values(payload=row["payload"], prev_hash=row["prev_hash"], entry_hash=row["entry_hash"]))


def test_rewriting_every_hash_after_a_change_is_caught_at_the_first_rewritten_entry(chained):
    entries = rows(chained)
    entries[4]["payload"] = {"outcome": "withdrawn", "amount_recovered": "0.00", "days_open": 0}
    rewrite_chain_from(chained, entries, 4)
    result = verdict(chained)
    assert not result.intact and result.entry_id == 5 and "forged" in result.problem


def test_an_entry_appended_after_the_last_checkpoint_is_detected(chained):
    from trail.domain import TrailEntry

    last = rows(chained)[-1]
    forged = {**last, "id": 17, "event_id": "forged-close", "prev_hash": last["entry_hash"],
              "payload": {"outcome": "mediated", "amount_recovered": "50000.00", "days_open": 3}}
    forged["entry_hash"] = entry_digest(last["entry_hash"], TrailEntry(**forged))
    execute(chained, insert(trail_entries).values(**forged))
    result = verdict(chained)
    assert not result.intact and result.entry_id == 17 and "forged" in result.problem


def test_genuine_entries_after_the_last_checkpoint_are_reported_as_not_yet_attested(chained, clock):
    with chained() as uow:
        TRAIL.handle(uow, delivered(envelope("case.filed", case_id="LD-9")))
        uow.commit()
    result = verdict(chained)
    assert result.intact and result.unattested == 1 and result.last_checkpoint.entry_id == 16
    with chained() as uow:
        TRAIL.checkpoint(uow)
        uow.commit()
    assert verdict(chained).unattested == 0


def test_a_checkpoint_removed_from_between_two_others_is_detected(chained):
    execute(chained, delete(trail_checkpoints).where(trail_checkpoints.c.entry_id == 10))
    result = verdict(chained)
    assert not result.intact and result.entry_id == 16 and "removed" in result.problem


def test_entries_cut_off_behind_a_checkpoint_are_detected(chained):
    execute(chained, delete(trail_entries).where(trail_entries.c.id > 12))
    result = verdict(chained)
    assert not result.intact and result.entry_id == 16 and "removed" in result.problem


def test_a_cut_back_to_an_earlier_checkpoint_is_found_only_against_what_an_auditor_saw(chained):
    with chained() as uow:
        seen = TRAIL.verify(uow, VALID).last_checkpoint  # the auditor keeps this
    execute(chained, delete(trail_entries).where(trail_entries.c.id > 10))
    execute(chained, delete(trail_checkpoints).where(trail_checkpoints.c.entry_id == 16))
    # The chain and the remaining checkpoint are consistent: on its own the cut cannot be seen.
    assert verdict(chained).intact
    with chained() as uow:
        result = TRAIL.verify(uow, VALID, witnessed=seen)
    assert not result.intact and result.entry_id == 16 and "earlier verification" in result.problem


def test_a_forged_checkpoint_signature_is_detected(chained):
    execute(chained, update(trail_checkpoints).where(trail_checkpoints.c.entry_id == 10)
            .values(signature=Ed25519PrivateKey.generate().sign(b"other").hex()))
    result = verdict(chained)
    assert not result.intact and "invalid signature" in result.problem


def test_an_auditors_witness_file_catches_a_cut_back_trail(tmp_path, clock):
    from cryptography.hazmat.primitives import serialization
    from sqlalchemy import create_engine

    from disputes_shared.plumbing.engine import make_engine
    from disputes_shared.plumbing.runner import service_schema
    from trail.adapters import SqlTrailUnitOfWork, metadata, plumbing
    from trail.audit import verify_database
    from trail.service import TrailService

    url = f"sqlite:///{tmp_path / 'trail.db'}"
    service_schema(TrailService, metadata).upgrade(url)
    public_key = tmp_path / "trail.pub"
    public_key.write_bytes(KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    engine = make_engine(url)
    for n in range(6):
        clock.advance(minutes=1)
        with SqlTrailUnitOfWork(engine, plumbing, clock) as uow:
            TRAIL.handle(uow, delivered(envelope(EVENTS[n], case_id="LD-1")))
            if n in (2, 5):
                TRAIL.checkpoint(uow)
            uow.commit()
    engine.dispose()
    witness = tmp_path / "witness.json"
    first = verify_database(url, public_key, witness)
    assert first.intact and first.last_checkpoint.entry_id == 6 and witness.exists()

    with create_engine(url).begin() as connection:  # cut back to the first checkpoint
        connection.execute(delete(trail_entries).where(trail_entries.c.id > 3))
        connection.execute(delete(trail_checkpoints).where(trail_checkpoints.c.entry_id > 3))
    assert verify_database(url, public_key).intact  # without the witness it cannot be seen
    again = verify_database(url, public_key, witness)
    assert not again.intact and again.entry_id == 6 and "earlier verification" in again.problem


def test_a_trail_without_the_key_can_be_read_but_not_written(chained):
    with chained() as uow, pytest.raises(RuntimeError, match="no signing key"):
        Trail().handle(uow, delivered(envelope("case.filed", case_id="LD-9")))


def test_the_trail_verifies_itself_with_its_own_public_key_and_reports_as_the_cli_prints(chained, tmp_path):
    from cryptography.hazmat.primitives import serialization

    from trail.bootstrap import bootstrap

    with chained() as uow:  # a trail composed with another key finds every signature forged
        assert not bootstrap({"TRAIL_SIGNING_KEY_FILE": str(tmp_path / "other.key")}).verify(uow).intact
    key_file = tmp_path / "trail.key"
    key_file.write_bytes(KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    trail = bootstrap({"TRAIL_SIGNING_KEY_FILE": str(key_file)})  # as the service composes it
    with chained() as uow:
        report = trail.verify(uow).report()
    assert report["intact"] and report["entries"] == 16 and report["checkpoints"] == 2
    assert report["last_checkpoint"]["entry_id"] == 16 and report["first_bad_entry"] is None
    execute(chained, update(trail_entries).where(trail_entries.c.id == 5).values(case_id="LD-9"))
    with chained() as uow:
        report = trail.verify(uow).report()
    assert not report["intact"] and report["first_bad_entry"] == 5 and "altered" in report["problem"]
    with chained() as uow, pytest.raises(RuntimeError, match="no public key"):
        Trail(KEY.sign).verify(uow)


def test_two_replicas_appending_in_turn_keep_one_chain(trail_sql_db, clock):
    """Each replica appends after the entry it appended last unless the chain has moved on."""
    replicas = [Trail(KEY.sign), Trail(KEY.sign)]
    for n in range(6):
        clock.advance(minutes=1)
        with trail_sql_db() as uow:
            replicas[n % 3 // 2].handle(uow, delivered(envelope(EVENTS[n], case_id="LD-1",
                                                                occurred_at=AT + timedelta(minutes=n))))
            uow.commit()
    result = verdict(trail_sql_db)
    assert result.intact and result.entries == 6


def test_an_append_rolled_back_leaves_the_next_one_at_the_real_end(trail_sql_db):
    trail = Trail(KEY.sign)
    with trail_sql_db() as uow:
        trail.handle(uow, delivered(envelope("case.filed", case_id="LD-1", occurred_at=AT)))
        uow.commit()
    with trail_sql_db() as uow:  # not committed
        trail.handle(uow, delivered(envelope("case.triaged", case_id="LD-1", occurred_at=AT + timedelta(minutes=1))))
    with trail_sql_db() as uow:
        trail.handle(uow, delivered(envelope("case.triaged", case_id="LD-1", occurred_at=AT + timedelta(minutes=2))))
        uow.commit()
    result = verdict(trail_sql_db)
    assert result.intact and result.entries == 2
