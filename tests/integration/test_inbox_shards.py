"""A platform service's inbox is shards by case: every event of a case lands on one shard, the
cases spread over them; with two replicas of a service one is active per shard, and when it
dies the other takes its shards; an older release's single inbox is moved to the shards, and
what is parked from there is replayed where it was first sent."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict

from kombu import Connection, Queue, binding

from disputes_cli import dead_letters as parked_messages
from disputes_cli.broker_setup import drain_single_inboxes
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope, encode
from disputes_shared.contract.routing import (
    AGENCY_QUEUE_ARGUMENTS,
    CASE_ID_HEADER,
    DOSSIERS_EXCHANGE,
    SUBSCRIPTIONS,
    case_exchange_name,
    queue_name,
    route,
)
from disputes_shared.kit.broker import EXCHANGES, declare_topology
from disputes_shared.plumbing.messaging import consume_events
from mediation import adapters
from mediation.service import MediationService

from ..support.broker import (
    dead_letters,
    inbox_of,
    parked_now,
    publish_as,
    queue_depth,
    queue_messages,
    send,
)
from ..support.waiting import eventually
from .test_case_ordering import APPLIED as ORDERED
from .test_case_ordering import RETRIED, RUNNING, apply_slowly
from .test_dead_letters import dossier_envelope, pending

CASES, PER_CASE = 6, 12
SEEN: set[str] = set()  # event ids applied, as a service's inbox keeps them
BY_REPLICA: dict[str, int] = defaultdict(int)
BY_CASE: dict[str, list[tuple[str, int]]] = defaultdict(list)  # (replica, sequence) applied


def applied_once(replica: str, envelope: Envelope) -> str:
    """``apply_slowly`` (which records each case's order, and fails some events once for a
    passing reason), once per event: one the other replica applied and died before acking is
    redelivered here and dropped."""
    if envelope.event_id in SEEN:
        return "duplicate"
    apply_slowly(envelope)
    SEEN.add(envelope.event_id)
    BY_REPLICA[replica] += 1
    BY_CASE[envelope.case_id].append((replica, int(envelope.payload["reason"])))
    return "handled"


class FirstReplica:
    name = "mediation"

    @consume_events(Agency.MEDIATION)
    def on_event(self, envelope: Envelope) -> str:
        return applied_once("first", envelope)


class SecondReplica:
    name = "mediation"

    @consume_events(Agency.MEDIATION)
    def on_event(self, envelope: Envelope) -> str:
        return applied_once("second", envelope)


def one_case_events(case: int, sequence: int) -> Envelope:
    return dossier_envelope(case_id=f"LD-SHARD-{case}", handoff_id=str(uuid.uuid4()),
                            reason=str(sequence))


def test_a_cases_events_land_on_one_shard_and_the_cases_spread_over_the_shards(amqp_uri):
    for sequence in range(3):
        for case in range(12):
            send(amqp_uri, one_case_events(case, sequence))
    shards = inbox_of(Agency.MEDIATION)
    eventually(lambda: sum(queue_depth(amqp_uri, shard) for shard in shards) == 36)
    shard_of: dict[str, set[str]] = defaultdict(set)
    for shard in shards:
        for message in queue_messages(amqp_uri, shard, queue_depth(amqp_uri, shard)):
            shard_of[message.headers[CASE_ID_HEADER]].add(shard)
    assert len(shard_of) == 12 and all(len(found) == 1 for found in shard_of.values())
    assert len(set.union(*shard_of.values())) > 1


def test_one_replica_is_active_per_shard_and_the_other_takes_its_shards_when_it_dies(
        container_factory, rabbit_config, amqp_uri):
    """While one replica holds a shard, the other applies nothing of it, and each case's events
    are applied in publish order; killed, its shards go to the other replica, which applies
    every remaining event, once. (Order through the failover itself: test_failover_order.)"""
    for state in (ORDERED, RETRIED, SEEN, BY_REPLICA, BY_CASE):
        state.clear()
    RUNNING.update(now=0, most=0)
    config = {**rabbit_config, "max_workers": 10, "EVENT_RETRY_DELAYS": [0.05, 0.1]}
    first = container_factory(FirstReplica, config)
    second = container_factory(SecondReplica, config)
    for sequence in range(PER_CASE):
        for case in range(CASES):
            send(amqp_uri, one_case_events(case, sequence))
    first.start()
    second.start()  # the first consumer on each shard is its active one: this one waits
    eventually(lambda: len(SEEN) >= CASES * PER_CASE // 3, timeout=30)
    assert BY_REPLICA["second"] == 0
    first.kill()  # its shards go to the second replica, unsettled deliveries redelivered
    eventually(lambda: len(SEEN) == CASES * PER_CASE, timeout=30)
    assert BY_REPLICA["second"] > 0 and RETRIED
    for case in range(CASES):
        applied = BY_CASE[f"LD-SHARD-{case}"]
        by_first = [n for replica, n in applied if replica == "first"]
        assert by_first == list(range(len(by_first))), case  # in order while it was active
        assert sorted(n for _, n in applied) == list(range(PER_CASE)), case  # each once


def declare_an_older_releases_inbox(amqp_uri: str) -> str:
    """The single queue a service consumed before its inbox was sharded, bound as it was (and
    its shards not yet bound, as before the new release's set-up)."""
    old = queue_name(Agency.MEDIATION)
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for b in SUBSCRIPTIONS[Agency.MEDIATION]:
            channel.exchange_unbind(case_exchange_name(Agency.MEDIATION), b.exchange, b.routing_key)
        Queue(old, durable=True, queue_arguments=AGENCY_QUEUE_ARGUMENTS,
              bindings=[binding(EXCHANGES[b.exchange], routing_key=b.routing_key)
                        for b in SUBSCRIPTIONS[Agency.MEDIATION]])(channel).declare()
    return old


def test_an_older_inbox_is_unbound_and_moved_to_the_shards_where_parking_and_replay_still_work(
        start_service, amqp_uri, agency_uri):
    old = declare_an_older_releases_inbox(amqp_uri)
    taken_in, poison = dossier_envelope(case_id="LD-OLD-1"), dossier_envelope(case_id="LD-OLD-2")
    send(amqp_uri, taken_in)  # the older release's relay set no case id header
    exchange, routing_key = route(poison)
    spoiled = json.loads(encode(poison))
    spoiled["payload"]["purpose"] = "gossip"  # not a purpose the contract knows
    publish_as(amqp_uri, Agency.INTAKE, exchange, routing_key, json.dumps(spoiled),
               message_id=poison.event_id)
    eventually(lambda: queue_depth(amqp_uri, old) == 2)
    assert sum(queue_depth(amqp_uri, shard) for shard in inbox_of(Agency.MEDIATION)) == 0
    with Connection(amqp_uri) as connection:
        declare_topology(connection)  # the new release's set-up: nothing new lands in it
    send(amqp_uri, dossier_envelope(case_id="LD-NEW-1", handoff_id=str(uuid.uuid4())))
    assert queue_depth(amqp_uri, old) == 2

    assert drain_single_inboxes(amqp_uri, agency_uri("operator")) == {old: 2}
    assert drain_single_inboxes(amqp_uri, agency_uri("operator")) == {}  # deleted once empty
    config = start_service(MediationService, adapters.metadata)
    handoffs = eventually(lambda: len(pending(config)) == 2 and pending(config))
    assert {h["case_id"] for h in handoffs} == {"LD-OLD-1", "LD-NEW-1"}
    (parked,) = dead_letters(amqp_uri, 1)
    assert parked["message"].message_id == poison.event_id
    # Parked as sent to the dossiers exchange, not to the shards it was moved through.
    assert parked["message"].original_exchange == DOSSIERS_EXCHANGE
    (replayed,) = parked_messages.replay(agency_uri("operator"), {poison.event_id})
    assert (replayed["exchange"], replayed["routing_key"]) == (DOSSIERS_EXCHANGE, routing_key)
    # Back through the shards to the service, which parks it again, as replayed once.
    eventually(lambda: [m.headers.get("x-replays") for m in parked_now(amqp_uri)] == [1])
