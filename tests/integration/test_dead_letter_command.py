"""Operators read parked messages and send them back once the cause is mended."""

from __future__ import annotations

import json

import pytest
from kombu import Connection

from disputes_cli import dead_letters
from disputes_shared.contract.envelope import encode
from disputes_shared.contract.routing import DEAD_LETTER_EXCHANGE, DOSSIERS_EXCHANGE
from mediation.adapters import metadata
from mediation.service import MediationService

from ..support.broker import publish_raw, uri_of
from ..support.waiting import eventually
from .test_dead_letters import DOSSIER, dossier_envelope, pending


@pytest.fixture
def mediation(start_service):
    return start_service(MediationService, metadata)


def test_listing_parked_messages_leaves_them_parked(mediation, amqp_uri):
    operator = uri_of(amqp_uri, "operator")
    publish_raw(amqp_uri, DOSSIERS_EXCHANGE, "handoff.dossier.v1.mediation", b"{broken",
                message_id="m-1")
    (listed,) = eventually(lambda: dead_letters.list_parked(operator))
    assert listed["message_id"] == "m-1" and "not JSON" in listed["reason"]
    assert listed["routing_key"] == "handoff.dossier.v1.mediation" and listed["parked_by"] == "mediation"
    assert [m["message_id"] for m in dead_letters.list_parked(operator)] == ["m-1"]


def test_a_replayed_message_goes_back_where_it_was_sent_and_leaves_the_queue(mediation, amqp_uri):
    """The operator replays it as intake, which first sent it (its user may impersonate)."""
    operator = uri_of(amqp_uri, "operator")
    envelope = dossier_envelope()
    publish_raw(amqp_uri, DEAD_LETTER_EXCHANGE, "", encode(envelope), message_id=envelope.event_id,
                headers={"x-parked-reason": "OperationalError: database is locked",
                         "x-parked-by": "mediation", "x-original-exchange": DOSSIERS_EXCHANGE,
                         "x-original-routing-key": "handoff.dossier.v1.mediation",
                         "x-original-user-id": Connection(uri_of(amqp_uri, "intake")).userid})
    publish_raw(amqp_uri, DEAD_LETTER_EXCHANGE, "", b"{other", message_id="stays",
                headers={"x-original-exchange": DOSSIERS_EXCHANGE,
                         "x-original-routing-key": "handoff.dossier.v1.mediation"})
    listed = eventually(lambda: (found := dead_letters.list_parked(operator)) and len(found) == 2 and found)
    shown = json.dumps(listed, ensure_ascii=False)  # what `disputes dead-letters show` prints
    assert "dossier" in listed[0]["payload_fields"]
    assert [value for value in DOSSIER["worker"].values() if value in shown] == []
    (replayed,) = dead_letters.replay(operator, {envelope.event_id})
    assert replayed["message_id"] == envelope.event_id
    (handoff,) = eventually(lambda: pending(mediation))
    assert handoff["case_id"] == envelope.case_id
    assert [m["message_id"] for m in dead_letters.list_parked(operator)] == ["stays"]


def test_a_parked_dossier_is_on_the_stream_sealed_and_a_replay_applies_it(mediation, amqp_uri, monkeypatch):
    """Parked by a handler that failed (a fault mended by the next release), the dossier is kept
    on the stream without a planted value in the clear; replayed, mediation opens it and takes
    the case in."""
    from disputes_shared.kit.broker import read_parked
    from disputes_shared.plumbing.handoff_desk import HandoffDesk

    from ..support.broker import send

    def failing(*args, **kwargs):
        raise RuntimeError("a fault in this release")

    operator = uri_of(amqp_uri, "operator")
    monkeypatch.setattr(HandoffDesk, "receive", failing)
    envelope = dossier_envelope(case_id="LD-SEALED-1")
    send(amqp_uri, envelope)
    (listed,) = eventually(lambda: dead_letters.list_parked(operator))
    assert (listed["event_type"], listed["case_id"], listed["personal_data"]) == (
        "handoff.dossier", "LD-SEALED-1", "sealed")
    assert "dossier" in listed["payload_fields"] and "RuntimeError" in listed["reason"]
    stream = "".join(m.body.decode("utf-8", "replace") + json.dumps(m.headers, ensure_ascii=False, default=str)
                     for m in read_parked(operator))
    planted = [*DOSSIER["worker"].values(), DOSSIER["employer"]["name"]]
    assert envelope.case_id in stream and [value for value in planted if value in stream] == []

    monkeypatch.undo()  # the fault mended
    (replayed,) = dead_letters.replay(operator, {envelope.event_id})
    (handoff,) = eventually(lambda: pending(mediation))
    assert handoff["case_id"] == "LD-SEALED-1"
    assert dead_letters.list_parked(operator) == []
