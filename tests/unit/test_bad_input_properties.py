"""Whatever arrives, every consumer and the HTTP API answer with a clear refusal or accept it:
never a crash, never a half-stored claim. Property-based (hypothesis); the hostile bodies (huge,
deeply nested, wrong-typed, over-long, binary) are ``tests.hostile``'s."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder

from arbitration.domain import ArbitrationRuleBroken
from arbitration.handlers import Arbitration
from courts_bridge.domain import CourtRuleBroken
from courts_bridge.handlers import CourtsBridge
from disputes_shared.clocks.statutory import ClockNotRunning, ExtensionRefused
from disputes_shared.contract.envelope import Envelope, PoisonMessage, decode, encode
from disputes_shared.contract.handoff import HandoffAlreadyAnswered
from disputes_shared.contract.lifecycle import IllegalTransition, UnknownCase
from disputes_shared.contract.payloads import EVENT_TYPES, PersonalDataRefused
from disputes_shared.kit.handoffs import NotForThisAgency
from disputes_shared.plumbing.handoff_desk import HandoffRefused, UnknownHandoff
from disputes_shared.ports import apply_once
from intake.adapters import claims
from intake.filing_rate import ClientLimit
from intake.handlers import Intake
from intake.service import IntakeService
from legal_aid.handlers import LegalAid
from mediation.domain import MediationRefused
from mediation.handlers import Mediation
from tests.support.hostile import hostile_bodies
from trail.handlers import Trail

from ..support.examples import PERSONAL_VALUES, claim_document, envelope

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def decoded_or_refused(body: Any) -> Envelope | None:
    try:
        return decode(body)
    except PoisonMessage:
        return None


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_decode_to_an_envelope_or_a_clear_refusal(body):
    decoded_or_refused(body)


EVENTS = [json.loads(encode(envelope(event_type))) for event_type in EVENT_TYPES]


@settings(SETTINGS, max_examples=400)
@given(hostile_bodies(EVENTS))
def test_a_hostile_message_is_refused_naming_the_rule_without_the_personal_data(spoilt):
    kind, body = spoilt
    try:
        decode(body)
    except PoisonMessage as exc:
        assert str(exc) and not any(value in str(exc) for value in PERSONAL_VALUES)
        return
    assert kind in ("spoilt field", "removed field", "extra field", "bad byte")  # still valid


@SETTINGS
@given(st.sampled_from(EVENT_TYPES), st.data())
def test_a_valid_envelope_with_any_field_spoilt_is_refused_or_still_valid(event_type, data):
    document = json.loads(encode(envelope(event_type)))
    target = data.draw(st.sampled_from(["envelope", "payload"]))
    part = document if target == "envelope" else document["payload"]
    key = data.draw(st.sampled_from(sorted(part)))
    part[key] = data.draw(json_values)
    result = decoded_or_refused(json.dumps(document))
    if result is not None:  # accepted: it must still encode under the contract
        assert json.loads(encode(result))["event_type"] == result.event_type


@SETTINGS
@given(st.data())
def test_the_claim_api_answers_any_body_with_201_or_a_400_that_stores_nothing(intake_db, data):
    service = worker_factory(IntakeService, storage=intake_db, agency_logic=Intake(),
                          filing_rate=ClientLimit.of("filing", 0), reading_rate=ClientLimit.of("reading", 0), acting=None)
    document = claim_document()
    key = data.draw(st.sampled_from(sorted(document) + ["unexpected"]))
    document[key] = data.draw(json_values)
    body = data.draw(st.sampled_from([json.dumps(document), json.dumps(data.draw(json_values)),
                                      data.draw(st.text(max_size=40)),
                                      data.draw(hostile_bodies([claim_document()]))[1]]))
    before = intake_db.count(claims)
    request = EnvironBuilder(method="POST", path="/v1/claims", data=body,
                             content_type="application/json").get_request()
    response = service.post_claim(request)
    answer = json.loads(response.get_data(as_text=True))
    if response.status_code == 201:
        assert intake_db.count(claims) == before + 1
    else:
        assert (response.status_code, answer["error"]) in {
            (400, "invalid_json"), (400, "invalid_claim"), (413, "too_large")}, answer
        assert intake_db.count(claims) == before
        assert not any(value in response.get_data(as_text=True) for value in PERSONAL_VALUES)


CONSUMERS = {
    "intake": ("intake_sql_db", Intake), "mediation": ("mediation_sql_db", Mediation),
    "legal_aid": ("legal_aid_sql_db", LegalAid), "arbitration": ("arbitration_sql_db", Arbitration),
    "courts_bridge": ("courts_sql_db", CourtsBridge),
    "trail": ("trail_sql_db", lambda: Trail(Ed25519PrivateKey.generate().sign)),
}
# How a service refuses a valid event it cannot apply (the case is elsewhere, the handoff
# answered, the move illegal...): the consumer parks it with this reason. Any other exception
# is a bug this test is here to find.
REFUSALS = (PoisonMessage, IllegalTransition, HandoffAlreadyAnswered, NotForThisAgency, UnknownCase,
            UnknownHandoff, HandoffRefused, ClockNotRunning, ExtensionRefused, ArbitrationRuleBroken, CourtRuleBroken,
            MediationRefused, PersonalDataRefused)


@pytest.mark.parametrize("service", sorted(CONSUMERS))
@settings(SETTINGS, max_examples=60)
@given(event_type=st.sampled_from(EVENT_TYPES), data=st.data())
def test_every_consumer_applies_a_spoilt_event_wholly_or_refuses_it_leaving_nothing(
        request, service, event_type, data):
    fixture, logic_class = CONSUMERS[service]
    db = request.getfixturevalue(fixture)
    logic = logic_class()
    document = json.loads(encode(envelope(event_type)))
    part = document if data.draw(st.booleans()) else document["payload"]
    part[data.draw(st.sampled_from(sorted(part)))] = data.draw(json_values)
    message = decoded_or_refused(json.dumps(document))
    if message is None:
        return  # refused by the contract: the consumer parks it without calling the service
    tables = list(db.tables.inbox.metadata.sorted_tables)
    before = [db.count(t) for t in tables]
    try:
        outcome = apply_once(db, service, message, logic.handle)
    except REFUSALS:  # the consumer parks it with this error as the reason
        assert [db.count(t) for t in tables] == before  # nothing half-applied
        return
    assert outcome in ("handled", "ignored", "duplicate")
