"""A platform service's inbox as shards by case: their names, what declares them and how they are
bound, and where a message moved to them was first sent."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.routing import (
    AGENCY_QUEUE_ARGUMENTS,
    CASE_ID_HEADER,
    DOSSIERS_EXCHANGE,
    SERVICE_NAMES,
    SUBSCRIPTIONS,
    case_exchange_name,
    case_headers,
    inbox_queues,
    is_case_exchange,
    is_sharded,
    queue_name,
    shard_names,
)
from disputes_shared.kit.broker import first_sent_to, inbox, inbox_shards

from ..deploy.broker import topology


def test_a_platform_service_has_numbered_shards_and_an_outside_agency_one_inbox():
    assert shard_names(Agency.MEDIATION, 3) == [
        "disputes.mediation.inbox.0", "disputes.mediation.inbox.1", "disputes.mediation.inbox.2"]
    assert inbox_queues(Agency.TRAIL, 2) == shard_names(Agency.TRAIL, 2)
    assert inbox_queues(Agency.LABOR_INSPECTION, 4) == [queue_name(Agency.LABOR_INSPECTION)]
    assert {agency for agency in SUBSCRIPTIONS if is_sharded(agency)} == set(SERVICE_NAMES)


def test_every_shard_is_a_quorum_queue_with_one_active_consumer_behind_the_hash_exchange():
    shards = inbox(Agency.COURTS, 4, declare=False)
    assert [q.name for q in shards] == shard_names(Agency.COURTS, 4)
    for shard in shards:
        assert shard.queue_arguments == {**AGENCY_QUEUE_ARGUMENTS, "x-single-active-consumer": True}
        assert shard.exchange.name == case_exchange_name(Agency.COURTS) == "disputes.courts.by-case"
        assert shard.exchange.type == "x-consistent-hash"
        assert shard.exchange.arguments == {"hash-header": CASE_ID_HEADER}
        assert shard.no_declare
    (single,) = inbox(Agency.LABOR_INSPECTION, 4)
    assert single.queue_arguments == AGENCY_QUEUE_ARGUMENTS and single.name.endswith(".inbox")


def test_every_event_is_published_with_its_case_id_header():
    assert case_headers("LD-1") == {"x-case-id": "LD-1"}


def test_the_shard_count_is_the_deployments(monkeypatch):
    monkeypatch.delenv("DISPUTES_INBOX_SHARDS", raising=False)
    assert inbox_shards() == 4
    monkeypatch.setenv("DISPUTES_INBOX_SHARDS", "9")
    assert inbox_shards() == 9
    monkeypatch.setenv("DISPUTES_INBOX_SHARDS", "0")
    with pytest.raises(ValueError, match="at least 1"):
        inbox_shards()


def test_the_manifests_route_the_topic_exchanges_to_each_hash_exchange_as_the_contract_binds():
    resources = topology()
    queues = {r["spec"]["name"] for r in resources if r["kind"] == "Queue"}
    for agency in SERVICE_NAMES:
        destination = case_exchange_name(agency)
        routed = {(r["spec"]["source"], r["spec"]["routingKey"]) for r in resources
                  if r["kind"] == "Binding" and r["spec"]["destination"] == destination}
        assert routed == {(b.exchange, b.routing_key) for b in SUBSCRIPTIONS[agency]}
        assert all(r["spec"]["destinationType"] == "exchange" for r in resources
                   if r["kind"] == "Binding" and r["spec"]["destination"] == destination)
        assert set(shard_names(agency, 4)) <= queues and queue_name(agency) not in queues
    assert queue_name(Agency.LABOR_INSPECTION) in queues


def delivered(exchange: str, routing_key: str, **headers: str) -> SimpleNamespace:
    return SimpleNamespace(delivery_info={"exchange": exchange, "routing_key": routing_key},
                           headers=headers)


def test_a_message_moved_from_an_older_inbox_is_first_sent_where_its_headers_say():
    key = "handoff.dossier.v1.mediation"
    assert first_sent_to(delivered(DOSSIERS_EXCHANGE, key)) == (DOSSIERS_EXCHANGE, key)
    moved = delivered(case_exchange_name(Agency.MEDIATION), "1", **{
        "x-original-exchange": DOSSIERS_EXCHANGE, "x-original-routing-key": key})
    assert is_case_exchange(moved.delivery_info["exchange"])
    assert first_sent_to(moved) == (DOSSIERS_EXCHANGE, key)
    # Only a hash exchange's delivery defers to the headers: a sender cannot redirect a replay.
    forged = delivered(DOSSIERS_EXCHANGE, key, **{"x-original-exchange": "disputes.events"})
    assert first_sent_to(forged) == (DOSSIERS_EXCHANGE, key)
