"""Only what each purpose needs (PIPL arts. 5–6): the written purposes, the dossier cut to them
by the sender, and major 2 of ``handoff.dossier`` refusing a field outside them."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import PoisonMessage, decode, encode, schema_version
from disputes_shared.contract.handoff import PURPOSE_RECEIVER, Handoff, HandoffPurpose
from disputes_shared.contract.handoff_events import handoff_request_events
from disputes_shared.contract.purposes import (
    DOSSIER_FIELDS,
    PERSONAL_FIELDS,
    PURPOSES,
    allowed_fields,
    dossier_fields,
    dossier_for,
    onward_gaps,
    published_purposes,
    received_by,
)
from disputes_shared.contract.routing import route
from disputes_shared.contract.spec import asyncapi, compatibility_problems, published_schemas

from ..support.examples import AT, dossier

ALL_PURPOSES = list(HandoffPurpose)
REQUESTERS = [Agency.INTAKE, Agency.MEDIATION, Agency.ARBITRATION]
OPTIONAL = ("migrant_worker", "history", "urgent", "limitation")


def test_every_purpose_is_written_with_a_reason_for_each_field_it_receives():
    assert set(PURPOSES) == set(HandoffPurpose)
    for purpose, statement in PURPOSES.items():
        assert statement.task.strip(), purpose
        named = [name for need in statement.needs for name in need.fields]
        assert len(named) == len(set(named)), f"{purpose} names a field twice"
        assert set(named) <= set(DOSSIER_FIELDS), purpose
        assert all(need.why.strip() for need in statement.needs), purpose


def test_an_agency_receives_what_it_must_hand_on():
    assert onward_gaps() == []


def test_what_only_some_purposes_need_reaches_only_them():
    assert {p for p in ALL_PURPOSES if "migrant_worker" in allowed_fields(p)} == {
        HandoffPurpose.LEGAL_AID}  # the means test (法律援助法 art. 42)
    assert {p for p in ALL_PURPOSES if "worker.id_number" not in allowed_fields(p)} == {
        HandoffPurpose.LABOR_INSPECTION}  # it acts on the employer
    assert received_by(Agency.LABOR_INSPECTION) & set(PERSONAL_FIELDS) == {
        "worker.name", "worker.phone", "employer"}


def whole_dossiers() -> st.SearchStrategy[dict[str, Any]]:
    """Whole dossiers as intake holds them, with the optional fields there or not."""
    return st.builds(
        lambda present, urgent, migrant, count: {
            name: value for name, value in dossier(urgent=urgent, migrant_worker=migrant,
                                                   worker_count=count).items()
            if name not in OPTIONAL or name in present},
        st.sets(st.sampled_from(OPTIONAL)), st.booleans(), st.booleans(),
        st.integers(min_value=1, max_value=60))


def published_validator(major: int) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(published_schemas()[f"handoff.dossier.v{major}.json"])


@settings(deadline=None)  # checks schemas per example: slow on a busy machine, never wrong
@given(purpose=st.sampled_from(ALL_PURPOSES), requester=st.sampled_from(REQUESTERS),
       whole=whole_dossiers())
def test_no_agency_receives_a_field_outside_its_purpose(purpose, requester, whole):
    handoff = Handoff.request("LD-20260302-0000000001", requester, purpose, AT)
    _, sent = handoff_request_events(handoff, "corr-1", whole)
    wire = json.loads(encode(sent))
    received = decode(json.dumps(wire))
    assert route(sent)[1] == f"handoff.dossier.v2.{PURPOSE_RECEIVER[purpose]}"
    assert dossier_fields(wire["payload"]["dossier"]) == dossier_fields(whole) & allowed_fields(purpose)
    assert dossier_fields(received.payload["dossier"]) <= allowed_fields(purpose)
    published_validator(2).validate(wire)


@pytest.mark.parametrize("purpose", ALL_PURPOSES)
def test_a_dossier_with_a_field_outside_its_purpose_is_refused(purpose):
    outside = [name for name in DOSSIER_FIELDS if name not in allowed_fields(purpose)]
    if not outside:
        pytest.skip(f"{purpose} receives every field")
    whole = dossier()
    for name in outside:
        wire = _dossier_message(purpose, {**dossier_for(purpose, whole), **_with(name, whole)})
        with pytest.raises(PoisonMessage, match=name.replace(".", r".*")):
            decode(json.dumps(wire))
        assert not published_validator(2).is_valid(wire), name


@pytest.mark.parametrize("purpose", ALL_PURPOSES)
def test_a_dossier_without_a_field_its_purpose_requires_is_refused(purpose):
    wire = _dossier_message(purpose, {k: v for k, v in dossier_for(purpose, dossier()).items()
                                      if k != "claim_types"})
    with pytest.raises(PoisonMessage, match="claim_types"):
        decode(json.dumps(wire))
    assert not published_validator(2).is_valid(wire)


@pytest.mark.parametrize("purpose", ALL_PURPOSES)
def test_a_whole_dossier_of_major_1_is_cut_to_its_purpose_when_read(purpose):
    """A sender not yet moved to major 2 (the partner kit of an older release) is read."""
    whole = dossier()
    wire = _dossier_message(purpose, whole, major=1)
    published_validator(1).validate(wire)
    received = decode(json.dumps(wire))
    assert received.major == 2
    assert dossier_fields(received.payload["dossier"]) == allowed_fields(purpose)


def test_the_published_contract_carries_the_purposes_and_their_reasons():
    schema = published_schemas()["handoff.dossier.v2.json"]["properties"]["payload"]
    assert schema["x-purposes"] == published_purposes()
    for purpose, published in published_purposes().items():
        assert published["receiver"] == PURPOSE_RECEIVER[HandoffPurpose(purpose)]
        assert set(published["fields"]) == allowed_fields(purpose)
    channels = asyncapi()["channels"]
    assert channels["handoff-dossier-v2"]["address"] == "handoff.dossier.v2.{to_agency}"


def _with(name: str, whole: dict[str, Any]) -> dict[str, Any]:
    """The one field ``name`` of ``whole``, as a dossier part (the worker's parts nested)."""
    if name.startswith("worker."):
        return {"worker": {**dossier_for("labor_inspection", whole)["worker"],
                           name.split(".", 1)[1]: whole["worker"][name.split(".", 1)[1]]}}
    return {name: whole[name]}


def _dossier_message(purpose: str, carried: dict[str, Any], major: int = 2) -> dict[str, Any]:
    """A dossier message of ``purpose`` carrying ``carried`` as it is, not cut by the sender."""
    handoff = Handoff.request("LD-20260302-0000000001", Agency.INTAKE, purpose, AT)
    return {
        "event_id": str(uuid.uuid4()), "event_type": "handoff.dossier",
        "schema_version": schema_version("handoff.dossier", major), "occurred_at": AT.isoformat(),
        "case_id": handoff.case_id, "correlation_id": "corr-1", "causation_id": None,
        "source_agency": "intake",
        "payload": {"handoff_id": handoff.handoff_id, "from_agency": "intake",
                    "to_agency": str(handoff.to_agency), "purpose": purpose,
                    "requested_at": AT.isoformat(), "to_unit": None, "reason": None,
                    "worked_seconds": None, "dossier": json.loads(json.dumps(carried, default=_text))},
    }


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def test_a_purpose_reworded_keeps_the_major_but_a_field_taken_from_it_does_not():
    published = published_schemas()
    reworded, narrowed = copy.deepcopy(published), copy.deepcopy(published)
    _v2_payload(reworded)["x-purposes"]["mediation"]["task"] = "Mediate, in other words."
    mediation = _v2_payload(narrowed)["allOf"][0]
    assert mediation["if"]["properties"]["purpose"]["const"] == "mediation"
    mediation["then"]["properties"]["dossier"]["propertyNames"]["enum"].remove("limitation")
    assert compatibility_problems(published, reworded) == []
    assert compatibility_problems(published, narrowed) != []


def _v2_payload(schemas: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = schemas["handoff.dossier.v2.json"]["properties"]["payload"]
    return payload
