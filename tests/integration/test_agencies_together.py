"""Intake, mediation, legal aid and the trail in real containers on one vhost: a claim filed
over HTTP is handed off through the broker, taken up, and traced."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from alembic import command

import intake.adapters
import legal_aid.adapters
import mediation.adapters
import trail.adapters
from disputes_shared.plumbing.runner import service_schema
from intake.service import IntakeService
from legal_aid.service import LegalAidService
from mediation.service import MediationService
from trail.service import TrailService

from ..support.examples import CLAIM
from ..support.signin import staff_rpc
from ..support.waiting import eventually


@pytest.fixture
def platform(start_service) -> dict[str, Any]:
    configs = {
        "trail": start_service(TrailService, trail.adapters.metadata),
        "mediation": start_service(MediationService, mediation.adapters.metadata),
        "legal_aid": start_service(LegalAidService, legal_aid.adapters.metadata),
        "intake": start_service(IntakeService, intake.adapters.metadata),
    }
    return configs


def http(config: dict[str, Any], method: str, path: str, body: Any = None,
         port: str = "WEB_SERVER_ADDRESS") -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://{config[port]}{path}", method=method,
        data=None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode()))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if "json" in response.headers.get("Content-Type", "") else raw.decode()
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_claim_flows_from_intake_to_mediation_and_legal_aid_and_is_traced(platform):
    status, filed = http(platform["intake"], "POST", "/v1/claims", CLAIM)
    assert status == 201
    case_id = filed["case_id"]
    assert filed["station_id"] == "ind-express-jinniu"
    with staff_rpc(platform["intake"]) as rpc:
        (handoff,) = eventually(lambda: rpc.mediation.pending_handoffs())
        (aid_handoff,) = eventually(lambda: rpc.legal_aid.pending_handoffs())
        assert handoff["case_id"] == aid_handoff["case_id"] == case_id
        accepted = rpc.mediation.accept_handoff(handoff["handoff_id"])
        assert accepted["status"] == "accepted" and accepted["wait_seconds"] >= 0
        rpc.legal_aid.accept_handoff(aid_handoff["handoff_id"])
        granted = rpc.legal_aid.decide(case_id, False)
        assert granted["means_test"] == "exempt" and granted["lawyer_id"]

        def traced() -> Any:
            found = rpc.trail.case_states([case_id]).get(case_id)
            return found if found and found["state"] == "in_mediation" and found["aid_state"] == "granted" else None

        eventually(traced)
        trail = rpc.trail.trail(case_id)
        assert eventually(lambda: rpc.intake.claim(case_id)["state"] == "in_mediation")
    types = [e["event_type"] for e in trail["entries"]]
    assert types[:2] == ["case.filed", "case.triaged"]
    assert types.count("handoff.requested") == 2 and types.count("handoff.accepted") == 2
    assert "legal_aid.granted" in types
    assert {(h["from_agency"], h["to_agency"], h["status"]) for h in trail["handoffs"]} == {
        ("intake", "mediation", "accepted"), ("intake", "legal_aid", "accepted")}
    # Personal data travels only in the dossier to the agency that needs it.
    text = json.dumps(trail, ensure_ascii=False)
    for personal in CLAIM["worker"].values():
        assert personal not in text


def test_an_invalid_claim_gets_400_naming_each_field_and_nothing_is_sent(platform):
    bad = {**CLAIM, "amount_claimed": "-5", "district": "atlantis", "colour": "red"}
    status, answer = http(platform["intake"], "POST", "/v1/claims", bad)
    assert status == 400
    assert set(answer["fields"]) == {"amount_claimed", "district", "colour"}
    status, answer = http(platform["intake"], "POST", "/v1/claims", b"{oops")
    assert status == 400 and answer["error"] == "invalid_json"
    with staff_rpc(platform["intake"]) as rpc:
        assert rpc.trail.case_states() == {}
        assert rpc.mediation.pending_handoffs() == []


def ops(config: dict[str, Any], path: str) -> tuple[int, Any]:
    """A GET on the service's operations port (/metrics, /health/*)."""
    return http(config, "GET", path, port="OPS_SERVER_ADDRESS")


def test_metrics_show_the_handoff_wait_by_agency_pair_and_health_checks_for_real(platform):
    status, filed = http(platform["intake"], "POST", "/v1/claims", {**CLAIM, "legal_aid_requested": False})
    with staff_rpc(platform["intake"]) as rpc:
        (handoff,) = eventually(lambda: rpc.mediation.pending_handoffs())
        # The gauges are the refresh timer's (every 5 s), not the scrape's.
        eventually(lambda: 'disputes_handoffs_pending{agency="mediation"} 1.0' in ops(platform["mediation"], "/metrics")[1])
        rpc.mediation.accept_handoff(handoff["handoff_id"])
    metrics = eventually(lambda: (m := ops(platform["mediation"], "/metrics")[1])
                         and 'disputes_handoff_wait_seconds_count{answer="accepted",from_agency="intake",to_agency="mediation"} 1.0' in m
                         and 'disputes_handoffs_pending{agency="mediation"} 0.0' in m and m)
    assert "case_id" not in metrics and filed["case_id"] not in metrics
    status, health = ops(platform["mediation"], "/health/ready")
    assert status == 200 and health["checks"] == {"database": "ok", "schema": "ok", "broker": "ok"}
    assert ops(platform["mediation"], "/health/live")[0] == 200


def test_a_service_whose_database_is_behind_its_release_is_alive_but_not_ready(platform):
    schema = service_schema(MediationService, mediation.adapters.metadata)
    # Forget the revision, keep the tables: the running service goes on working meanwhile.
    command.stamp(schema.config(platform["mediation"]["DATABASE_URL"]), "base")
    status, health = ops(platform["mediation"], "/health/ready")
    assert status == 503 and health["checks"]["schema"].startswith("failed: schema at no revision")
    assert health["checks"]["broker"] == "ok"
    assert ops(platform["mediation"], "/health/live")[0] == 200
