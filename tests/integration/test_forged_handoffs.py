"""Forged handoff messages on the real broker, each sent by a genuine agency's own broker user
(so the broker and the sender check let it through) and refused by the shared handoff rules: a
dossier for a handoff another agency requested, a dossier that would overwrite a case being
mediated, an answer from an agency the handoff was not addressed to. Each is parked with a
reason that names who sent it and who may, and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

import intake.adapters
import mediation.adapters
from disputes_shared.clocks.wall import SystemClock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff_events import handoff_answer_payload
from disputes_shared.plumbing.engine import make_engine
from intake.adapters import SqlIntakeUnitOfWork
from intake.service import IntakeService
from mediation.service import MediationService

from ..support.broker import dead_letters, send
from ..support.examples import CLAIM, delivered, dossier_envelope
from ..support.keys import keys_of
from ..support.signin import staff_rpc
from ..support.waiting import eventually

STATION = "people-jinjiang"


@pytest.fixture
def mediation_config(start_service):
    return start_service(MediationService, mediation.adapters.metadata)


def reasons(amqp_uri: str, expected: int) -> list[str]:
    return sorted(p["headers"]["x-parked-reason"] for p in dead_letters(amqp_uri, expected))


def test_a_dossier_in_another_agencys_name_and_one_over_a_held_case_are_parked(mediation_config, amqp_uri):
    # Received now: a dossier of the examples' date would have its art. 14 clock run out at once.
    now = datetime.now(UTC)
    genuine = dossier_envelope(to_unit=STATION, case_id="LD-20260302-0000000001", requested_at=now)
    send(amqp_uri, genuine)
    with staff_rpc(mediation_config) as rpc:
        (pending,) = eventually(lambda: rpc.mediation.pending_handoffs())
        rpc.mediation.accept_handoff(pending["handoff_id"])
        held = rpc.mediation.open_cases("in_mediation")

        # Sent by intake's own broker user, for a handoff arbitration would have requested.
        send(amqp_uri, replace(dossier_envelope(to_unit=STATION, case_id="LD-20260302-0000000002",
                                                requested_at=now, from_agency="arbitration"),
                               source_agency=Agency.INTAKE))
        send(amqp_uri, dossier_envelope(to_unit=STATION, case_id="LD-20260302-0000000001",
                                        requested_at=now, worker_name="Someone Else"))
        found = reasons(amqp_uri, 2)
        assert ("handoff from arbitration sent by intake; only the requester sends its dossier"
                in found[0] + found[1])
        assert "holds case LD-20260302-0000000001 already (in_mediation)" in found[0] + found[1]
        assert rpc.mediation.open_cases("in_mediation") == held
        assert rpc.mediation.pending_handoffs() == []


def test_an_answer_from_an_agency_the_handoff_was_not_addressed_to_is_parked(start_service, amqp_uri):
    config = start_service(IntakeService, intake.adapters.metadata)
    with staff_rpc(config) as rpc:
        case_id = rpc.intake.file_claim(CLAIM)["case_id"]
    engine = make_engine(config["DATABASE_URL"])
    try:
        with SqlIntakeUnitOfWork(engine, intake.adapters.plumbing, SystemClock(), keys=keys_of(config)) as uow:
            (handoff,) = [h for h in uow.handoffs.for_case(case_id) if h.purpose == "mediation"]
    finally:
        engine.dispose()
    handoff.return_(handoff.requested_at, "not ours")  # said in the courts' name
    event_type, payload = handoff_answer_payload(handoff)
    send(amqp_uri, delivered(Envelope(event_type=event_type, case_id=case_id,
                                      source_agency=Agency.COURTS, occurred_at=handoff.requested_at,
                                      payload=payload, correlation_id=case_id)))
    (reason,) = reasons(amqp_uri, 1)
    assert "came from courts; only mediation, to which it was addressed, may answer it" in reason
    with staff_rpc(config) as rpc:
        assert rpc.intake.claim(case_id)["state"] == "mediation_requested"
