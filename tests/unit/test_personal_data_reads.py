"""Every read of personal data is recorded (PIPL arts. 51, 55): the reads that return a dossier
or a claim's personal fields announce ``personal_data.read`` in their own transaction, naming
fields, never values; the trail keeps the records and lists them by case and by worker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disputes_shared.contract.reads import PurposeRefused, dossier_fields, field_names
from disputes_shared.identity.refusals import Forbidden
from disputes_shared.identity.roles import Role, may
from intake.api import validate_submission
from intake.handlers import Intake
from mediation.handlers import Mediation
from trail.handlers import Trail

from ..support.examples import WORKER, claim_document, dossier, envelope, example_payloads
from .helpers import deliver, receive

MEDIATION = Mediation()
INTAKE = Intake()
TRAIL = Trail(Ed25519PrivateKey.generate().sign)
MEDIATOR = {"subject": "mediator-7", "role": "mediator"}
AUDITOR = {"subject": "auditor-2", "role": "auditor"}
CLERK = {"subject": "clerk-3", "role": "intake_clerk"}


def as_person(db: Any, actor: dict[str, str] | None, command: Any, *args: Any) -> Any:
    """One command committed as a signed-in person (None: no one signed in), as the
    entrypoints run it."""
    with db() as uow:
        uow.actor = actor
        result = command(uow, *args)
        uow.commit()
    return result


def reads(db: Any) -> list[Any]:
    return [e for e in db.outbox() if e.event_type == "personal_data.read"]


def assert_names_no_value(event: Any) -> None:
    text = json.dumps(event.payload, ensure_ascii=False)
    assert not any(value in text for value in WORKER.values())


# -- the agencies: a case's dossier --------------------------------------------------------------

def test_a_dossier_read_records_one_read_naming_its_fields_the_reader_and_the_purpose(mediation_db):
    receive(mediation_db, MEDIATION, "mediation")
    before = len(mediation_db.outbox())
    found = as_person(mediation_db, MEDIATOR, MEDIATION.read_dossier, "LD-1", "case_work")
    assert found["dossier"]["worker"]["id_number"] == WORKER["id_number"]
    (read,) = mediation_db.outbox()[before:]
    assert read.event_type == "personal_data.read" and read.case_id == "LD-1"
    assert read.payload == {
        "fields_read": ["employer.name", "employer.platform", "worker.id_number", "worker.name",
                        "worker.phone"],
        "purpose": "case_work", "via": "rpc", "data_subject": False, "actor": MEDIATOR}
    assert_names_no_value(read)


def test_a_dossier_read_without_a_purpose_of_the_vocabulary_is_refused_and_records_nothing(mediation_db):
    receive(mediation_db, MEDIATION, "mediation")
    for purpose in ("curiosity", "data_subject_access", ""):
        with pytest.raises(PurposeRefused):
            as_person(mediation_db, MEDIATOR, MEDIATION.read_dossier, "LD-1", purpose)
    assert reads(mediation_db) == []


def test_a_station_mediator_reads_only_their_own_stations_dossiers_and_a_refusal_is_no_read(mediation_db):
    receive(mediation_db, MEDIATION, "mediation", to_unit="people-wuhou")
    other_station = {**MEDIATOR, "station": "people-jinjiang"}
    for command, args in ((MEDIATION.read_dossier, ("LD-1", "case_work")),
                          (MEDIATION.personal_data, ("LD-1",))):
        with pytest.raises(Forbidden, match="not at the station") as refused:
            as_person(mediation_db, other_station, command, *args)
        assert refused.value.reason == "station"
    assert reads(mediation_db) == []  # refused before anything was read: no record of a read
    own_station = {**MEDIATOR, "station": "people-wuhou"}
    found = as_person(mediation_db, own_station, MEDIATION.read_dossier, "LD-1", "case_work")
    assert found["dossier"]["worker"]["id_number"] == WORKER["id_number"]
    assert [r.payload["actor"] for r in reads(mediation_db)] == [MEDIATOR]  # events name no station


@pytest.mark.parametrize(("role", "service"), [
    (Role.MEDIATOR, "mediation"), (Role.LEGAL_AID_OFFICER, "legal_aid"),
    (Role.ARBITRATOR, "arbitration"), (Role.COURT_CLERK, "courts_bridge")])
def test_only_the_staff_working_an_agencys_cases_may_read_its_dossiers(role, service):
    assert may(role, service, "dossier")
    others = [r for r in Role if r is not role]
    assert not any(may(other, service, "dossier") for other in others)


def test_a_dossiers_fields_are_its_peoples_leaves_by_name():
    assert dossier_fields(dossier()) == ["employer.name", "employer.platform", "worker.id_number",
                                        "worker.name", "worker.phone"]
    assert field_names({"a": {"b": 1, "c": {}, "e": None}, "d": [1]}) == ["a.b", "a.c", "d"]


# -- intake: a claim, its consultation and its evidence -----------------------------------------

def file(intake_db: Any, **changes: Any) -> Any:
    with intake_db() as uow:
        claim = INTAKE.file_claim(uow, validate_submission(claim_document(**changes)),
                                  access_code_digest=INTAKE.access_digest("A1B2C3D4E5"))
        uow.commit()
    return claim


def held_consultation(intake_db: Any) -> Any:
    """An urgent claim whose joint consultation met: the claim shows who sat and the plan."""
    claim = file(intake_db, worker_count=25)
    with intake_db() as uow:
        INTAKE.hold_consultation(uow, claim.case_id, {"arbitrator": "arbitrator-03", "mediator": "prearb-city-m1",
                                                      "lawyer": "lawyer-05"}, "先行调解")
        uow.commit()
    return claim


def test_the_worker_reading_their_own_claim_is_recorded_as_the_data_subject(intake_db):
    claim = held_consultation(intake_db)
    as_person(intake_db, None, INTAKE.read_claim, claim.case_id, "A1B2C3D4E5", False, "http")
    as_person(intake_db, CLERK, INTAKE.read_claim, claim.case_id, None, True, "rpc")
    worker, clerk = reads(intake_db)
    consultation = ["consultation.participants", "consultation.plan"]
    assert worker.payload == {"fields_read": consultation, "purpose": "data_subject_access",
                              "via": "http", "data_subject": True}
    assert clerk.payload == {"fields_read": consultation, "purpose": "case_work", "via": "rpc",
                             "data_subject": False, "actor": CLERK}


def test_a_claim_read_showing_no_personal_field_records_nothing(intake_db):
    plain, convened = file(intake_db), file(intake_db, worker_count=25)
    view = as_person(intake_db, CLERK, INTAKE.read_claim, plain.case_id, None, True, "rpc")
    as_person(intake_db, CLERK, INTAKE.read_claim, convened.case_id, None, True, "rpc")
    (pending,) = as_person(intake_db, CLERK, INTAKE.consultations_pending)
    assert view["consultation"] is None and pending["consultation"]["plan"] is None
    assert reads(intake_db) == []


def test_a_wrong_access_code_reads_nothing_and_records_nothing(intake_db):
    from disputes_shared.contract.lifecycle import UnknownCase

    claim = held_consultation(intake_db)
    with pytest.raises(UnknownCase):
        as_person(intake_db, None, INTAKE.read_claim, claim.case_id, "WRONGCODE1", False, "http")
    assert reads(intake_db) == []


def test_reading_a_claims_evidence_is_recorded(intake_db):
    claim = file(intake_db)
    with intake_db() as uow:
        item = INTAKE.take_evidence(uow, claim.case_id, b"%PDF-1.4 payslip", "payslip.pdf", "A1B2C3D4E5")
        uow.commit()
    as_person(intake_db, None, INTAKE.evidence_of, claim.case_id, "A1B2C3D4E5")
    as_person(intake_db, CLERK, INTAKE.evidence_item, claim.case_id, item.evidence_id, None, True)
    listed, downloaded = reads(intake_db)
    assert (listed.payload["data_subject"], listed.payload["fields_read"]) == (True, ["evidence_files.name"])
    assert downloaded.payload["fields_read"] == ["evidence_files.content", "evidence_files.name"]
    assert downloaded.payload["actor"] == CLERK


# -- the trail: the records, by case and by worker -----------------------------------------------

def read_event(case_id: str, **changes: Any) -> Any:
    return envelope("personal_data.read", case_id=case_id, source_agency="mediation",
                    payload={**example_payloads()["personal_data.read"], **changes})


def filed(case_id: str, worker_ref: str) -> Any:
    return envelope("case.filed", case_id=case_id,
                    payload={**example_payloads()["case.filed"], "worker_ref": worker_ref})


def test_the_trail_keeps_each_read_with_the_cases_worker_ref_and_lists_them_by_case_and_worker(trail_db):
    for message in (filed("LD-1", "aaaaaaaaaaaaaaaa"), filed("LD-2", "aaaaaaaaaaaaaaaa"),
                    filed("LD-3", "bbbbbbbbbbbbbbbb"), read_event("LD-1"), read_event("LD-2"),
                    read_event("LD-3"), read_event("LD-1", data_subject=True, actor=None,
                                                   purpose="data_subject_access", via="http")):
        assert deliver(trail_db, TRAIL, message) == "handled"
    with trail_db() as uow:
        of_case = TRAIL.personal_data_reads(uow, "auditor-2", "auditor", case_id="LD-1")
        of_worker = TRAIL.personal_data_reads(uow, "auditor-2", "auditor", worker_ref="aaaaaaaaaaaaaaaa")
        of_workers_case = TRAIL.personal_data_reads(uow, "auditor-2", "auditor", case_id="LD-2",
                                                    whole_worker=True)
        uow.commit()
    assert [(r["case_id"], r["reader"], r["role"]) for r in of_case] == [
        ("LD-1", "mediator-1", "mediator"), ("LD-1", "data_subject", "worker")]
    assert of_case[0]["fields"] == ["worker.id_number", "worker.name"]
    assert of_case[0]["purpose"] == "case_work" and of_case[0]["worker_ref"] == "aaaaaaaaaaaaaaaa"
    assert [r["case_id"] for r in of_worker] == ["LD-1", "LD-2", "LD-1"] == [r["case_id"] for r in of_workers_case]
    with trail_db() as uow:
        listings = [e for e in uow.entries.of_types(["trail.accessed"])]
    # Each listing is itself on the trail of every case it showed.
    assert sorted(e.case_id for e in listings) == ["LD-1", "LD-1", "LD-1", "LD-2", "LD-2"]
    assert {json.dumps(e.payload, sort_keys=True) for e in listings} == {json.dumps(
        {"accessed_by": "auditor-2", "role": "auditor", "listed": "personal_data_reads"}, sort_keys=True)}


def test_a_read_is_an_entry_of_the_chain_showing_its_reader(trail_db):
    deliver(trail_db, TRAIL, filed("LD-1", "aaaaaaaaaaaaaaaa"))
    deliver(trail_db, TRAIL, read_event("LD-1"))
    with trail_db() as uow:
        found = TRAIL.trail(uow, "LD-1", "auditor-2")
        uow.commit()
    (line,) = [e for e in found["entries"] if e["event_type"] == "personal_data.read"]
    assert (line["agency"], line["role"]) == ("mediation", "mediator")
    assert found["state"] == "filed"  # a read moves no case


@pytest.mark.parametrize("database", ["trail_db", "trail_sql_db"])
def test_reads_recorded_before_the_filing_reached_the_trail_are_the_workers_once_it_does(database, request):
    db = request.getfixturevalue(database)
    for message in (filed("LD-1", "aaaaaaaaaaaaaaaa"), read_event("LD-1"), read_event("LD-9")):
        deliver(db, TRAIL, message)
    with db() as uow:
        assert [r.case_id for r in uow.reads.of_worker("aaaaaaaaaaaaaaaa")] == ["LD-1"]
        (unknown_worker,) = uow.reads.of_case("LD-9")
    assert unknown_worker.worker_ref is None and unknown_worker.fields == ["worker.id_number", "worker.name"]
    deliver(db, TRAIL, filed("LD-9", "aaaaaaaaaaaaaaaa"))  # a filing parked, then replayed
    with db() as uow:
        assert [r.case_id for r in uow.reads.of_worker("aaaaaaaaaaaaaaaa")] == ["LD-1", "LD-9"]


# -- disputes reads ---------------------------------------------------------------------------------

def test_disputes_reads_names_a_worker_by_the_ref_of_the_id_number_typed_never_sent(tmp_path, monkeypatch):
    import io

    from disputes_cli.reads import worker_ref_of_id_number
    from disputes_shared.contract.workers import worker_ref

    key = tmp_path / "worker-ref-key"
    key.write_bytes(b"k" * 32)
    monkeypatch.setenv("DISPUTES_WORKER_REF_KEY_FILE", str(key))
    typed = f" {WORKER['id_number'].lower()}\n"  # as typed: a space, a small x
    assert worker_ref_of_id_number(io.StringIO(typed)) == worker_ref(WORKER["id_number"], b"k" * 32)
    with pytest.raises(ValueError, match="resident ID number"):
        worker_ref_of_id_number(io.StringIO("13800001111\n"))
    monkeypatch.setenv("DISPUTES_WORKER_REF_KEY_FILE", str(tmp_path / "none"))
    with pytest.raises(ValueError, match="no worker-ref key"):
        worker_ref_of_id_number(io.StringIO(WORKER["id_number"]))


def test_disputes_reads_shows_each_read_by_field_names(trail_db):
    from disputes_cli.render import plain, reads_view

    deliver(trail_db, TRAIL, filed("LD-1", "aaaaaaaaaaaaaaaa"))
    deliver(trail_db, TRAIL, read_event("LD-1"))
    with trail_db() as uow:
        shown = plain(reads_view(TRAIL.personal_data_reads(uow, "auditor-2", "auditor", case_id="LD-1")))
    assert "1 reads of personal data" in shown
    assert "mediator-1" in shown and "case_work" in shown and "worker.id_number, worker.name" in shown


def test_analytics_leaves_reads_to_the_trail(analytics_db):
    from analytics.handlers import Analytics

    logic = Analytics()
    assert deliver(analytics_db, logic, read_event("LD-1")) == "ignored"
    with analytics_db() as uow:
        assert uow.facts.get("LD-1") is None


def test_the_workers_copy_is_a_read_recorded_at_intake_and_at_each_agency(intake_db, mediation_db):
    """``disputes export-personal-data`` (PIPL art. 45) reads everything a service holds of the
    case: each service records that read, for the data subject's access, with the clerk who
    gave the copy."""
    claim = file(intake_db)
    copy = as_person(intake_db, CLERK, INTAKE.personal_data, claim.case_id)
    assert copy["claim"]["worker"]["id_number"] == WORKER["id_number"]
    (read,) = reads(intake_db)
    assert read.payload["purpose"] == "data_subject_access" and read.payload["actor"] == CLERK
    assert {"worker.id_number", "worker.name", "worker.phone"} <= set(read.payload["fields_read"])
    assert_names_no_value(read)
    receive(mediation_db, MEDIATION, "mediation")
    as_person(mediation_db, CLERK, MEDIATION.personal_data, "LD-1")
    (read,) = reads(mediation_db)
    assert read.payload["purpose"] == "data_subject_access" and read.payload["actor"] == CLERK
    assert "worker.id_number" in read.payload["fields_read"]
