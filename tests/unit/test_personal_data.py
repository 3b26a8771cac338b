"""Personal data at rest: sealing and opening, the local key file, rotation that re-wraps data keys
without touching the sealed rows, and the migration that seals what was stored in the clear."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

import intake.adapters
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.personal_data import (
    LocalKeyFile,
    PersonalDataError,
    key_management,
    new_data_key,
    open_sealed,
    seal,
)
from disputes_shared.plumbing.schema import ServiceSchema
from disputes_shared.plumbing.sealed import rewrap_data_keys, rotate_keys
from intake.adapters import SqlIntakeUnitOfWork, claims
from intake.api import validate_submission
from intake.domain import Claim

from ..support.examples import AT, WORKER, claim_document
from ..support.fakes import FakeKeyManagement

CONTEXT = "claims.worker:LD-1"


def test_a_sealed_value_opens_with_its_key_and_context():
    key = new_data_key()
    sealed = seal(key, WORKER, CONTEXT)
    assert not any(value in sealed for value in WORKER.values())
    assert open_sealed(key, sealed, CONTEXT) == WORKER
    assert seal(key, WORKER, CONTEXT) != sealed  # a fresh nonce each time


def test_a_tampered_value_is_refused():
    key = new_data_key()
    sealed = seal(key, WORKER, CONTEXT)
    middle = len(sealed) // 2
    tampered = sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1:]
    with pytest.raises(PersonalDataError, match="altered"):
        open_sealed(key, tampered, CONTEXT)


def test_another_key_or_another_row_is_refused():
    key = new_data_key()
    sealed = seal(key, WORKER, CONTEXT)
    with pytest.raises(PersonalDataError):
        open_sealed(new_data_key(), sealed, CONTEXT)
    with pytest.raises(PersonalDataError):  # moved to another case's row
        open_sealed(key, sealed, "claims.worker:LD-2")
    with pytest.raises(PersonalDataError, match="not a sealed value"):
        open_sealed(key, json.dumps(WORKER), CONTEXT)


def test_the_local_key_file_is_created_for_its_owner_alone(tmp_path):
    path = tmp_path / "keys" / "intake.json"
    keys = key_management("intake", {"PERSONAL_DATA_KEY_FILE": str(path)})
    data_key = new_data_key()
    kek, wrapped = keys.wrap(data_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert data_key not in path.read_bytes() and wrapped != data_key
    assert LocalKeyFile(path).unwrap(kek, wrapped) == data_key  # another process reads the same key


def test_a_key_file_others_may_read_is_refused(tmp_path):
    path = tmp_path / "intake.json"
    LocalKeyFile(path).lookup_key()
    os.chmod(path, 0o644)
    with pytest.raises(PersonalDataError, match="readable by others"):
        LocalKeyFile(path).lookup_key()


def test_rotation_keeps_older_keys_able_to_unwrap_and_refuses_unknown_ones(tmp_path):
    keys = LocalKeyFile(tmp_path / "intake.json")
    data_key = new_data_key()
    old_kek, wrapped = keys.wrap(data_key)
    new_kek = keys.rotate()
    assert new_kek != old_kek and keys.wrap(data_key)[0] == new_kek
    assert keys.unwrap(old_kek, wrapped) == data_key
    with pytest.raises(PersonalDataError, match="no key-encryption key"):
        keys.unwrap("kek-99", wrapped)
    with pytest.raises(PersonalDataError, match="does not open"):
        keys.unwrap(new_kek, wrapped)


def test_equality_lookups_use_a_keyed_hash():
    keys, others = FakeKeyManagement(), FakeKeyManagement()
    digest = keys.lookup_digest(WORKER["id_number"])
    assert digest == keys.lookup_digest(WORKER["id_number"]) != others.lookup_digest(WORKER["id_number"])
    assert WORKER["id_number"] not in digest


@pytest.fixture
def intake_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    ServiceSchema("intake", intake.adapters.metadata).upgrade(url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def stored_claim(engine, keys, case_id="LD-1"):
    submission = validate_submission(claim_document(description=f"我叫{WORKER['name']}"))
    claim = Claim.filed(submission, case_id=case_id, correlation_id="c", received_at=AT)
    with SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT), keys=keys) as uow:
        uow.claims.add(claim)
        uow.commit()
    return claim


def raw_rows(engine, table="claims"):
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(text(f"SELECT * FROM {table}")).mappings()]


def test_a_claim_is_stored_sealed_and_read_back_whole(intake_database):
    _, engine = intake_database
    keys = FakeKeyManagement()
    claim = stored_claim(engine, keys)
    row = json.dumps(raw_rows(engine), default=str, ensure_ascii=False)
    for value in (*WORKER.values(), claim.employer["name"]):
        assert value not in row
    with SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT), keys=keys) as uow:
        assert uow.claims.get("LD-1") == claim
        assert uow.claims.count_against_employer(claim.employer_key, AT - timedelta(days=1)) == 1


def test_a_list_of_sealed_rows_reads_their_data_keys_in_one_query_not_one_each(intake_database):
    _, engine = intake_database
    keys = FakeKeyManagement()
    stored = [stored_claim(engine, keys, case_id=f"LD-{n}") for n in range(30)]
    key_queries: list[str] = []

    def count(conn, cursor, statement, *args):
        if "FROM data_keys" in statement:
            key_queries.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT), keys=keys) as uow:
            assert uow.claims.find() == sorted(stored, key=lambda c: c.case_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(key_queries) == 1, key_queries


def test_a_work_list_reads_no_personal_column_and_no_data_key(intake_database):
    _, engine = intake_database
    keys = FakeKeyManagement()
    for n in range(3):
        stored_claim(engine, keys, case_id=f"LD-{n}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE claims SET urgent = 1"))
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        with SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT), keys=keys) as uow:
            listed = uow.claims.urgent_open()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert [c.case_id for c in listed] == ["LD-0", "LD-1", "LD-2"]
    assert not any("data_keys" in s for s in statements), statements
    (query,) = [s for s in statements if "FROM claims" in s]
    for personal in ("worker,", "employer,", "description", "evidence"):
        assert f"claims.{personal}" not in query


def test_rotation_rewraps_data_keys_and_leaves_sealed_rows_alone(intake_database):
    url, engine = intake_database
    keys = FakeKeyManagement()
    claim = stored_claim(engine, keys)
    before = raw_rows(engine)
    report = rotate_keys(url, intake.adapters.plumbing.data_keys, keys)
    assert report == {"current": "kek-2", "data_keys_by_kek": {"kek-2": 1}}
    assert raw_rows(engine) == before
    del keys.keks["kek-1"]  # the old key gone: only a re-wrapped data key still opens
    with SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT), keys=keys) as uow:
        assert uow.claims.get("LD-1") == claim
    with engine.begin() as connection:  # nothing left to re-wrap
        assert rewrap_data_keys(connection, intake.adapters.plumbing.data_keys, keys) == {"kek-2": 1}


def test_a_claim_without_its_key_does_not_open(intake_database):
    _, engine = intake_database
    stored_claim(engine, FakeKeyManagement())
    with SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT),
                             keys=FakeKeyManagement()) as uow, pytest.raises(PersonalDataError):
        uow.claims.get("LD-1")


def test_the_migration_seals_claims_stored_in_the_clear_and_the_downgrade_opens_them(intake_database):
    url, engine = intake_database
    keys = FakeKeyManagement()
    claim = stored_claim(engine, keys)
    schema = ServiceSchema("intake", intake.adapters.metadata)
    schema.downgrade(url, "5c1d7e2f9a30", keys=keys)
    clear = raw_rows(engine)[0]
    assert json.loads(clear["worker"]) == WORKER and clear["description"] == claim.description
    assert clear["employer_key"] == claim.employer_key

    schema.upgrade(url, keys=keys)
    sealed = json.dumps(raw_rows(engine), default=str, ensure_ascii=False)
    assert not any(value in sealed for value in WORKER.values())
    with SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT), keys=keys) as uow:
        # The consent's column came after the revision gone down to: a claim of then kept none.
        assert uow.claims.get("LD-1") == replace(claim, sensitive_data_consent=None)
    with engine.connect() as connection:
        assert connection.execute(select(claims.c.employer_key)).scalar_one() == keys.lookup_digest(
            claim.employer_key)


def test_disputes_rotate_keys_rewraps_a_services_data_keys_in_place(tmp_path, monkeypatch, capsys):
    from disputes_cli.main import main

    monkeypatch.setenv("DISPUTES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DISPUTES_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("DISPUTES_INTAKE_DATABASE_URL", raising=False)
    monkeypatch.delenv("DISPUTES_INTAKE_KEY_FILE", raising=False)
    (tmp_path / "data").mkdir()
    url = f"sqlite:///{tmp_path / 'data' / 'intake.db'}"
    ServiceSchema("intake", intake.adapters.metadata).upgrade(url)
    engine = make_engine(url)
    keys = LocalKeyFile(tmp_path / "keys" / "intake.json")
    claim = stored_claim(engine, keys)

    assert main(["rotate-keys", "intake"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "intake": {"current": "kek-2", "data_keys_by_kek": {"kek-2": 1}}}
    with SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, ManualClock(AT), keys=keys) as uow:
        assert uow.claims.get("LD-1") == claim  # the running service's keys see the new KEK
    engine.dispose()
    with pytest.raises(SystemExit):
        main(["rotate-keys", "trail"])  # keeps no personal data
