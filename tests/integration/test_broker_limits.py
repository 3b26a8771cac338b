"""The broker's own limits, made explicit: every agency queue has a delivery limit and parks a
message over it on the parking stream (never drops it); reading that stream is not a delivery,
so listing loses and reorders nothing; a replayed message is not replayed twice."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import requests
from kombu import Connection, Queue

from disputes_cli import dead_letters
from disputes_cli.sandbox import MANAGEMENT
from disputes_shared.contract import routing
from disputes_shared.contract.agencies import Agency
from disputes_shared.kit.broker import declare_topology, read_parked

from ..support.broker import inbox_depth, inbox_of, publish_raw, queue_messages
from ..support.waiting import eventually

MEDIATION_SHARDS = inbox_of(Agency.MEDIATION)
DOSSIER_KEY = "handoff.dossier.v1.mediation"
# An outside agency's single inbox, as an older release may have declared it.
OUTSIDE_INBOX = routing.queue_name(Agency.LABOR_INSPECTION)
OUTSIDE_DOSSIER_KEY = "handoff.dossier.v1.labor_inspection"


def declared(amqp_uri: str) -> list[str]:
    with Connection(amqp_uri) as connection:
        return declare_topology(connection)


def test_every_agency_queue_has_a_delivery_limit_and_a_dead_letter_exchange(
        amqp_uri, rabbit_config, rabbit_manager):
    assert declared(amqp_uri) == []
    vhost = rabbit_config["vhost"]
    for agency in routing.SUBSCRIPTIONS:
        for name in inbox_of(agency):
            arguments = rabbit_manager.get_queue(vhost, name)["arguments"]
            assert arguments == (routing.SHARD_QUEUE_ARGUMENTS if routing.is_sharded(agency)
                                 else routing.AGENCY_QUEUE_ARGUMENTS), name
    assert routing.AGENCY_QUEUE_ARGUMENTS["x-dead-letter-exchange"] == routing.DEAD_LETTER_EXCHANGE
    parking = rabbit_manager.get_queue(vhost, routing.DEAD_LETTER_QUEUE)
    assert parking["type"] == "stream" and parking["durable"]
    bound = {b["source"] for b in rabbit_manager.get_queue_bindings(vhost, routing.DEAD_LETTER_QUEUE)}
    assert routing.DEAD_LETTER_EXCHANGE in bound


def test_a_message_redelivered_past_the_limit_is_parked_not_dropped(amqp_uri):
    declared(amqp_uri)
    publish_raw(amqp_uri, routing.DOSSIERS_EXCHANGE, DOSSIER_KEY, b'{"poison": true}', message_id="p-1")
    redeliver_past_the_limit(amqp_uri, MEDIATION_SHARDS)
    (parked,) = read_parked(amqp_uri, at_least=1, timeout=10.0)
    assert parked.body == b'{"poison": true}' and parked.message_id == "p-1"
    assert f"more than {routing.DELIVERY_LIMIT} times" in parked.reason
    assert parked.parked_by == "mediation"
    assert (parked.original_exchange, parked.original_routing_key) == (routing.DOSSIERS_EXCHANGE, DOSSIER_KEY)
    assert inbox_depth(amqp_uri, Agency.MEDIATION) == 0

    (replayed,) = dead_letters.replay(amqp_uri, {"p-1"})
    assert replayed["routing_key"] == DOSSIER_KEY
    (back,) = queue_messages(amqp_uri, MEDIATION_SHARDS, 1)
    assert back.body in (b'{"poison": true}', '{"poison": true}')
    assert "x-death" not in (back.headers or {}) and back.headers["x-replays"] == 1
    assert dead_letters.replay(amqp_uri, {"p-1"}) == []  # recorded as replayed: not sent twice
    assert dead_letters.list_parked(amqp_uri) == []


def test_listing_parked_messages_is_not_a_delivery_and_keeps_their_order(amqp_uri):
    declared(amqp_uri)
    for i in range(3):
        publish_raw(amqp_uri, routing.DEAD_LETTER_EXCHANGE, "", f"parked {i}", message_id=f"m-{i}",
                    headers={"x-parked-reason": "test", "x-parked-by": "mediation",
                             "x-original-exchange": routing.DOSSIERS_EXCHANGE,
                             "x-original-routing-key": DOSSIER_KEY})
    eventually(lambda: len(dead_letters.list_parked(amqp_uri)) == 3)
    for _ in range(routing.DELIVERY_LIMIT + 2):
        listed = dead_letters.list_parked(amqp_uri)
        assert [m["message_id"] for m in listed] == ["m-0", "m-1", "m-2"]
    dead_letters.replay(amqp_uri, {"m-1"})
    assert [m["message_id"] for m in dead_letters.list_parked(amqp_uri)] == ["m-0", "m-2"]
    assert [m["message_id"] for m in dead_letters.replay(amqp_uri, None)] == ["m-0", "m-2"]
    assert dead_letters.list_parked(amqp_uri) == []


def redeliver_past_the_limit(amqp_uri: str, queues: list[str]) -> None:
    """A consumer that gives up on the message every time, once more than the limit allows."""
    rejected = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()

        def reject(message: Any) -> None:
            channel.basic_reject(message.delivery_tag, requeue=True)
            rejected.append(message)

        for queue in queues:
            channel.basic_consume(queue, callback=reject)
        deadline = time.monotonic() + 10.0
        while len(rejected) <= routing.DELIVERY_LIMIT and time.monotonic() < deadline:
            try:
                connection.drain_events(timeout=0.2)
            except TimeoutError:
                continue
    assert len(rejected) == routing.DELIVERY_LIMIT + 1


def test_a_queue_an_older_release_declared_is_kept_and_the_operators_policy_bounds_it(
        amqp_uri, rabbit_config):
    with Connection(amqp_uri) as connection:
        connection.channel().queue_delete(OUTSIDE_INBOX)  # the test's set-up declared it anew
        Queue(OUTSIDE_INBOX, durable=True,
              queue_arguments={"x-queue-type": "quorum"})(connection.channel()).declare()
    assert declared(amqp_uri) == [OUTSIDE_INBOX]
    publish_raw(amqp_uri, routing.DOSSIERS_EXCHANGE, OUTSIDE_DOSSIER_KEY, b"{}", message_id="still-routed")
    with Connection(amqp_uri) as connection:
        message = eventually(lambda: connection.channel().basic_get(OUTSIDE_INBOX, no_ack=True))
    assert message.properties["message_id"] == "still-routed"

    vhost = quote(rabbit_config["vhost"], safe="")
    answer = requests.put(
        f"{MANAGEMENT}/api/policies/{vhost}/disputes-inboxes", timeout=10,
        json={"pattern": r"^disputes\..+\.inbox$", "apply-to": "queues",
              "definition": routing.AGENCY_QUEUE_POLICY})
    assert answer.status_code in (201, 204), answer.text
    publish_raw(amqp_uri, routing.DOSSIERS_EXCHANGE, OUTSIDE_DOSSIER_KEY, b"{}",
                message_id="poison-old-queue")
    redeliver_past_the_limit(amqp_uri, [OUTSIDE_INBOX])
    (parked,) = read_parked(amqp_uri, at_least=1, timeout=10.0)
    assert parked.message_id == "poison-old-queue" and parked.parked_by == "labor_inspection"
