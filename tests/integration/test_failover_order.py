"""Per-case order through a failover, on the real broker: what a shard (a quorum queue with a
single active consumer) does with a dead consumer's unsettled deliveries and with a requeued
one, and replicas of a service killed with SIGKILL mid-stream, again and again, still applying
each case's events once and in publish order (docs/design.md, "Ordering per case")."""

from __future__ import annotations

import itertools
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


def start_replica(amqp_uri: str, database_url: str,
                  seconds_per_event: float = 0.005) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.support.replica",
                             uri_of(amqp_uri, Agency.MEDIATION), database_url, str(seconds_per_event)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def publish_cases(amqp_uri: str, prefix: str, cases: int, per_case: int) -> None:
    """``per_case`` dossiers for each of ``cases`` cases (``prefix-N``) to mediation, sent as
    intake sends them, the cases interleaved; each carries its place in its case as reason."""
    with Connection(uri_of(amqp_uri, Agency.INTAKE)) as connection:
        producer = Producer(connection.channel())
        for sequence in range(per_case):
            for case in range(cases):
                envelope = dossier_envelope(case_id=f"{prefix}-{case}",
                                            handoff_id=str(uuid.uuid4()), reason=str(sequence))
                exchange, routing_key = route(envelope)
                producer.publish(encode(envelope), exchange=exchange, routing_key=routing_key,
                                 content_type="application/json", content_encoding="utf-8",
                                 delivery_mode=2, message_id=envelope.event_id,
                                 user_id=connection.userid, headers=case_headers(envelope.case_id))


def assert_applied_once_in_order(rows: list[Any], prefix: str, cases: int, per_case: int) -> None:
    for case in range(cases):
        assert [row.sequence for row in rows if row.case_id == f"{prefix}-{case}"] \
            == list(range(per_case)), case


def applied_so_far(database_url: str) -> list[Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(replica.applied).order_by(replica.applied.c.ordinal)))
    finally:
        engine.dispose()


@contextmanager
def replicas_on_one_database(name: str) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A scratch PostgreSQL database with the replicas' tables, and the list of replica
    processes the test starts on it, killed at the end (before the database is dropped)."""
    with scratch_postgres_databases([name], prefix="it") as urls:
        engine = make_engine(urls[name])
        replica.metadata.create_all(engine)
        engine.dispose()
        processes: list[subprocess.Popen[bytes]] = []
        try:
            yield urls[name], processes
        finally:
            for process in processes:
                process.send_signal(signal.SIGKILL)
                process.wait()


def test_replicas_killed_mid_stream_again_and_again_apply_each_cases_events_once_in_order(amqp_uri):
    """Two replicas share the shards and one database; the active one is killed (SIGKILL) while
    it holds deliveries of every case, unsettled and mid-transaction, and started again, five
    times. Every case's events are applied once each, in publish order."""
    with replicas_on_one_database("failover") as (url, replicas):
        publish_cases(amqp_uri, "LD-FAILOVER", CASES, PER_CASE)
        replicas += [start_replica(amqp_uri, url), start_replica(amqp_uri, url)]
        killed: list[int] = []
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
        rows = applied_so_far(url)
    assert len(killed) == KILLS and set(killed) < {row.replica for row in rows}  # each killed mid-stream
    assert_applied_once_in_order(rows, "LD-FAILOVER", CASES, PER_CASE)


SHARING_CASES, SHARING_PER_CASE = 64, 40


def test_a_replica_that_joins_takes_its_share_of_the_shards_and_each_case_stays_in_order(amqp_uri):
    """One replica applies every shard; a second one starts: the first hands it shards beyond
    its share (half of four), one at a time, while both go on. From then on both apply events,
    each on the shards it holds, and every case's events are applied once each, in publish order
    (a shard changes hands only with none of its deliveries running)."""
    with replicas_on_one_database("sharing") as (url, replicas):
        publish_cases(amqp_uri, "LD-SHARING", SHARING_CASES, SHARING_PER_CASE)
        replicas.append(start_replica(amqp_uri, url, seconds_per_event=0.1))
        eventually(lambda: len(applied_so_far(url)) >= 200, timeout=60)
        joined_at = len(applied_so_far(url))
        replicas.append(start_replica(amqp_uri, url, seconds_per_event=0.1))
        eventually(lambda: len(applied_so_far(url)) >= SHARING_CASES * SHARING_PER_CASE, timeout=180)
        eventually(lambda: inbox_depth(amqp_uri, Agency.MEDIATION) == 0)
        rows = applied_so_far(url)
    first, second = (process.pid for process in replicas)
    assert {row.replica for row in rows[:joined_at]} == {first}
    after = rows[joined_at:]
    by_second = sum(row.replica == second for row in after)
    # The second replica took shards (one shard is about a quarter of the events), and the first
    # went on with its own.
    assert len(after) // 5 <= by_second <= len(after) - len(after) // 5, (by_second, len(after))
    for case in range(SHARING_CASES):
        # A case changed hands at most once, with its shard, between two of its events.
        appliers = [row.replica for row in after if row.case_id == f"LD-SHARING-{case}"]
        assert sum(a != b for a, b in itertools.pairwise(appliers)) <= 1, (case, appliers)
    assert_applied_once_in_order(rows, "LD-SHARING", SHARING_CASES, SHARING_PER_CASE)


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
