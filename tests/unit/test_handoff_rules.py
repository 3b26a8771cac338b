"""Who may say what about a handoff, as the shared desk enforces it for every agency: only the
requester sends the dossier, only the addressee answers, once; a dossier never overwrites a case
its agency is still working on. Each forbidden message is refused (the consumer parks it with
the reason) and changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff_events import handoff_answer_payload
from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.plumbing.handoff_desk import HandoffRefused, UnknownHandoff
from intake.api import validate_submission
from intake.handlers import Intake
from mediation.handlers import Mediation

from ..support.examples import claim_document, delivered, dossier_envelope
from .helpers import deliver, run

MEDIATION = Mediation()
INTAKE = Intake()
STATION = "people-jinjiang"
CASE = "LD-20260302-0000000001"


def snapshot(db) -> dict:
    """Everything the service keeps, to compare before and after a refused message."""
    return {name: (dict(rows) if isinstance(rows, dict) else
                   sorted(rows) if isinstance(rows, set) else list(rows))
            for name, rows in db.tables.items()}


def taken_up(mediation_db) -> str:
    message = dossier_envelope(to_unit=STATION, case_id=CASE)
    deliver(mediation_db, MEDIATION, message)
    handoff_id = str(message.payload["handoff_id"])
    run(mediation_db, MEDIATION.accept_handoff, handoff_id)
    return handoff_id


def test_a_dossier_sent_by_another_agency_than_its_requester_is_refused(mediation_db):
    forged = dossier_envelope(to_unit=STATION)
    forged = replace(forged, source_agency=Agency.COURTS)  # claims to be intake's handoff
    with pytest.raises(HandoffRefused, match="sent by courts; only the requester"):
        deliver(mediation_db, MEDIATION, forged)
    assert mediation_db.count("mediation_cases") == 0 and mediation_db.count("handoffs") == 0


def test_a_dossier_for_a_case_being_mediated_never_overwrites_it(mediation_db):
    taken_up(mediation_db)
    before = snapshot(mediation_db)
    again = dossier_envelope(to_unit=STATION, case_id=CASE, worker_name="Someone Else")
    with pytest.raises(HandoffRefused, match="holds case .* already \\(in_mediation\\)"):
        deliver(mediation_db, MEDIATION, again)
    assert snapshot(mediation_db) == before
    with mediation_db() as uow:
        assert uow.cases.get(CASE).state is CaseState.IN_MEDIATION


def test_a_dossier_for_another_agency_is_refused(mediation_db):
    with pytest.raises(HandoffRefused, match="dossier for arbitration delivered to mediation"):
        deliver(mediation_db, MEDIATION, dossier_envelope(purpose="arbitration"))
    assert mediation_db.count("handoffs") == 0


def test_a_handoff_id_is_received_once(mediation_db):
    message = dossier_envelope(to_unit=STATION)
    deliver(mediation_db, MEDIATION, message)
    before = snapshot(mediation_db)
    with pytest.raises(HandoffRefused, match="received already"):
        deliver(mediation_db, MEDIATION, replace(message, event_id="another-event-id"))
    assert snapshot(mediation_db) == before


def filed(intake_db) -> tuple[str, str]:
    claim = run(intake_db, INTAKE.file_claim, validate_submission(claim_document()))
    requests = [e for e in intake_db.outbox() if e.event_type == "handoff.requested"
                and e.payload["purpose"] == "mediation"]
    return claim.case_id, requests[-1].payload["handoff_id"]


def answer(intake_db, handoff_id: str, how: str, source: Agency | None = None) -> Envelope:
    with intake_db() as uow:
        handoff = uow.handoffs.get(handoff_id)
    handoff.accept(intake_db.clock.now()) if how == "accept" else handoff.return_(
        intake_db.clock.now(), "station at capacity")
    event_type, payload = handoff_answer_payload(handoff)
    return delivered(Envelope(event_type=event_type, case_id=handoff.case_id,
                              source_agency=source or handoff.to_agency,
                              occurred_at=intake_db.clock.now(), payload=payload,
                              correlation_id="corr"))


def test_an_answer_from_another_agency_than_the_addressee_is_refused(intake_db):
    case_id, handoff_id = filed(intake_db)
    before = snapshot(intake_db)
    forged = answer(intake_db, handoff_id, "return", source=Agency.COURTS)
    with pytest.raises(HandoffRefused, match="came from courts; only mediation"):
        deliver(intake_db, INTAKE, forged)
    assert snapshot(intake_db) == before
    with intake_db() as uow:
        assert uow.claims.get(case_id).state is CaseState.MEDIATION_REQUESTED


def test_an_answer_to_a_handoff_never_made_is_refused(intake_db):
    filed(intake_db)
    stray = answer(intake_db, filed(intake_db)[1], "accept")
    stray = replace(stray, payload={**stray.payload, "handoff_id": "00000000-0000-0000-0000-000000000000"})
    with pytest.raises(UnknownHandoff, match="requested no handoff"):
        deliver(intake_db, INTAKE, stray)


def test_a_handoff_is_answered_once(intake_db):
    _, handoff_id = filed(intake_db)
    returned = answer(intake_db, handoff_id, "return")  # made before the acceptance lands
    deliver(intake_db, INTAKE, answer(intake_db, handoff_id, "accept"))
    before = snapshot(intake_db)
    with pytest.raises(HandoffRefused, match="already accepted"):
        deliver(intake_db, INTAKE, returned)
    assert snapshot(intake_db) == before
