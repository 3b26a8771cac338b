"""The event contract: envelope, payload schemas and versions, routing, personal data."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, fields

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import PoisonMessage, UnknownEventType, decode, encode, majors_of
from disputes_shared.contract.payloads import EVENT_TYPES, PAYLOAD_SCHEMAS, PERSONAL_DATA_EVENTS
from disputes_shared.contract.routing import (
    BROADCAST,
    DOSSIERS_EXCHANGE,
    EVENTS_EXCHANGE,
    SUBSCRIPTIONS,
    route,
)

from ..support.examples import AT, PERSONAL_VALUES, WORKER, envelope, example_payloads, handoff_payload

PERSONAL_FIELDS = {"worker", "name", "id_number", "phone"}


def wire(example: str = "case.filed", **changes: Any) -> dict[str, Any]:
    """An encoded example envelope as a JSON object, to be spoilt by a test."""
    document = json.loads(encode(envelope(example)))
    document.update(changes)
    return document


def test_the_examples_cover_every_event_type_of_the_contract():
    assert set(example_payloads()) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_survives_the_wire(event_type):
    sent = envelope(event_type, causation_id="cause-1", source_agency=Agency.MEDIATION)
    received = decode(encode(sent))
    assert received == sent  # every envelope field, and the payload with its types
    assert encode(received) == encode(sent)


def test_typed_values_come_back_typed():
    received = decode(encode(envelope("mediation.agreement_reached")))
    assert received.payload["amount_agreed"] == Decimal("2560.00")
    assert received.payload["pay_by"] == date(2026, 3, 2)
    assert isinstance(received.occurred_at, datetime) and received.occurred_at == AT


def test_amounts_travel_as_text_with_two_places():
    sent = envelope("case.closed", {"outcome": "mediated", "amount_recovered": 3200, "days_open": 3})
    assert json.loads(encode(sent))["payload"]["amount_recovered"] == "3200.00"


def test_a_body_may_arrive_as_bytes_text_or_a_parsed_object():
    body = encode(envelope("case.triaged"))
    assert decode(body) == decode(body.encode("utf-8")) == decode(json.loads(body))


def test_encoding_refuses_an_invalid_payload_and_names_the_event():
    with pytest.raises(ValueError, match="case.closed payload is invalid.*outcome"):
        encode(envelope("case.closed", {"outcome": "vanished", "amount_recovered": "1", "days_open": 1}))


POISON = {
    "not UTF-8": (b"\xff\xfe{", "not UTF-8"),
    "not JSON": ("{event_type: case.filed", "not JSON"),
    "a JSON list": ("[1, 2]", "not a JSON object"),
    "JSON null": ("null", "not a JSON object"),
    "missing event id": ({k: v for k, v in wire().items() if k != "event_id"}, "event_id"),
    "missing case id": ({k: v for k, v in wire().items() if k != "case_id"}, "case_id"),
    "missing payload": ({k: v for k, v in wire().items() if k != "payload"}, "payload"),
    "event id not a uuid": (wire(event_id="42"), "event_id"),
    "naive time": (wire(occurred_at="2026-03-02T09:00:00"), "occurred_at"),
    "unknown agency": (wire(source_agency="police"), "source_agency"),
    "versionless": (wire(schema_version="1"), "schema_version"),
    "unknown envelope field": (wire(trace="x"), "trace"),
    "unknown event type": (wire(event_type="case.vanished"), "unknown event type 'case.vanished'"),
    "unknown major version": (wire(schema_version="2.0"), "'case.filed' version 2"),
    "invalid payload": (wire(payload={**wire()["payload"], "worker_count": 0}),
                        "invalid case.filed payload.*worker_count"),
    "payload missing a field": (wire(payload={k: v for k, v in wire()["payload"].items()
                                              if k != "industry"}), "industry"),
    # hostile bodies: each a clear refusal, never RecursionError, ValueError or MemoryError
    "nested 5,000 deep": ('{"a":' * 5000 + "1" + "}" * 5000, "nests 5000 deep, more than the 16"),
    "a version of 5,000 digits": (wire(schema_version="1" * 5000 + ".0"), "schema_version"),
    "a number of 5,000 digits": (json.dumps(wire()).replace('"worker_count": 1', '"worker_count": ' + "9" * 5000),
                                 "a number has 5000 characters"),
    "a count beyond an INTEGER column": (wire(payload={**wire()["payload"], "worker_count": 2**31}),
                                         "worker_count"),
    "NaN": ('{"event_id": NaN}', "NaN is not a JSON number"),
    "a body over the size limit": (json.dumps(wire(correlation_id="x" * 300_000)), "more than the 262144"),
    "a lone surrogate": (wire(correlation_id="\ud800"), "lone surrogate"),
    "a NUL character": (wire(correlation_id="a\x00b"), "NUL"),
    "an over-long correlation id": (wire(correlation_id="c" * 65), "correlation_id: Length must be between 1 and 64"),
    "a boolean as 1": (wire(payload={**wire()["payload"], "legal_aid_requested": 1}), "legal_aid_requested"),
    "a boolean as text": (wire(payload={**wire()["payload"], "legal_aid_requested": "yes"}),
                          "legal_aid_requested"),
    "a count as true": (wire(payload={**wire()["payload"], "worker_count": True}), "worker_count"),
    "an amount as a float": (wire(payload={**wire()["payload"], "amount_claimed": 0.1}), "amount_claimed"),
    "an amount over the limit": (wire(payload={**wire()["payload"], "amount_claimed": "100000000.01"}),
                                 "amount_claimed"),
    "a time in the year 9999": (wire(occurred_at="9999-12-31T23:59:59+00:00"), "occurred_at"),
    "a day in the year 9999": (wire("mediation.agreement_reached", payload={
        **wire("mediation.agreement_reached")["payload"], "pay_by": "9999-12-31"}), "pay_by"),
    "too many claim types": (wire(payload={**wire()["payload"], "claim_types": ["unpaid_wages"] * 51}),
                             "claim_types: Longer than maximum length 50"),
}


@pytest.mark.parametrize(("body", "says"), POISON.values(), ids=POISON.keys())
def test_a_message_that_can_never_be_handled_is_poison_and_says_why(body, says):
    if isinstance(body, dict):
        body = json.dumps(body)
    with pytest.raises(PoisonMessage, match=says):
        decode(body)


@pytest.mark.parametrize(("escape", "says"), [("a\\u0000b", "NUL"), ("\\uDBFF", "lone surrogate"),
                                           ("\\udc00", "lone surrogate")])
def test_a_message_whose_bytes_escape_a_nul_or_a_lone_surrogate_is_poison(escape, says):
    body = json.dumps(wire(correlation_id="PLACEHOLDER")).replace("PLACEHOLDER", escape).encode()
    with pytest.raises(PoisonMessage, match=says):
        decode(body)


def test_a_message_whose_bytes_escape_a_whole_surrogate_pair_is_read():
    body = json.dumps(wire(correlation_id="PLACEHOLDER")).replace("PLACEHOLDER", "\\ud83d\\ude00").encode()
    assert decode(body).correlation_id == "\U0001f600"


def test_a_refusal_names_the_field_and_the_rule_never_the_personal_data_sent():
    document = wire("handoff.dossier")
    worker = document["payload"]["dossier"]["worker"]
    worker["phone"] = "23800001111"
    worker["name"] = "王" * 101
    document["payload"]["dossier"]["employer"]["platform"] = "x" * 101
    document["payload"]["dossier"]["history"] = {worker["id_number"]: 1}
    with pytest.raises(PoisonMessage) as raised:
        decode(json.dumps(document, ensure_ascii=False))
    reason = str(raised.value)
    assert "dossier.worker.phone: must be a mobile number" in reason
    assert "dossier.worker.name: Length must be between 1 and 100" in reason
    assert "dossier.employer.platform: Longer than maximum length 100" in reason
    assert not any(value in reason for value in (worker["phone"], worker["id_number"], "王王"))


@pytest.mark.parametrize("event_type", ["case.vanished", "case.filed"])
def test_an_unknown_type_or_major_version_is_its_own_kind_of_poison(event_type):
    with pytest.raises(UnknownEventType):
        decode(json.dumps(wire(event_type=event_type, schema_version="7.0")))


def test_a_minor_version_may_add_a_payload_field_the_consumer_ignores():
    document = wire(schema_version="1.3")
    document["payload"]["employer_region"] = "四川"
    received = decode(json.dumps(document))
    assert received.schema_version == "1.3" and received.major == 1
    assert "employer_region" not in received.payload
    assert received.payload["industry"] == "food_delivery"


def test_a_minor_version_may_add_a_field_to_the_dossier_itself():
    document = wire("handoff.dossier", schema_version="1.1")
    document["payload"]["dossier"]["evidence_count"] = 3
    assert "evidence_count" not in decode(json.dumps(document)).payload["dossier"]


@pytest.mark.parametrize("part", ["worker", "employer"])
def test_a_minor_version_may_add_a_field_to_the_parties_in_a_dossier(part):
    document = wire("handoff.dossier", schema_version="1.1")
    document["payload"]["dossier"][part]["gender_or_credit_code"] = "x"
    received = decode(json.dumps(document))
    assert "gender_or_credit_code" not in received.payload["dossier"][part]


# -- routing -----------------------------------------------------------------------------------

ANSWERS = ("handoff.accepted", "handoff.returned")


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_only_the_dossier_goes_to_the_dossiers_exchange(event_type):
    exchange, _ = route(envelope(event_type))
    assert exchange == (DOSSIERS_EXCHANGE if event_type == "handoff.dossier" else EVENTS_EXCHANGE)


@pytest.mark.parametrize("event_type", [t for t in EVENT_TYPES if not t.startswith("handoff.")])
def test_a_lifecycle_event_is_broadcast_with_a_versioned_key(event_type):
    assert route(envelope(event_type))[1] == f"{event_type}.v1.{BROADCAST}"


@pytest.mark.parametrize(("purpose", "requester", "receiver"), [
    ("mediation", "intake", "mediation"),
    ("legal_aid", "intake", "legal_aid"),
    ("arbitration", "mediation", "arbitration"),
    ("judicial_confirmation", "mediation", "courts"),
    ("enforcement", "arbitration", "courts"),
])
def test_a_request_is_addressed_to_the_receiver_and_its_answer_to_the_requester(
        purpose, requester, receiver):
    payloads = example_payloads()
    for event_type in ("handoff.requested", "handoff.dossier", *ANSWERS):
        payload = {**payloads[event_type], **handoff_payload(purpose, requester)}
        addressee = requester if event_type in ANSWERS else receiver
        major = majors_of(event_type)[-1]  # publishers send the newest major
        assert route(envelope(event_type, payload))[1] == f"{event_type}.v{major}.{addressee}"


def test_the_routing_key_carries_the_major_version_only():
    assert route(envelope("case.closed", schema_version="1.4"))[1] == "case.closed.v1.all"


def test_only_the_receiving_agency_is_bound_to_its_dossiers():
    for agency, bindings in SUBSCRIPTIONS.items():
        dossier_keys = {b.routing_key for b in bindings if b.exchange == DOSSIERS_EXCHANGE}
        assert dossier_keys <= {f"handoff.dossier.v{major}.{agency}"
                                for major in majors_of("handoff.dossier")}, agency


def test_the_trail_hears_every_broadcast_and_no_dossier():
    (binding,) = SUBSCRIPTIONS[Agency.TRAIL]
    assert (binding.exchange, binding.routing_key) == (EVENTS_EXCHANGE, "#")


def test_every_agency_that_requests_handoffs_hears_the_answers():
    for agency in (Agency.INTAKE, Agency.MEDIATION, Agency.ARBITRATION, Agency.LEGAL_AID, Agency.COURTS):
        keys = {b.routing_key for b in SUBSCRIPTIONS[agency] if b.exchange == EVENTS_EXCHANGE}
        assert {f"{t}.v1.{agency}" for t in ANSWERS} <= keys, agency


# -- personal data -------------------------------------------------------------------------------

def field_names(schema: Schema) -> set[str]:
    """Every field name of a schema, nested schemas included."""
    names = set()
    for name, field in schema.fields.items():
        names.add(field.data_key or name)
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            names |= field_names(inner.schema)
    return names


@pytest.mark.parametrize("event_type", sorted(set(EVENT_TYPES) - PERSONAL_DATA_EVENTS))
def test_a_broadcast_event_has_no_field_for_personal_data(event_type):
    assert field_names(PAYLOAD_SCHEMAS[(event_type, 1)]()) & PERSONAL_FIELDS == set()


def test_the_field_check_above_does_find_personal_data_in_the_dossier():
    assert field_names(PAYLOAD_SCHEMAS[("handoff.dossier", 1)]()) >= PERSONAL_FIELDS


def test_the_dossier_is_the_only_event_that_carries_personal_data():
    assert {"handoff.dossier"} == PERSONAL_DATA_EVENTS
    body = encode(envelope("handoff.dossier"))
    assert all(value in body for value in WORKER.values())


@pytest.mark.parametrize(("failure", "transient"), [
    (__import__("sqlalchemy").exc.OperationalError("UPDATE", {}, Exception("database is locked")), True),
    (ConnectionResetError("broker went away"), True),
    (TimeoutError("no answer"), True),
    (ValueError("dossier for another agency"), False),
    (KeyError("case_id"), False),
])
def test_only_failures_that_may_pass_are_retried(failure, transient):
    from disputes_shared.plumbing.messaging import is_transient

    assert is_transient(failure) is transient


@pytest.mark.parametrize("value", ["abc", "-1", None, "NaN", "Infinity", [1]])
def test_a_staff_amount_that_is_not_yuan_is_refused_clearly(value):
    from disputes_shared.contract.strict import money

    with pytest.raises(ValueError, match="amount must be"):
        money(value)


@pytest.mark.parametrize(("value", "amount"), [(0, "0.00"), ("4800", "4800.00"), (12.5, "12.50")])
def test_a_staff_amount_is_kept_to_the_fen(value, amount):
    from disputes_shared.contract.strict import money

    assert str(money(value)) == amount


def test_a_message_decode_fails_on_unexpectedly_is_parked_naming_only_the_kind_of_error(monkeypatch):
    """A gap in the contract's checks: the consumer parks the message, the worker lives on,
    and the reason does not quote the error's text (it may quote the message)."""
    from disputes_shared.contract import envelope as codec
    from disputes_shared.kit import consumer

    def decode_that_breaks(body: Any) -> Any:
        raise RecursionError(f"while reading {PERSONAL_VALUES[0]}")

    handled: list[Any] = []
    subscriber = consumer.EventSubscriber("memory://", "labor_inspection", handled.append)
    parked: list[str] = []
    monkeypatch.setattr(codec, "decode", decode_that_breaks)
    monkeypatch.setattr(subscriber, "_park", lambda message, reason: parked.append(reason))
    subscriber._on_message(SimpleNamespace(body=b"{}", properties={}))  # type: ignore[arg-type]
    assert parked == ["could not decode the message (RecursionError)"] and handled == []
