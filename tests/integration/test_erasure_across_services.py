"""Erasure across the services, over the real broker: a case filed, worked and closed, the
worker's copy of their data taken, then erased on request. Intake's erasure reaches mediation,
which erases its own; the trail records both and drops the case's free texts; afterwards no
planted value is readable in any service's database, ``disputes verify`` still passes and the
worker's copy holds nothing but "erased"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import intake.adapters
import mediation.adapters
import trail.adapters
from disputes_cli.main import main as disputes
from disputes_cli.personal_data import personal_data_of
from disputes_shared.contract.personal_numbers import with_check_character
from disputes_shared.ports import ERASED
from intake.service import IntakeService
from mediation.service import MediationService
from trail.service import TrailService
from trail.signing import public_path

from ..support.examples import CLAIM
from ..support.signin import staff_rpc
from ..support.waiting import eventually
from .test_agencies_together import http
from .test_personal_data_at_rest import read_back, stored_text

WORKER = {"name": "抹除测试工人", "id_number": with_check_character("51010719880506042"), "phone": "13900000042"}
DESCRIPTION = "老板说我叫抹除测试工人, 住在武侯区抹除路42号"
FAILURE_REASON = "抹除测试工人 refused the employer's offer by phone 13900000042"
PLANTED = (*WORKER.values(), DESCRIPTION, FAILURE_REASON)
HELD_BY = ("intake", "mediation")  # the services started here: the case goes to no other


def readable(url: str) -> list[tuple[str, str]]:
    """Each (table, planted value) the database holds in the clear."""
    return [(table, value) for table, stored in stored_text(url).items() for value in PLANTED
            if value in stored]


def erasures_on_the_trail(rpc: Any, case_id: str) -> list[dict[str, Any]]:
    return [e for e in rpc.trail.trail(case_id)["entries"] if e["event_type"] == "case.personal_data_erased"]


def test_an_erased_case_leaves_nothing_readable_and_the_trail_still_verifies(start_service, capsys):
    platform = {"trail": start_service(TrailService, trail.adapters.metadata),
                "mediation": start_service(MediationService, mediation.adapters.metadata),
                "intake": start_service(IntakeService, intake.adapters.metadata)}
    status, filed = http(platform["intake"], "POST", "/v1/claims",
                         {**CLAIM, "worker": WORKER, "description": DESCRIPTION, "legal_aid_requested": False})
    assert status == 201
    case_id = filed["case_id"]
    with staff_rpc(platform["intake"]) as rpc:
        [handoff] = eventually(lambda: rpc.mediation.pending_handoffs())
        rpc.mediation.accept_handoff(handoff["handoff_id"])
        rpc.mediation.record_failure(case_id, FAILURE_REASON, False)
        with pytest.raises(Exception, match="still open"):
            rpc.intake.erase_personal_data(case_id, "request 2026-0042")
        rpc.mediation.close(case_id, "withdrawn")
        eventually(lambda: rpc.intake.claim(case_id)["state"] == "closed")
        # Before the erasure the scan finds the typed reason, kept beside the trail's chain and
        # in mediation's case history.
        eventually(lambda: ("trail_entries", FAILURE_REASON) in readable(platform["trail"]["DATABASE_URL"]))
        assert ("mediation_cases", FAILURE_REASON) in readable(platform["mediation"]["DATABASE_URL"])

        before = personal_data_of(rpc.platform, case_id, HELD_BY)
        assert before["intake"]["claim"]["worker"] == WORKER
        assert before["intake"]["claim"]["description"] == DESCRIPTION
        assert before["mediation"]["dossier"]["worker"] == WORKER

        answer = rpc.intake.erase_personal_data(case_id, "request 2026-0042")
        assert answer["erased"]
        after = eventually(lambda: (held := personal_data_of(rpc.platform, case_id, HELD_BY))
                           and held["mediation"]["dossier"] == "erased" and held)
        entries = eventually(lambda: len(found := erasures_on_the_trail(rpc, case_id)) == 2 and found)
    assert {e["agency"] for e in entries} == {"intake", "mediation"}
    assert {e["details"]["request_id"] for e in entries} == {answer["request_id"]}
    assert after["intake"]["claim"]["worker"] == after["intake"]["claim"]["description"] == "erased"
    assert not any(value in str(after) for value in PLANTED)

    for service in ("intake", "mediation", "trail"):
        assert readable(platform[service]["DATABASE_URL"]) == [], service
    # Sealed columns do not open with the service's own keys any more: the case's key is gone.
    claim = read_back(platform["intake"], intake.adapters.SqlIntakeUnitOfWork, intake.adapters,
                      lambda uow: uow.claims.get(case_id))
    case = read_back(platform["mediation"], mediation.adapters.SqlMediationUnitOfWork, mediation.adapters,
                     lambda uow: uow.cases.get(case_id))
    assert claim.worker is ERASED and case.dossier is ERASED
    assert "data_keys" in stored_text(platform["mediation"]["DATABASE_URL"])
    assert case_id not in stored_text(platform["mediation"]["DATABASE_URL"])["data_keys"]

    key = public_path(Path(platform["trail"]["TRAIL_SIGNING_KEY_FILE"]))
    assert disputes(["verify", "--database", platform["trail"]["DATABASE_URL"],
                     "--public-key", str(key)]) == 0
    assert "trail intact" in capsys.readouterr().out

