"""A message a service cannot handle is parked with its reason; it never crashes the service
and is never silently dropped. A redelivered event is applied once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope, encode
from disputes_shared.contract.personal_numbers import with_check_character
from disputes_shared.contract.routing import DOSSIERS_EXCHANGE, EVENTS_EXCHANGE
from disputes_shared.plumbing.parked_personal_data import opened_after_replay
from mediation.adapters import metadata
from mediation.service import MediationService

from ..support.broker import as_json, dead_letters, inbox_depth, parked_now, publish_raw, send
from ..support.keys import keys_of
from ..support.metrics import metric_value
from ..support.signin import staff_rpc
from ..support.waiting import eventually

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# What a mediation station receives (its purpose's fields: no migrant status, no history).
DOSSIER = {
    "worker": {"name": "王芳", "id_number": with_check_character("51010419900101110"), "phone": "13800001111"},
    "worker_count": 1,
    "employer": {"name": "成都迅达配送服务有限公司", "platform": "美团", "intermediary": None},
    "industry": "food_delivery", "relationship": "incomplete_employment",
    "claim_types": ["unpaid_wages"], "amount_claimed": "4800.00", "district": "wuhou",
    "filed_at": NOW.isoformat(),
}


def dossier_envelope(case_id: str = "LD-TEST-1", handoff_id: str = "11111111-1111-4111-8111-111111111111",
                     **payload_changes) -> Envelope:
    payload = {
        "handoff_id": handoff_id, "from_agency": "intake", "to_agency": "mediation",
        "purpose": "mediation", "requested_at": NOW, "to_unit": "people-wuhou",
        "reason": "district:wuhou", "dossier": DOSSIER, **payload_changes,
    }
    return Envelope(event_type="handoff.dossier", case_id=case_id, source_agency=Agency.INTAKE,
                    occurred_at=NOW, payload=payload, correlation_id="corr-1")


@pytest.fixture
def mediation(start_service):
    return start_service(MediationService, metadata)


def pending(config) -> list:
    with staff_rpc(config) as rpc:
        return rpc.mediation.pending_handoffs()


def test_a_valid_dossier_is_taken_in(mediation, amqp_uri):
    send(amqp_uri, dossier_envelope())
    handoffs = eventually(lambda: pending(mediation))
    assert [h["case_id"] for h in handoffs] == ["LD-TEST-1"]


@pytest.mark.parametrize("body, reason_fragment", [
    (b"{not json", "not JSON"),
    (b"[1, 2, 3]", "not a JSON object"),
    (b'{"event_type": "handoff.dossier"}', "invalid envelope"),
])
def test_a_malformed_body_is_parked_with_the_reason_and_consuming_goes_on(
        mediation, amqp_uri, body, reason_fragment):
    publish_raw(amqp_uri, DOSSIERS_EXCHANGE, "handoff.dossier.v1.mediation", body)
    (parked,) = dead_letters(amqp_uri, 1)
    assert reason_fragment in parked["headers"]["x-parked-reason"]
    assert parked["headers"]["x-parked-by"] == "mediation"
    assert parked["headers"]["x-original-routing-key"] == "handoff.dossier.v1.mediation"
    # From the dossiers exchange, so taken as personal data: sealed with mediation's keys.
    assert parked["body"] != body
    assert opened_after_replay(keys_of(mediation), parked["body"], parked["headers"]) == body
    send(amqp_uri, dossier_envelope())  # the service still consumes
    assert eventually(lambda: pending(mediation))


def test_a_body_in_a_content_type_nobody_accepts_is_parked(mediation, amqp_uri):
    publish_raw(amqp_uri, DOSSIERS_EXCHANGE, "handoff.dossier.v1.mediation", b"\x00\x01",
                content_type="application/x-python-serialize")
    (parked,) = dead_letters(amqp_uri, 1)
    assert "not JSON" in parked["headers"]["x-parked-reason"]
    send(amqp_uri, dossier_envelope())
    assert eventually(lambda: pending(mediation))


def test_an_unknown_event_type_and_an_unknown_major_version_are_parked(mediation, amqp_uri):
    unknown_type = as_json(encode(dossier_envelope()))
    unknown_type["event_type"] = "handoff.teleported"
    wrong_major = as_json(encode(dossier_envelope()))
    wrong_major["schema_version"] = "7.0"
    for document in (unknown_type, wrong_major):
        publish_raw(amqp_uri, DOSSIERS_EXCHANGE, "handoff.dossier.v1.mediation",
                    __import__("json").dumps(document))
    reasons = sorted(p["headers"]["x-parked-reason"] for p in dead_letters(amqp_uri, 2))
    assert "unknown event type 'handoff.dossier' version 7" in reasons[0] + reasons[1]
    assert any("handoff.teleported" in r for r in reasons)


def test_an_invalid_payload_is_parked_naming_the_field(mediation, amqp_uri):
    bad = as_json(encode(dossier_envelope()))
    bad["payload"]["dossier"]["worker"]["id_number"] = "12345"
    publish_raw(amqp_uri, DOSSIERS_EXCHANGE, "handoff.dossier.v1.mediation", __import__("json").dumps(bad))
    (parked,) = dead_letters(amqp_uri, 1)
    assert "id_number" in parked["headers"]["x-parked-reason"]
    assert pending(mediation) == []


def test_an_event_the_handler_refuses_is_parked_not_dropped(mediation, amqp_uri):
    answer = Envelope(
        event_type="handoff.accepted", case_id="LD-TEST-9", source_agency=Agency.ARBITRATION,
        occurred_at=NOW, correlation_id="corr-9", payload={
            "handoff_id": "99999999-9999-4999-8999-999999999999", "from_agency": "mediation",
            "to_agency": "arbitration", "purpose": "arbitration", "requested_at": NOW,
            "accepted_at": NOW, "wait_seconds": 0.0, "to_unit": None})
    send(amqp_uri, answer)
    (parked,) = dead_letters(amqp_uri, 1)
    assert "UnknownHandoff" in parked["headers"]["x-parked-reason"]
    assert as_json(parked["body"])["event_id"] == answer.event_id


def test_a_redelivered_event_is_applied_once(mediation, amqp_uri):
    envelope = dossier_envelope()
    send(amqp_uri, envelope)
    send(amqp_uri, envelope)
    duplicates = ('disputes_events_handled_total{agency="mediation",event_type="handoff.dossier",'
                  'outcome="duplicate"}')
    eventually(lambda: metric_value(mediation, duplicates) == 1.0)  # the second one was dropped
    assert len(pending(mediation)) == 1
    assert parked_now(amqp_uri) == []


def test_broadcasts_not_meant_for_the_agency_never_reach_its_queue(mediation, amqp_uri):
    other = dossier_envelope(to_agency="arbitration", purpose="arbitration")
    publish_raw(amqp_uri, EVENTS_EXCHANGE, "handoff.dossier.v1.arbitration", encode(other))
    eventually(lambda: inbox_depth(amqp_uri, Agency.TRAIL) == 1)  # routed (the trail hears all)
    # A dossier of the same case after it: the service handles a case's events in delivery
    # order, so once this one is taken in, anything sent to mediation before it was settled.
    mine = dossier_envelope(handoff_id="22222222-2222-4222-8222-222222222222")
    send(amqp_uri, mine)
    (handoff,) = eventually(lambda: pending(mediation))
    assert handoff["handoff_id"] == mine.payload["handoff_id"]
    assert parked_now(amqp_uri) == []
