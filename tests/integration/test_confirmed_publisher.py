"""The confirmed publisher against the real broker: a batch is confirmed as a whole, and a
message no queue takes is reported as such while the rest of its batch goes through."""

from __future__ import annotations

import uuid

import pytest
from kombu import Connection

from disputes_shared.contract.routing import DEAD_LETTER_EXCHANGE, DOSSIERS_EXCHANGE
from disputes_shared.kit.broker import ConfirmedPublisher, Outgoing, Unroutable

from ..support.broker import dead_letters


def parked(body: str) -> Outgoing:
    return Outgoing(body, DEAD_LETTER_EXCHANGE, "", message_id=str(uuid.uuid4()))


def test_a_batch_is_published_and_every_message_confirmed(amqp_uri):
    publisher = ConfirmedPublisher(amqp_uri)
    try:
        batch = [parked(f"message {i}") for i in range(300)]
        assert publisher.publish_many(batch) == [None] * 300
    finally:
        publisher.close()
    taken = dead_letters(amqp_uri, 300)
    assert [m["body"] for m in taken] == [f"message {i}".encode() for i in range(300)]


def test_an_unroutable_message_is_reported_and_the_rest_of_its_batch_confirmed(amqp_uri):
    publisher = ConfirmedPublisher(amqp_uri)
    lost = Outgoing("{}", DOSSIERS_EXCHANGE, "handoff.dossier.v1.nobody", message_id=str(uuid.uuid4()))
    try:
        outcomes = publisher.publish_many([parked("before"), lost, parked("after")])
        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], Unroutable)
        with pytest.raises(Unroutable):
            publisher.publish("{}", DOSSIERS_EXCHANGE, "handoff.dossier.v1.nobody", str(uuid.uuid4()))
        publisher.publish("again", DEAD_LETTER_EXCHANGE, "", str(uuid.uuid4()))  # still usable
    finally:
        publisher.close()
    assert [m["body"] for m in dead_letters(amqp_uri, 3)] == [b"before", b"after", b"again"]


def test_a_message_goes_persistent_with_its_id_headers_and_sender(amqp_uri):
    queue = f"test.publisher-{uuid.uuid4().hex[:8]}"
    publisher = ConfirmedPublisher(amqp_uri)
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        channel.queue_declare(queue, durable=False, exclusive=True)
        try:
            publisher.publish("{\"case\": \"案件\"}", "", queue, message_id="m-1",
                              headers={"x-case-id": "LD-1", "x-case-sequence": 7}, app_id="mediation")
            publisher.publish(b"\x00raw", "", queue, message_id="m-2", content_type="application/data")
        finally:
            publisher.close()
        first, second = channel.basic_get(queue, no_ack=True), channel.basic_get(queue, no_ack=True)
    # The client decodes a body whose content_encoding it knows: compared as bytes.
    assert as_bytes(first.body) == "{\"case\": \"案件\"}".encode()
    assert {name: first.properties.get(name) for name in (
        "delivery_mode", "content_type", "content_encoding", "message_id", "user_id", "app_id", "priority")} == {
        "delivery_mode": 2, "content_type": "application/json", "content_encoding": "utf-8",
        "message_id": "m-1", "user_id": publisher.user, "app_id": "mediation", "priority": 0}
    assert first.headers == {"x-case-id": "LD-1", "x-case-sequence": 7}
    assert as_bytes(second.body) == b"\x00raw" and second.properties["content_type"] == "application/data"
    assert second.headers == {} and "app_id" not in second.properties


def as_bytes(body: str | bytes) -> bytes:
    return body.encode() if isinstance(body, str) else body
