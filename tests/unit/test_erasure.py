"""Erasure by crypto-shredding, on the services' real adapters (SQLite): a closed case's data
key destroyed, announced once, what readers get afterwards, the retention job, the agencies
acting on intake's request, and the trail's free texts erased with its chain still verifying."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.exceptions import RemoteError
from sqlalchemy import insert, select, text, update

from disputes_cli.personal_data import erase, personal_data_of
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import decode, encode
from disputes_shared.identity.roles import Role, roles_for
from disputes_shared.plumbing.outbox import WITHDRAWN
from disputes_shared.ports import ERASED, ERASED_TEXT, ErasedData
from disputes_shared.retention import LegalHold, RecordKind, RetentionSchedule
from intake.access import checked_code
from intake.api import validate_submission
from intake.domain import ErasureRefused
from intake.handlers import Intake, claim_view
from mediation.handlers import Mediation
from portal.i18n import translations
from portal.status import step
from trail.adapters import trail_entries
from trail.chain import GENESIS, SALTED, entry_digest, entry_message
from trail.domain import TrailEntry
from trail.handlers import Trail
from trail.signing import signature_check

from ..support.examples import AT, WORKER, claim_document, delivered, envelope
from .helpers import deliver, receive, run
from .inprocess import InProcessPlatform

PLANTED_NOTE = f"{WORKER['name']} 手机 {WORKER['phone']}"
ERASED_EVENT = "case.personal_data_erased"
ACCESS_CODE = "worker-access-code-1"


def closed_claim(db: Any, logic: Intake, closed_at: Any = AT) -> Any:
    claim = run(db, logic.file_claim, validate_submission(claim_document(description=PLANTED_NOTE)),
                access_code_digest=logic.access_digest(ACCESS_CODE))
    deliver(db, logic, delivered(envelope("case.closed", case_id=claim.case_id, occurred_at=closed_at,
                                          source_agency=Agency.MEDIATION, correlation_id=claim.correlation_id)))
    return claim


def erasures(db: Any) -> list[Any]:
    """The erasures announced, their bodies as stored: unsealed, their case having no key left."""
    return [decode(row["body"]) for row in db.outbox_rows(opened=False) if row["event_type"] == ERASED_EVENT]


def raw(db: Any, table: str) -> list[dict[str, Any]]:
    with db.engine.connect() as connection:
        return [dict(row) for row in connection.execute(text(f"SELECT * FROM {table}")).mappings()]


# -- intake --------------------------------------------------------------------------------------


def test_an_open_case_is_not_erased_and_the_refusal_says_why(intake_sql_db):
    logic = Intake()
    claim = run(intake_sql_db, logic.file_claim, validate_submission(claim_document()))
    with pytest.raises(ErasureRefused, match="still open"):
        run(intake_sql_db, logic.erase_on_request, claim.case_id, "request 1")
    assert not erasures(intake_sql_db)


def test_a_held_case_is_not_erased_on_request(intake_sql_db):
    logic = Intake()
    claim = closed_claim(intake_sql_db, logic)
    logic.retention = RetentionSchedule(legal_holds={claim.case_id: "court order 17"})
    with pytest.raises(LegalHold, match="court order 17"):
        run(intake_sql_db, logic.erase_on_request, claim.case_id, "request 1")


def test_an_erased_claim_has_no_key_reads_erased_and_is_announced_once(intake_sql_db):
    logic = Intake()
    claim = closed_claim(intake_sql_db, logic)
    run(intake_sql_db, logic.take_evidence, claim.case_id, b"%PDF-1.4 payslip " + WORKER["phone"].encode(), "p.pdf",
        ACCESS_CODE)
    answer = run(intake_sql_db, logic.erase_on_request, claim.case_id, "request 2026-0042")
    assert answer["erased"] and answer["request_id"]
    [erased] = erasures(intake_sql_db)
    assert erased.payload["grounds"] == "worker_request"
    # What still waited to be sent (sealed under the destroyed key) is withdrawn, not left to
    # hold the announcement back; only the announcement waits.
    waiting = [row for row in intake_sql_db.outbox_rows(opened=False) if row["published_at"] is None]
    assert [row["event_type"] for row in waiting] == [ERASED_EVENT]
    withdrawn = [row for row in intake_sql_db.outbox_rows(opened=False) if row["last_error"] == WITHDRAWN]
    assert withdrawn and all("payload" not in json.loads(row["body"]) for row in withdrawn)
    assert erased.payload["request_id"] == erased.event_id == answer["request_id"]
    assert not raw(intake_sql_db, "data_keys") and not raw(intake_sql_db, "evidence_files")
    [row] = raw(intake_sql_db, "claims")
    assert row["employer_key"] == ERASED_TEXT
    with intake_sql_db() as uow:
        found = uow.claims.get(claim.case_id)
        assert found.worker is ERASED and found.description is ERASED
        with pytest.raises(ErasedData):
            found.worker["name"]
        assert json.dumps(claim_view(found))  # a case page shows it without crashing
        # The worker's own page still opens with their access code.
        assert logic.claim_for_worker(uow, claim.case_id, ACCESS_CODE).worker is ERASED
        checked = checked_code(claim.case_id, ACCESS_CODE, logic.access_digest_of(uow, claim.case_id))
        assert logic.claim_for_worker(uow, claim.case_id, checked).worker is ERASED  # checked first
        copy = logic.personal_data(uow, claim.case_id)
    assert copy["claim"] == dict.fromkeys(("worker", "employer", "description", "evidence", "consultation"),
                                          "erased") | {"consultation": None}
    assert copy["evidence_files"] == []
    again = run(intake_sql_db, logic.erase_on_request, claim.case_id, "request 2026-0042")
    assert not again["erased"] and len(erasures(intake_sql_db)) == 1


def test_later_events_of_an_erased_claim_still_apply_and_store_it_erased(intake_sql_db):
    logic = Intake()
    claim = closed_claim(intake_sql_db, logic)
    run(intake_sql_db, logic.erase_on_request, claim.case_id, "request 3")
    late = envelope("case.closed", case_id=claim.case_id, source_agency=Agency.LEGAL_AID,
                    correlation_id=claim.correlation_id, payload={
                        "outcome": "withdrawn", "amount_recovered": "0.00", "days_open": 1})
    assert deliver(intake_sql_db, logic, delivered(late)) == "handled"
    [row] = raw(intake_sql_db, "claims")
    assert row["worker"] == row["employer"] == row["description"] == ERASED_TEXT
    assert row["outcome"] == "withdrawn"
    with intake_sql_db() as uow:
        assert uow.claims.get(claim.case_id).worker is ERASED


def test_the_retention_job_erases_expired_cases_once_and_spares_held_ones(intake_sql_db):
    logic = Intake()
    early = closed_claim(intake_sql_db, logic, closed_at=AT)
    held = closed_claim(intake_sql_db, logic, closed_at=AT)
    late = closed_claim(intake_sql_db, logic, closed_at=AT + timedelta(days=2))
    logic.retention = RetentionSchedule(legal_holds={held.case_id: "audit 2029"})
    intake_sql_db.clock.advance(days=3 * 365 + 1)  # 2029-03-02 09:00 UTC: the anniversary
    assert run(intake_sql_db, logic.erase_expired)["erased"] == [early.case_id]
    assert run(intake_sql_db, logic.erase_expired)["erased"] == []  # another replica's run finds none left
    [erased] = erasures(intake_sql_db)
    assert erased.case_id == early.case_id and erased.payload["grounds"] == "retention_expired"
    assert "3 years after the case closed on 2026-03-02" in erased.payload["reason"]
    intake_sql_db.clock.advance(days=2)
    assert run(intake_sql_db, logic.erase_expired)["erased"] == [late.case_id]


@pytest.mark.parametrize("database", ["intake_db", "intake_sql_db"])
def test_evidence_files_go_when_their_own_shorter_period_runs_out(database, request):
    db = request.getfixturevalue(database)  # the fake and the real adapters alike
    logic = Intake(retention=RetentionSchedule({RecordKind.CASE_PERSONAL_DATA: 3, RecordKind.EVIDENCE_FILES: 1}))
    claim = closed_claim(db, logic, closed_at=AT)
    run(db, logic.take_evidence, claim.case_id, b"%PDF-1.4 payslip", "p.pdf", ACCESS_CODE)
    run(db, logic.take_evidence, claim.case_id, b"\x89PNG\r\n\x1a\n photo", "p.png", ACCESS_CODE)
    db.clock.advance(days=364)
    assert run(db, logic.erase_expired) == {"erased": [], "evidence_deleted": []}
    assert deletions(db) == []
    db.clock.advance(days=1)  # 2027-03-02: a year after the closing day
    assert run(db, logic.erase_expired) == {"erased": [], "evidence_deleted": [claim.case_id]}
    assert run(db, logic.erase_expired) == {"erased": [], "evidence_deleted": []}
    with db() as uow:
        assert uow.evidence.count_for(claim.case_id) == 0
        assert uow.claims.get(claim.case_id).worker == WORKER  # the case's own period still runs
    # Announced once, in the deletion's transaction, naming no file and no person.
    [deleted] = deletions(db)
    assert (deleted.case_id, deleted.correlation_id) == (claim.case_id, claim.correlation_id)
    assert deleted.payload == {"grounds": "retention_expired", "files_deleted": 2,
                               "reason": "1 years after the case closed on 2026-03-02",
                               "deleted_at": db.clock.now()}
    assert decode(encode(deleted)).payload["files_deleted"] == 2  # it keeps the contract
    assert not [e for e in db.outbox() if e.event_type == ERASED_EVENT]  # the case itself is not erased


def deletions(db: Any) -> list[Any]:
    return [e for e in db.outbox() if e.event_type == "case.evidence_deleted"]


def test_evidence_deleted_on_its_own_period_is_on_the_cases_trail_and_the_workers_page(trail_db):
    for event_type in ("case.filed", "case.triaged", "case.evidence_deleted"):
        assert deliver(trail_db, TRAIL, delivered(envelope(event_type))) == "handled"
    with trail_db() as uow:
        read = TRAIL.trail(uow, "LD-20260302-0000000001", "auditor-1")
    assert (read["state"], read["anomalies"]) == ("triaged", [])  # it moves no track
    (entry,) = [e for e in read["entries"] if e["event_type"] == "case.evidence_deleted"]
    assert (entry["agency"], entry["role"], entry["details"]["files_deleted"]) == ("intake", "system", 2)
    words = step(entry)["words"]
    assert words == "Evidence you sent was deleted at the end of its retention period."
    assert translations("zh").gettext(words) == "您提交的证据材料已在保存期限届满后删除。"


# -- an agency acting on intake's request ---------------------------------------------------------


def intake_erasure(case_id: str, source: Agency = Agency.INTAKE) -> Any:
    return delivered(envelope(ERASED_EVENT, case_id=case_id, source_agency=source))


def test_an_agency_erases_its_dossier_on_intakes_request_and_says_so(mediation_sql_db):
    logic = Mediation()
    run(mediation_sql_db, logic.accept_handoff,
        receive(mediation_sql_db, logic, "mediation", "LD-1", to_unit="people-wuhou"))
    run(mediation_sql_db, logic.record_session, "LD-1", "in_person", PLANTED_NOTE)
    assert WORKER["phone"] in json.dumps(raw(mediation_sql_db, "mediation_cases"), default=str)  # the note
    assert deliver(mediation_sql_db, logic, intake_erasure("LD-1", Agency.ARBITRATION)) == "ignored"
    request = intake_erasure("LD-1")
    assert deliver(mediation_sql_db, logic, request) == "handled"
    [erased] = erasures(mediation_sql_db)
    assert erased.source_agency == Agency.MEDIATION
    assert erased.payload["request_id"] == request.payload["request_id"]
    with mediation_sql_db() as uow:
        assert [c["case_id"] for c in logic.open_cases(uow)] == ["LD-1"]  # the work list still shows it
        assert logic.personal_data(uow, "LD-1")["dossier"] == "erased"
    # A step that needs the erased dossier is refused, saying so.
    with pytest.raises(ErasedData, match="erased"):
        run(mediation_sql_db, logic.close, "LD-1", "abandoned")
    assert deliver(mediation_sql_db, logic, intake_erasure("LD-2")) == "ignored"  # never held
    assert WORKER["phone"] not in json.dumps(raw(mediation_sql_db, "mediation_cases"), default=str)
    assert not raw(mediation_sql_db, "data_keys")


# -- the trail -----------------------------------------------------------------------------------

KEY = Ed25519PrivateKey.generate()
TRAIL = Trail(KEY.sign)
VALID = signature_check(KEY.public_key())


def record(db: Any, sent: Any) -> None:
    with db() as uow:
        TRAIL.handle(uow, delivered(sent))
        uow.commit()


def returned(case_id: str, reason: str) -> Any:
    payload = {**envelope("handoff.returned").payload, "reason": reason}
    return envelope("handoff.returned", payload, case_id=case_id, source_agency=Agency.MEDIATION)


def test_free_texts_enter_the_chain_as_salted_hashes_kept_beside_it(trail_sql_db):
    record(trail_sql_db, returned("LD-1", PLANTED_NOTE))
    record(trail_sql_db, returned("LD-2", PLANTED_NOTE))
    first, second = raw(trail_sql_db, "trail_entries")
    assert PLANTED_NOTE not in first["payload"] and first["format"] == 2
    chained = json.loads(first["payload"])["reason"]
    assert chained.startswith(SALTED)
    assert chained != json.loads(second["payload"])["reason"]  # a salt per value
    assert json.loads(first["texts"])["reason"]["value"] == PLANTED_NOTE
    with trail_sql_db() as uow:
        [view] = TRAIL.trail(uow, "LD-1", "auditor-1")["entries"]
    assert view["details"]["reason"] == PLANTED_NOTE


def test_erasure_clears_the_cases_texts_and_the_chain_still_verifies(trail_sql_db):
    record(trail_sql_db, returned("LD-1", PLANTED_NOTE))
    record(trail_sql_db, returned("LD-2", "station at capacity"))
    with trail_sql_db() as uow:
        assert TRAIL.checkpoint(uow)
        uow.commit()
    record(trail_sql_db, envelope(ERASED_EVENT, case_id="LD-1", source_agency=Agency.INTAKE))
    stored = json.dumps(raw(trail_sql_db, "trail_entries") + raw(trail_sql_db, "handoffs"),
                        ensure_ascii=False, default=str)
    assert WORKER["name"] not in stored and WORKER["phone"] not in stored
    with trail_sql_db() as uow:
        assert TRAIL.verify(uow, VALID).intact
        erased_case = TRAIL.trail(uow, "LD-1", "auditor-1")
        kept_case = TRAIL.trail(uow, "LD-2", "auditor-1")
        uow.commit()
    assert erased_case["entries"][0]["details"]["reason"] == "erased"
    assert erased_case["entries"][1]["details"]["reason"] == "request 2026-0042"  # the erasure's own
    assert erased_case["handoffs"][0]["reason"] == ERASED_TEXT
    assert kept_case["entries"][0]["details"]["reason"] == "station at capacity"
    with trail_sql_db() as uow:
        assert TRAIL.verify(uow, VALID).intact


def test_entries_chained_before_texts_were_salted_still_verify(trail_sql_db):
    old = TrailEntry(event_id="0b5e3a52-0000-4000-8000-000000000001", case_id="LD-0",
                     event_type="mediation.failed", move="mediation.failed", source_agency="mediation",
                     occurred_at=AT, recorded_at=AT, payload={"reason": PLANTED_NOTE, "mediator_id": "m1"},
                     prev_hash=GENESIS)
    old.entry_hash = entry_digest(GENESIS, old)
    old.signature = KEY.sign(entry_message(old.entry_hash)).hex()
    with trail_sql_db() as uow:
        uow.connection.execute(insert(trail_entries), {
            k: v for k, v in old.__dict__.items() if k not in ("id", "format", "texts")})
        uow.commit()
    record(trail_sql_db, returned("LD-1", PLANTED_NOTE))
    with trail_sql_db() as uow:
        verdict = TRAIL.verify(uow, VALID)
    assert verdict.intact and verdict.entries == 2
    assert [row["format"] for row in raw(trail_sql_db, "trail_entries")] == [1, 2]


def test_a_kept_text_altered_in_the_database_is_detected(trail_sql_db):
    record(trail_sql_db, returned("LD-1", "station at capacity"))
    with trail_sql_db() as uow:
        texts = uow.connection.execute(select(trail_entries.c.texts)).scalar_one()
        texts["reason"]["value"] = "nothing happened"
        uow.connection.execute(update(trail_entries).values(texts=texts))
        uow.commit()
    with trail_sql_db() as uow:
        verdict = TRAIL.verify(uow, VALID)
    assert not verdict.intact and "kept reason does not match" in str(verdict.problem)


def test_the_workers_copy_names_no_service_that_never_held_the_case():
    class Answers:  # the replies of the services' RPC, as ``Platform.call_many`` gives them
        def call_many(self, calls: Any) -> list[Any]:
            return [{"service": s} if s == "intake" else RemoteError("UnknownCase", "no case")
                    for s, _, _, _ in calls]

    assert personal_data_of(Answers(), "LD-1") == {"intake": {"service": "intake"}}  # type: ignore[arg-type]


# -- every service, in one process ---------------------------------------------------------------


def test_intakes_erasure_reaches_every_agency_holding_the_case_and_the_trail_shows_each(clock):
    platform = InProcessPlatform(clock)
    platform.logic["trail"] = TRAIL
    try:
        case_id = platform.file_claim(claim_document(legal_aid_requested=True, description=PLANTED_NOTE))["case_id"]
        platform.deliver_all()
        [handoff] = platform.call("mediation", "pending_handoffs")
        platform.call("mediation", "accept_handoff", handoff["handoff_id"])
        mediation = platform.logic["mediation"]
        platform.command("mediation", mediation.record_failure, case_id, PLANTED_NOTE, False)
        platform.command("mediation", mediation.close, case_id, "withdrawn")
        platform.deliver_all()
        answer = platform.command("intake", platform.logic["intake"].erase_on_request, case_id, "request 7")
        platform.deliver_all()
        with platform.db["trail"]() as uow:
            trail = TRAIL.trail(uow, case_id, "auditor-1")
            verdict = TRAIL.verify(uow, VALID)
    finally:
        platform.close()
    erased = [e for e in trail["entries"] if e["event_type"] == ERASED_EVENT]
    assert sorted(e["agency"] for e in erased) == ["intake", "legal_aid", "mediation"]
    assert {e["details"]["request_id"] for e in erased} == {answer["request_id"]}
    assert PLANTED_NOTE not in json.dumps(trail, ensure_ascii=False)
    assert [e["details"]["reason"] for e in trail["entries"] if e["event_type"] == "mediation.failed"] == ["erased"]
    assert verdict.intact


def test_only_the_intake_clerk_may_erase_or_copy_a_workers_data():
    assert roles_for("intake", "erase_personal_data") == [Role.INTAKE_CLERK]
    for service in ("intake", "mediation", "legal_aid", "arbitration", "courts_bridge"):
        assert roles_for(service, "personal_data") == [Role.INTAKE_CLERK], service


class AnsweringPlatform:
    """The CLI's platform, answering intake's erasure command as given."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def __enter__(self) -> AnsweringPlatform:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def call(self, service: str, method: str, *args: Any) -> Any:
        assert (service, method) == ("intake", "erase_personal_data")
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_disputes_erase_says_what_was_done_or_why_not(capsys):
    args = argparse.Namespace(case_id="LD-1", reason="request 7", json=False)
    done = {"case_id": "LD-1", "erased": True, "request_id": "r-1",
            "detail": "erased; every service holding the case is asked to erase it"}
    assert erase(args, AnsweringPlatform(done)) == 0  # type: ignore[arg-type]
    assert capsys.readouterr().out == f"LD-1: {done['detail']} (request r-1)\n"
    refused = RemoteError("LegalHold", "case LD-1 is under a legal hold (court order 17)")
    assert erase(args, AnsweringPlatform(refused)) == 1  # type: ignore[arg-type]
    assert "not erased: LegalHold: case LD-1 is under a legal hold" in capsys.readouterr().err


def test_the_workers_case_page_tells_them_their_data_was_erased():
    shown = step({"event_type": ERASED_EVENT, "at": "2029-03-02T09:00:00+00:00", "agency": "intake",
                  "details": {"reason": "erased"}})
    assert shown["words"] == "Your personal data was erased."
    assert translations("zh").gettext(shown["words"]) == "您的个人信息已删除。"
