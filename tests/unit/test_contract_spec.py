"""The published contract: generated from the schemas, valid JSON Schema, and never broken
without a new major version."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from marshmallow import fields, validate

from disputes_shared.contract.envelope import UPCASTERS, PoisonMessage, UnknownEventType, decode, encode
from disputes_shared.contract.payloads import (
    EVENT_TYPES,
    PAYLOAD_SCHEMAS,
    CaseClosed,
    CaseFiled,
    amount_field,
)
from disputes_shared.contract.routing import (
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    DOSSIERS_EXCHANGE,
    EVENTS_EXCHANGE,
    SUBSCRIPTIONS,
    is_sharded,
    queue_name,
)
from disputes_shared.contract.spec import (
    UnsupportedField,
    asyncapi,
    compatibility_problems,
    differences,
    published_schemas,
    read_published,
)
from disputes_shared.contract.strict import MAX_TEXT

from ..support.examples import envelope

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract"


def test_the_committed_contract_is_what_the_schemas_generate():
    assert differences(CONTRACT) == [], "run `make contract` and commit docs/contract"


def test_the_live_schemas_keep_every_promise_of_the_published_ones():
    assert compatibility_problems(read_published(CONTRACT), published_schemas()) == []


@pytest.mark.parametrize("name", sorted(published_schemas()))
def test_every_published_schema_is_valid_draft_2020_12(name):
    document = json.loads((CONTRACT / "schemas" / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(document)


def validator(event_type: str, major: int = 1) -> jsonschema.Draft202012Validator:
    document = published_schemas()[f"{event_type}.v{major}.json"]
    return jsonschema.Draft202012Validator(
        document, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_what_the_platform_sends_is_valid_against_the_published_schema(event_type):
    sent = envelope(event_type)
    validator(event_type, sent.major).validate(json.loads(encode(sent)))


BROKEN = {
    "payload field missing": lambda m: m["payload"].pop("outcome"),
    "value not in the list": lambda m: m["payload"].update(outcome="forgiven"),
    "negative days": lambda m: m["payload"].update(days_open=-1),
    "event id not a uuid": lambda m: m.update(event_id="42"),
    "another major": lambda m: m.update(schema_version="2.0"),
    "unknown envelope field": lambda m: m.update(trace="x"),
    "unknown agency": lambda m: m.update(source_agency="police"),
}


@pytest.mark.parametrize("spoil", BROKEN.values(), ids=BROKEN.keys())
def test_a_message_the_schema_refuses_the_platform_refuses_too(spoil):
    message = json.loads(encode(envelope("case.closed")))
    spoil(message)
    assert not validator("case.closed").is_valid(message)
    with pytest.raises(PoisonMessage):
        decode(json.dumps(message))


def test_the_asyncapi_document_names_every_exchange_routing_key_and_message():
    document = asyncapi()
    assert document["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in document["channels"].values()}
    assert "case.filed.v1.all" in addresses
    assert "handoff.dossier.v1.{to_agency}" in addresses
    assert "handoff.accepted.v1.{from_agency}" in addresses
    amqp = [c["bindings"]["amqp"] for c in document["channels"].values()]
    assert {b["exchange"]["name"] for b in amqp if b["is"] == "routingKey"} \
        == {EVENTS_EXCHANGE, DOSSIERS_EXCHANGE}
    assert [b["queue"]["name"] for b in amqp if b["is"] == "queue"] == [
        DEAD_LETTER_QUEUE, *(queue_name(agency) + (".{shard}" if is_sharded(agency) else "")
                             for agency in SUBSCRIPTIONS)]
    assert DEAD_LETTER_EXCHANGE in document["channels"]["dead-letters"]["description"]
    assert {m["name"] for m in document["components"]["messages"].values()} \
        == {*EVENT_TYPES, "parked"}


def test_routing_keys_and_exchanges_never_name_a_python_class():
    classes = {cls.__name__ for cls in PAYLOAD_SCHEMAS.values()}
    names = [c["address"] for c in asyncapi()["channels"].values()]
    names += [EVENTS_EXCHANGE, DOSSIERS_EXCHANGE, DEAD_LETTER_EXCHANGE]
    for name in names:
        assert re.fullmatch(r"[a-z_.\-]+(\.v[0-9]+\.([a-z_]+|\{[a-z_]+\})|\.\{shard\})?", name), name
        assert not any(cls in name for cls in classes), name


# -- the compatibility rules, on schemas changed on purpose -------------------------------------

def live_with(monkeypatch: pytest.MonkeyPatch, event_type: str, schema: type,
              major: int = 1) -> dict[str, dict[str, Any]]:
    monkeypatch.setitem(PAYLOAD_SCHEMAS, (event_type, major), schema)
    return published_schemas()


def problems_with(monkeypatch: pytest.MonkeyPatch, schema: type, major: int = 1) -> list[str]:
    published = published_schemas()
    return compatibility_problems(published, live_with(monkeypatch, "case.filed", schema, major))


def test_an_optional_field_added_with_a_minor_bump_may_be_published(monkeypatch):
    class WithWorkplace(CaseFiled):
        minor = CaseFiled.minor + 1
        workplace = fields.Str(allow_none=True, load_default=None)

    before = published_schemas()["case.filed.v1.json"]["x-schema-version"]
    assert problems_with(monkeypatch, WithWorkplace) == []
    after = f"1.{int(before.split('.')[1]) + 1}"
    assert published_schemas()["case.filed.v1.json"]["x-schema-version"] == after
    assert envelope("case.filed").schema_version == after


def test_an_optional_field_added_without_a_minor_bump_is_refused(monkeypatch):
    class WithWorkplace(CaseFiled):
        workplace = fields.Str(allow_none=True, load_default=None)

    (problem,) = problems_with(monkeypatch, WithWorkplace)
    assert "without a minor version bump" in problem


def test_a_removed_field_needs_a_new_major_even_with_a_minor_bump(monkeypatch):
    class WithoutDistrict(CaseFiled):
        minor = CaseFiled.minor + 1

    WithoutDistrict._declared_fields = {k: v for k, v in CaseFiled._declared_fields.items()
                                        if k != "district"}
    problems = problems_with(monkeypatch, WithoutDistrict)
    assert problems == ["case.filed.v1.json: field payload.district was removed or renamed "
                        "needs a new major version"]


def test_a_renamed_field_needs_a_new_major(monkeypatch):
    class Renamed(CaseFiled):
        minor = CaseFiled.minor + 1
        headcount = fields.Int(required=True)

    Renamed._declared_fields = {("headcount" if k == "worker_count" else k): v
                                for k, v in Renamed._declared_fields.items() if k != "headcount"}
    problems = problems_with(monkeypatch, Renamed)
    assert any("payload.worker_count was removed or renamed" in p for p in problems)
    assert any("payload.headcount is now required" in p for p in problems)


def test_a_retyped_field_needs_a_new_major(monkeypatch):
    class Retyped(CaseFiled):
        minor = CaseFiled.minor + 1
        worker_count = fields.Str(required=True)

    (problem,) = problems_with(monkeypatch, Retyped)
    assert "payload.worker_count changed type from integer to string" in problem


def test_a_field_made_required_needs_a_new_major(monkeypatch):
    class Required(CaseFiled):
        minor = CaseFiled.minor + 1
        chosen_station_id = fields.Str(required=True)

    problems = problems_with(monkeypatch, Required)
    assert any("payload.chosen_station_id is now required" in p for p in problems)


def test_a_value_taken_from_a_list_needs_a_new_major(monkeypatch):
    class Narrower(CaseFiled):
        minor = CaseFiled.minor + 1
        channel = fields.Str(required=True, validate=lambda v: True)

    Narrower._declared_fields["channel"] = fields.Str(
        required=True, validate=validate.OneOf(["online", "counter"]))
    problems = problems_with(monkeypatch, Narrower)
    assert any("payload.channel lost the values" in p for p in problems)


def test_a_breaking_change_is_published_as_a_new_major_beside_the_old(monkeypatch):
    class CaseFiledV2(CaseFiled):
        headcount = fields.Int(required=True)

    CaseFiledV2._declared_fields = {k: v for k, v in CaseFiledV2._declared_fields.items()
                                    if k != "worker_count"}
    assert problems_with(monkeypatch, CaseFiledV2, major=2) == []
    monkeypatch.delitem(PAYLOAD_SCHEMAS, ("case.filed", 1))
    (problem,) = compatibility_problems(read_published(CONTRACT), published_schemas())
    assert "case.filed.v1.json: a published major version was removed" in problem


# -- consumers: every minor of a known major, older majors upcast, unknown majors refused -------

class CaseClosedV2(CaseClosed):
    """v2 of case.closed: the money recovered is named for what it is (落实金额)."""

    minor = 0  # a new major starts its minors afresh

    amount_paid_to_worker = amount_field(required=True)


def upcast_v1_v2(payload: dict[str, Any]) -> dict[str, Any]:
    moved = copy.deepcopy(payload)
    moved["amount_paid_to_worker"] = moved["amount_recovered"]
    return moved


@pytest.fixture
def case_closed_v2(monkeypatch):
    monkeypatch.setitem(PAYLOAD_SCHEMAS, ("case.closed", 2), CaseClosedV2)
    monkeypatch.setitem(UPCASTERS, ("case.closed", 1), upcast_v1_v2)


def test_a_consumer_upcasts_an_older_major_to_the_one_it_reads(case_closed_v2):
    old = envelope("case.closed", schema_version="1.0")
    received = decode(encode(old))
    assert received.schema_version == "2.0" and received.major == 2
    assert received.payload["amount_paid_to_worker"] == received.payload["amount_recovered"]


def test_a_publisher_sends_the_newest_major(case_closed_v2):
    assert envelope("case.closed").schema_version == "2.0"


def test_an_older_major_without_an_upcaster_is_refused_with_the_reason(case_closed_v2, monkeypatch):
    monkeypatch.delitem(UPCASTERS, ("case.closed", 1))
    with pytest.raises(UnknownEventType, match="version 1 has no upcaster to version 2"):
        decode(encode(envelope("case.closed", schema_version="1.0")))


def test_an_unknown_major_is_refused_saying_which_majors_are_read():
    message = json.loads(encode(envelope("case.closed")))
    message["schema_version"] = "3.0"
    with pytest.raises(UnknownEventType, match="reads major 1 of it"):
        decode(json.dumps(message))


def test_a_field_the_generator_cannot_describe_is_a_clear_error_not_a_silent_gap(monkeypatch):
    class WithUrl(CaseFiled):
        minor = CaseFiled.minor + 1
        evidence_link = fields.Url(allow_none=True, load_default=None)

    class WithFunction(CaseFiled):
        minor = CaseFiled.minor + 1
        computed = fields.Function(lambda obj: 1)

    monkeypatch.setitem(PAYLOAD_SCHEMAS, ("case.filed", 1), WithUrl)
    assert published_schemas()["case.filed.v1.json"]["properties"]["payload"]["properties"][
        "evidence_link"] == {"type": ["string", "null"], "format": "uri", "maxLength": MAX_TEXT}
    monkeypatch.setitem(PAYLOAD_SCHEMAS, ("case.filed", 1), WithFunction)
    with pytest.raises(UnsupportedField, match="Function"):
        published_schemas()


def test_moving_an_event_to_another_exchange_or_routing_key_needs_a_new_major(monkeypatch):
    from disputes_shared.contract import routing

    published = published_schemas()
    monkeypatch.setitem(routing.EXCHANGE_OF, "case.closed", routing.DOSSIERS_EXCHANGE)
    monkeypatch.setitem(routing.ADDRESSED_BY, "case.closed", "to_agency")
    problems = compatibility_problems(published, published_schemas())
    assert any("case.closed.v1.json: the message changed x-exchange" in p for p in problems)
    assert any("changed x-routing-key from 'case.closed.v1.all'" in p for p in problems)
