"""Per-case order through a failover, on the real broker: what a shard (a quorum queue with a
single active consumer) does with a dead consumer's unsettled deliveries and with a requeued
one, and replicas of a service killed with SIGKILL mid-stream, again and again, still applying
each case's events once and in publish order (docs/design.md, "Ordering per case")."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue
from sqlalchemy import select

from disputes_cli.sandbox import scratch_postgres_databases
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import encode
from disputes_shared.contract.routing import SHARD_QUEUE_ARGUMENTS, case_headers, route
from disputes_shared.plumbing.engine import make_engine

from ..support import replica
from ..support.broker import dead_letters, inbox_depth, send, uri_of
from ..support.metrics import metric_value
from ..support.waiting import eventually
from .test_dead_letters import dossier_envelope, mediation, pending  # noqa: F401 (a fixture)

PREFETCH = 10


@pytest.fixture
def shard(amqp_uri) -> Iterator[tuple[Connection, Queue]]:
    """A queue declared as every shard is (quorum, single active consumer), fed directly."""
    with Connection(amqp_uri) as connection:
        queue = Queue(f"order-{uuid.uuid4().hex[:8]}", exchange=Exchange(""), durable=True,
                      queue_arguments=SHARD_QUEUE_ARGUMENTS)
        queue(connection.channel()).declare()
        yield connection, queue


def publish(connection: Connection, queue: Queue, numbers: range) -> None:
    producer = Producer(connection.channel())
    for number in numbers:
        producer.publish(str(number), routing_key=queue.name, delivery_mode=2)


class Taker:
    """A consumer of the shard that records what it is handed, in order; acks it at once when
    ``settling``."""

    def __init__(self, amqp_uri: str, queue: Queue, settling: bool = False) -> None:
        self.connection = Connection(amqp_uri)
        self.handed: list[Any] = []
        self.settling = settling
        consumer = Consumer(self.connection.channel(), queues=[queue], accept=None,
                            on_message=self.hand)
        consumer.qos(prefetch_count=PREFETCH)
        consumer.consume()

    def take(self, until: Any, timeout: float = 5.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while not until(self.handed) and time.monotonic() < deadline:
            try:
                self.connection.drain_events(timeout=0.1)
            except TimeoutError:
                pass
        return [int(message.body) for message in self.handed]

    def hand(self, message: Any) -> None:
        self.handed.append(message)
        if self.settling:
            message.ack()

    def drop(self) -> None:
        """The connection ends as a killed process's does: no cancel, no close."""
        self.connection.connection.transport.sock.shutdown(socket.SHUT_RDWR)


def test_a_dead_consumers_unsettled_deliveries_go_to_the_next_one_first_and_in_order(amqp_uri, shard):
    """The consumer dies holding its prefetch (some acked, the rest not): the next consumer is
    handed those unsettled first, in their order, then what the queue had not handed out."""
    connection, queue = shard
    settled = 0
    for round_ in range(4):
        publish(connection, queue, range(settled, settled + 3 * PREFETCH))
        active, waiting = Taker(amqp_uri, queue), Taker(amqp_uri, queue, settling=True)
        taken = active.take(lambda handed: len(handed) == PREFETCH)
        assert taken == list(range(settled, settled + PREFETCH))
        for message in active.handed[:round_]:
            message.ack()
        active.drop()
        handed = waiting.take(lambda handed, left=3 * PREFETCH - round_: len(handed) == left)
        assert handed == list(range(settled + round_, settled + 3 * PREFETCH))
        waiting.connection.close()
        settled += 3 * PREFETCH


def test_a_requeued_delivery_comes_back_behind_those_already_handed_out(amqp_uri, shard):
    """Why a consumer never requeues an event to try it again: it comes back after the later
    events of its case already prefetched (and before those the queue still holds)."""
    connection, queue = shard
    publish(connection, queue, range(PREFETCH + 5))
    taker = Taker(amqp_uri, queue)
    taker.take(lambda handed: len(handed) == PREFETCH)
    taker.handed[0].requeue()
    for message in taker.handed[1:]:
        message.ack()
    handed = taker.take(lambda handed: len(handed) == PREFETCH + 1 + 5)
    assert handed == [*range(PREFETCH), 0, *range(PREFETCH, PREFETCH + 5)]
    taker.connection.close()


CASES, PER_CASE, KILLS = 4, 40, 5


def start_replica(amqp_uri: str, database_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.support.replica",
                             uri_of(amqp_uri, Agency.MEDIATION), database_url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def applied_so_far(database_url: str) -> list[Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(replica.applied).order_by(replica.applied.c.ordinal)))
    finally:
        engine.dispose()


def test_replicas_killed_mid_stream_again_and_again_apply_each_cases_events_once_in_order(amqp_uri):
    """Two replicas share the shards and one database; the active one is killed (SIGKILL) while
    it holds deliveries of every case, unsettled and mid-transaction, and started again, five
    times. Every case's events are applied once each, in publish order."""
    with scratch_postgres_databases(["failover"], prefix="it") as urls:
        url = urls["failover"]
        engine = make_engine(url)
        replica.metadata.create_all(engine)
        engine.dispose()
        intake = uri_of(amqp_uri, Agency.INTAKE)
        with Connection(intake) as connection:
            producer = Producer(connection.channel())
            for sequence in range(PER_CASE):
                for case in range(CASES):
                    envelope = dossier_envelope(case_id=f"LD-FAILOVER-{case}",
                                                handoff_id=str(uuid.uuid4()), reason=str(sequence))
                    exchange, routing_key = route(envelope)
                    producer.publish(encode(envelope), exchange=exchange, routing_key=routing_key,
                                     content_type="application/json", content_encoding="utf-8",
                                     delivery_mode=2, message_id=envelope.event_id,
                                     user_id=connection.userid, headers=case_headers(envelope.case_id))
        replicas = [start_replica(amqp_uri, url), start_replica(amqp_uri, url)]
        killed: list[int] = []
        try:
            for _ in range(KILLS):
                # The replica applying now (the active one of the shards) once it has applied a
                # few since the last kill: it holds deliveries of every case, some mid-way.
                since = len(applied_so_far(url))
                latest = eventually(lambda since=since: (len(rows := applied_so_far(url)) >= since + 8
                                                         and rows[-1].replica), timeout=60)
                victim = next(i for i, process in enumerate(replicas) if process.pid == latest)
                replicas[victim].send_signal(signal.SIGKILL)
                replicas[victim].wait()
                killed.append(latest)
                replicas[victim] = start_replica(amqp_uri, url)
            eventually(lambda: len(applied_so_far(url)) >= CASES * PER_CASE, timeout=60)
            eventually(lambda: inbox_depth(amqp_uri, Agency.MEDIATION) == 0)
        finally:
            for process in replicas:
                process.send_signal(signal.SIGKILL)
                process.wait()
        rows = applied_so_far(url)
    assert len(killed) == KILLS and set(killed) < {row.replica for row in rows}  # each killed mid-stream
    for case in range(CASES):
        assert [row.sequence for row in rows if row.case_id == f"LD-FAILOVER-{case}"] \
            == list(range(PER_CASE)), case


def test_an_event_that_comes_after_a_later_one_of_its_case_is_counted_and_applied_as_its_case_allows(
        mediation, amqp_uri):  # noqa: F811 (the fixture)
    """Detection behind the order kept above: each inbox row keeps the publisher's place of its
    event among the case's events; one that arrives below a place already applied is counted,
    logged, and applied as the case's rules allow (here refused: the case is held already)."""
    first = replace(dossier_envelope(case_id="LD-LATE-1"), case_sequence=9)
    late = replace(dossier_envelope(case_id="LD-LATE-1", handoff_id=str(uuid.uuid4())), case_sequence=3)
    send(amqp_uri, first)
    eventually(lambda: len(pending(mediation)) == 1)
    send(amqp_uri, late)
    overtaken = 'disputes_events_overtaken_total{agency="mediation",source_agency="intake"}'
    eventually(lambda: metric_value(mediation, overtaken) == 1.0)
    (parked,) = dead_letters(amqp_uri, 1)
    assert "HandoffRefused" in parked["headers"]["x-parked-reason"]
