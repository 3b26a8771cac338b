"""Evidence arriving on a case: intake announces it in the transaction that stores the file,
without the file or its name; the trail records it without moving the case; the worker's status
page shows it as a step."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disputes_shared.contract.envelope import encode
from intake.adapters import evidence_files
from intake.api import validate_submission
from intake.evidence import EvidenceRefused
from intake.handlers import Intake
from portal import i18n, status
from trail.handlers import Trail

from ..support.examples import claim_document, delivered, envelope
from .helpers import deliver

INTAKE = Intake()
CODE = "K7P2W9XQ4M"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"pay slip pixels" * 100
NAME = "王芳-工资条.png"  # a name that names the worker


def filed(db: Any) -> Any:  # either database fixture
    with db() as uow:
        claim = INTAKE.file_claim(uow, validate_submission(claim_document()),
                                  access_code_digest=INTAKE.access_digest(CODE))
        uow.commit()
    return claim


def send(db: Any, case_id: str, content: bytes = PHOTO) -> None:
    with db() as uow:
        INTAKE.take_evidence(uow, case_id, content, NAME, CODE)
        uow.commit()


def received(db: Any) -> list[Any]:
    return [e for e in db.outbox() if e.event_type == "case.evidence_received"]


def test_a_file_taken_is_announced_with_its_size_type_digest_and_count_and_nothing_personal(intake_db):
    claim = filed(intake_db)
    send(intake_db, claim.case_id)
    send(intake_db, claim.case_id, b"%PDF-1.7 a scanned contract")
    first, second = received(intake_db)
    assert (first.case_id, first.correlation_id, str(first.source_agency)) == (
        claim.case_id, claim.correlation_id, "intake")
    assert first.payload["media_type"] == "image/png" and first.payload["size_bytes"] == len(PHOTO)
    assert first.payload["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert (first.payload["files_on_case"], second.payload["files_on_case"]) == (1, 2)
    assert second.payload["media_type"] == "application/pdf"
    wire = encode(first)
    assert NAME not in wire and "王芳" not in wire and "pay slip" not in wire
    assert claim.worker["name"] not in wire


def test_a_refused_file_announces_nothing(intake_db):
    claim = filed(intake_db)
    with pytest.raises(EvidenceRefused), intake_db() as uow:
        INTAKE.take_evidence(uow, claim.case_id, b"<html>not a photo</html>", NAME, CODE)
    assert received(intake_db) == []


def test_the_file_and_its_announcement_are_stored_together_or_not_at_all(intake_sql_db):
    claim = filed(intake_sql_db)
    with pytest.raises(RuntimeError), intake_sql_db() as uow:
        INTAKE.take_evidence(uow, claim.case_id, PHOTO, NAME, CODE)
        raise RuntimeError("the connection dropped before the commit")
    assert intake_sql_db.count(evidence_files) == 0 and received(intake_sql_db) == []
    send(intake_sql_db, claim.case_id)
    assert intake_sql_db.count(evidence_files) == 1 and len(received(intake_sql_db)) == 1


def test_the_trail_records_evidence_as_the_workers_step_without_moving_the_case(trail_db):
    trail = Trail(Ed25519PrivateKey.generate().sign)
    for event_type in ("case.filed", "case.triaged", "case.evidence_received"):
        assert deliver(trail_db, trail, delivered(envelope(event_type))) == "handled"
    with trail_db() as uow:
        read = trail.trail(uow, "LD-20260302-0000000001", "auditor-1")
    assert (read["state"], read["anomalies"]) == ("triaged", [])
    (entry,) = [e for e in read["entries"] if e["event_type"] == "case.evidence_received"]
    assert entry["role"] == "worker" and entry["details"]["files_on_case"] == 1


def test_the_status_page_shows_evidence_received_as_a_step_in_both_languages():
    (step,) = status.steps({"entries": [{"event_type": "case.evidence_received", "agency": "intake",
                                         "at": "2026-03-02T09:00:00+00:00", "details": {}}]})
    assert step["words"] == "Evidence you sent was received."
    assert i18n.translations("zh").gettext(step["words"]) == "已收到您提交的一份证据材料。"
