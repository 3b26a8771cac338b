"""The published contract describes every field and how each agency receives its messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from marshmallow import fields

from disputes_shared.contract.inboxes import MESSAGE_PROPERTIES, message_ids_of
from disputes_shared.contract.payloads import PAYLOAD_SCHEMAS, CaseHistory, _Payload
from disputes_shared.contract.routing import (
    AGENCY_QUEUE_ARGUMENTS,
    CASE_ID_HEADER,
    SHARD_QUEUE_ARGUMENTS,
    SUBSCRIPTIONS,
    case_exchange_name,
    is_sharded,
    queue_name,
)
from disputes_shared.contract.spec import asyncapi, message_schema, object_schema, published_schemas


def undescribed(document: dict[str, Any], at: str = "") -> Iterator[str]:
    """Every property, at any depth, whose JSON Schema says nothing of what it means."""
    for name, field in document.get("properties", {}).items():
        path = f"{at}.{name}" if at else name
        if not str(field.get("description", "")).strip():
            yield path
        yield from undescribed(field, path)
        if isinstance(field.get("items"), dict):
            yield from undescribed(field["items"], f"{path}[]")


def test_every_field_of_every_published_schema_is_described():
    missing = {name: list(undescribed(document)) for name, document in published_schemas().items()}
    assert {name: paths for name, paths in missing.items() if paths} == {}


def test_a_field_without_a_description_is_found_at_any_depth():
    class Report(_Payload):
        described = fields.Str(metadata={"description": "what it is"})
        bare = fields.Str()

    assert list(undescribed(object_schema(Report()))) == ["bare"]
    nested = {"properties": {"dossier": {"description": "d", **object_schema(Report())}}}
    assert list(undescribed(nested)) == ["dossier.bare"]


def test_the_dossier_history_is_typed_with_what_the_agencies_write():
    history = message_schema("handoff.dossier", 1)["properties"]["payload"]["properties"][
        "dossier"]["properties"]["history"]
    assert history["type"] == "object" and history["additionalProperties"] is True
    assert {"mediation_agreement", "agreement_effective_on", "award", "final_for_employer",
            "late", "ruling", "amount_ruled"} <= set(history["properties"])


def test_the_waits_say_what_they_measure():
    for answer in ("handoff.accepted", "handoff.returned"):
        wait = message_schema(answer, 1)["properties"]["payload"]["properties"]["wait_seconds"]
        assert "requested_at" in wait["description"]


def test_every_agency_inbox_is_a_receive_operation_with_its_queue_arguments_and_bindings():
    document = asyncapi()
    receiving = {op["channel"]["$ref"].rsplit("/", 1)[1]: op
                 for op in document["operations"].values() if op["action"] == "receive"}
    assert set(receiving) == {f"inbox-{agency}" for agency in SUBSCRIPTIONS}
    for agency, bindings in SUBSCRIPTIONS.items():
        channel = document["channels"][f"inbox-{agency}"]
        amqp = channel["bindings"]["amqp"]
        if is_sharded(agency):  # a platform service: its shards behind a hash exchange
            assert channel["address"] == amqp["queue"]["name"] == queue_name(agency) + ".{shard}"
            assert amqp["x-arguments"] == SHARD_QUEUE_ARGUMENTS
            assert amqp["x-arguments"]["x-single-active-consumer"] is True
            assert amqp["x-hash-exchange"]["name"] == case_exchange_name(agency)
            assert amqp["x-hash-exchange"]["arguments"] == {"hash-header": CASE_ID_HEADER}
        else:  # an outside agency's one queue
            assert channel["address"] == amqp["queue"]["name"] == queue_name(agency)
            assert amqp["x-arguments"] == AGENCY_QUEUE_ARGUMENTS
        assert amqp["queue"]["durable"] is True
        assert amqp["x-arguments"]["x-queue-type"] == "quorum"
        assert [(b["exchange"], b["routingKey"]) for b in amqp["x-bindings"]] == [
            (b.exchange, b.routing_key) for b in bindings]
        expected = {f"{t.replace('.', '-')}-v{m}" for b in bindings for t, m in message_ids_of(b)}
        assert set(channel["messages"]) == expected and expected


def test_every_message_states_the_amqp_properties_the_platform_relies_on():
    document = asyncapi()
    trait = document["components"]["messageTraits"]["amqp-properties"]
    properties = trait["bindings"]["amqp"]["x-properties"]
    assert {"message_id", "app_id", "type", "delivery_mode", "content_type", "correlation_id",
            "headers"} <= set(properties) == set(MESSAGE_PROPERTIES)
    assert properties["delivery_mode"]["value"] == 2 and properties["delivery_mode"]["required"]
    assert all(p["description"] for p in properties.values())
    for key, message in document["components"]["messages"].items():
        if key != "parked-message":
            assert message["traits"] == [{"$ref": "#/components/messageTraits/amqp-properties"}]
    assert len(document["components"]["messages"]) == len(PAYLOAD_SCHEMAS) + 1


def test_every_source_agency_is_in_the_agency_directory():
    document = asyncapi()
    envelope_agencies = published_schemas()["case.filed.v1.json"]["properties"]["source_agency"]["enum"]
    assert set(document["x-agencies"]) == set(envelope_agencies)
    assert {"trade_union", "hotline_12345", "labor_inspection", "courts"} <= set(envelope_agencies)


def test_every_key_an_agency_writes_into_a_cases_history_is_declared():
    """An undeclared key would be dropped from the dossier handed on: read what the services
    write (``….history = {**….history, "key": …}``) and find each in ``CaseHistory``."""
    services = Path(__file__).resolve().parents[2] / "services"
    written = set()
    for source in services.glob("*/*/*.py"):
        for update in re.findall(r"history = \{\*\*\w+\.history,(.*?)\}", source.read_text(), re.S):
            written |= set(re.findall(r'"(\w+)":', update))
    assert len(written) >= 10, written  # the pattern still finds what the services write
    assert written <= set(CaseHistory().fields), written - set(CaseHistory().fields)
