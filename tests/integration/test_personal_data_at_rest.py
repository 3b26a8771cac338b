"""Personal data at rest, on SQLite and PostgreSQL: claims filed over HTTP leave no ID number,
phone or name in the clear in any of intake's or mediation's tables, their outboxes included
(sealed while an event waits, cut to its header once sent), and both services still read them
back (decrypted in memory with their own keys)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import MetaData, select, update

import intake.adapters
import mediation.adapters
from disputes_cli.sandbox import scratch_postgres_databases
from disputes_shared.clocks.wall import SystemClock
from disputes_shared.contract.envelope import decode
from disputes_shared.contract.personal_numbers import with_check_character
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.outbox import opened_body
from disputes_shared.plumbing.schema import ServiceSchema
from intake.api import validate_submission
from intake.domain import Claim
from intake.service import IntakeService
from mediation.service import MediationService

from ..support.examples import AT, CLAIM, WORKER, claim_document, dossier_envelope
from ..support.fakes import FakeKeyManagement
from ..support.keys import keys_of
from ..support.signin import staff_rpc
from ..support.waiting import eventually
from .test_agencies_together import http

WORKERS = [{"name": f"测试工人{n}", "id_number": with_check_character(f"51010719880506{n:03d}"),
            "phone": f"1390000{n:04d}"} for n in (7, 8)]


@pytest.fixture
def platform(start_service) -> dict[str, Any]:
    return {"mediation": start_service(MediationService, mediation.adapters.metadata),
            "intake": start_service(IntakeService, intake.adapters.metadata)}


def stored_text(url: str) -> dict[str, str]:
    """Every row of every table, as the database holds it, by table."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {name: json.dumps([list(row) for row in connection.execute(select(table))],
                                     default=lambda v: v.hex() if isinstance(v, bytes) else str(v),
                                     ensure_ascii=False)
                    for name, table in metadata.tables.items()}
    finally:
        engine.dispose()


def in_the_clear(url: str) -> list[tuple[str, str]]:
    """Each (table, planted value) the database holds in the clear."""
    return [(table, worker[name]) for table, text in stored_text(url).items()
            for worker in WORKERS for name in ("id_number", "phone", "name") if worker[name] in text]


def plant_a_dossier_in_the_outbox(url: str, worker: dict[str, str]) -> None:
    engine = make_engine(url)
    outbox = intake.adapters.plumbing.outbox
    try:
        with engine.begin() as connection:
            row_id = connection.execute(select(outbox.c.id).where(outbox.c.event_type == "handoff.dossier")
                                        .limit(1)).scalar_one()
            connection.execute(update(outbox).where(outbox.c.id == row_id)
                               .values(body=json.dumps({"payload": {"dossier": {"worker": worker}}},
                                                       ensure_ascii=False)))
    finally:
        engine.dispose()


def read_back(config: dict[str, Any], uow_class: Any, module: Any, read: Any) -> Any:
    engine = make_engine(config["DATABASE_URL"])
    keys = keys_of(config)
    try:
        with uow_class(engine, module.plumbing, SystemClock(), keys=keys) as uow:
            return read(uow)
    finally:
        engine.dispose()


def test_no_id_number_or_phone_is_stored_in_the_clear_and_each_service_reads_its_own(platform):
    case_ids = []
    for worker in WORKERS:
        status, filed = http(platform["intake"], "POST", "/v1/claims",
                             {**CLAIM, "worker": worker, "legal_aid_requested": False})
        assert status == 201
        case_ids.append(filed["case_id"])
    with staff_rpc(platform["intake"]) as rpc:
        handoffs = eventually(lambda: (found := rpc.mediation.pending_handoffs()) and len(found) == 2 and found)
        for handoff in handoffs:  # the service loads (and so opens) each case it takes up
            assert rpc.mediation.accept_handoff(handoff["handoff_id"])["status"] == "accepted"

    assert "outbox" in stored_text(platform["intake"]["DATABASE_URL"])
    for service in ("intake", "mediation"):
        assert in_the_clear(platform[service]["DATABASE_URL"]) == [], service

    # The scan finds a value stored in the clear: a published dossier's body put back.
    plant_a_dossier_in_the_outbox(platform["intake"]["DATABASE_URL"], WORKERS[0])
    assert in_the_clear(platform["intake"]["DATABASE_URL"]) == [
        ("outbox", WORKERS[0][name]) for name in ("id_number", "phone", "name")]

    for case_id, worker in zip(case_ids, WORKERS, strict=True):
        claim = read_back(platform["intake"], intake.adapters.SqlIntakeUnitOfWork, intake.adapters,
                          lambda uow, case_id=case_id: uow.claims.get(case_id))
        case = read_back(platform["mediation"], mediation.adapters.SqlMediationUnitOfWork, mediation.adapters,
                         lambda uow, case_id=case_id: uow.cases.get(case_id))
        assert claim.worker == worker and case.dossier["worker"] == worker


def test_the_sealing_migration_seals_and_opens_rows_on_postgresql():
    keys = FakeKeyManagement()
    schema = ServiceSchema("intake", intake.adapters.metadata)
    with scratch_postgres_databases(["intake"], prefix="pd") as urls:
        url = urls["intake"]
        schema.upgrade(url)
        engine = make_engine(url)
        try:
            claim = Claim.filed(validate_submission(claim_document()), case_id="LD-1",
                                correlation_id="c", received_at=AT)
            sent, waiting = (dossier_envelope(case_id="LD-1") for _ in range(2))
            with intake.adapters.SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, SystemClock(),
                                                     keys=keys) as uow:
                uow.claims.add(claim)
                uow.emit(sent, waiting)
                uow.commit()
            schema.downgrade(url, "5c1d7e2f9a30", keys=keys)
            assert WORKER["id_number"] in stored_text(url)["claims"]
            assert WORKER["id_number"] in stored_text(url)["outbox"]
            outbox = intake.adapters.plumbing.outbox
            with engine.begin() as connection:  # published by a release before the purge
                connection.execute(update(outbox).where(outbox.c.event_id == sent.event_id)
                                   .values(published_at=AT))
            schema.upgrade(url, keys=keys)
            assert WORKER["id_number"] not in stored_text(url)["claims"]
            assert WORKER["id_number"] not in stored_text(url)["outbox"]
            with intake.adapters.SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, SystemClock(),
                                                     keys=keys) as uow:
                # The release before the consent's column keeps no consent: going back drops it.
                assert uow.claims.get("LD-1") == replace(claim, sensitive_data_consent=None)
                bodies = dict(uow.connection.execute(select(outbox.c.event_id, outbox.c.body)).all())
                assert decode(opened_body(uow.case_keys, "LD-1", bodies[waiting.event_id])) == waiting
                assert "payload" not in json.loads(bodies[sent.event_id])
        finally:
            engine.dispose()
