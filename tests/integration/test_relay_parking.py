"""The outbox relay against the real broker: an event no queue is bound for is parked with its
reason; its case's later events wait behind it, other cases' events flow on; once a queue is
bound, the parked event goes first and its case follows in order, each event stamped with its
place among its case's events."""

from __future__ import annotations

from kombu import Connection, Exchange, Queue
from sqlalchemy import select, update

from disputes_shared.clocks.wall import SystemClock
from disputes_shared.contract.routing import CASE_SEQUENCE_HEADER, DOSSIERS_EXCHANGE, EVENTS_EXCHANGE
from disputes_shared.kit.broker import ConfirmedPublisher
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.metrics import PlatformMetrics
from disputes_shared.plumbing.outbox import SqlOutbox
from disputes_shared.plumbing.relay import OutboxRelay
from disputes_shared.plumbing.runner import service_schema
from mediation import adapters
from mediation.service import MediationService

from ..support.examples import delivered, envelope
from ..support.waiting import eventually

NOWHERE = "handoff.dossier.v1.nowhere"  # no queue is bound for it


def test_an_unroutable_event_holds_back_its_case_only(fresh_database, amqp_uri):
    url = fresh_database("mediation")
    service_schema(MediationService, adapters.metadata).upgrade(url)
    engine = make_engine(url)
    table = adapters.plumbing.outbox
    stuck_case, other_case = "LD-20260302-0000000001", "LD-20260302-0000000002"
    stuck = [delivered(envelope(t, case_id=stuck_case)) for t in ("handoff.dossier", "case.closed")]
    flowing = [delivered(envelope(t, case_id=other_case)) for t in ("case.filed", "case.triaged")]
    clock = SystemClock()
    with engine.begin() as connection:
        SqlOutbox(connection, table).add([stuck[0], flowing[0], stuck[1], flowing[1]], clock.now())
        connection.execute(update(table).where(table.c.event_id == stuck[0].event_id)
                           .values(routing_key=NOWHERE))

    with Connection(amqp_uri) as connection:  # a listener on everything the relay sends
        channel = connection.channel()
        watch = Queue("test.relay-watch", bindings=None, durable=False, auto_delete=False)(channel)
        watch.declare()
        for exchange in (EVENTS_EXCHANGE, DOSSIERS_EXCHANGE):
            Exchange(exchange, type="topic", durable=True)(channel).declare()
        channel.queue_bind("test.relay-watch", EVENTS_EXCHANGE, "#")

    publisher = ConfirmedPublisher(amqp_uri)
    metrics = PlatformMetrics("mediation")
    relay = OutboxRelay(engine, table, publisher, metrics, clock, parked_retry_seconds=0.0)
    try:
        while relay.flush() > 0:
            pass
        received = watched(amqp_uri, 2)
        assert [m.properties["message_id"] for m in received] == [e.event_id for e in flowing]
        rows = outbox_rows(engine, table)
        assert "no queue bound" in rows[stuck[0].event_id].last_error
        assert rows[stuck[1].event_id].published_at is None  # waits behind the parked one
        assert rows[stuck[1].event_id].attempts == 0
        assert metrics.outbox_parked.labels("mediation")._value.get() == 1

        with Connection(amqp_uri) as connection:  # an operator binds the missing queue
            channel = connection.channel()
            channel.queue_bind("test.relay-watch", DOSSIERS_EXCHANGE, NOWHERE)
        eventually(lambda: relay.flush() == 2, timeout=10.0)
        received = watched(amqp_uri, 2)
        assert [m.properties["message_id"] for m in received] == [e.event_id for e in stuck]
        # Each stamped with its place among its case's events: its outbox row, in send order.
        places = [m.headers[CASE_SEQUENCE_HEADER] for m in received]
        assert places == [rows[e.event_id].id for e in stuck] and places == sorted(places)
        assert metrics.outbox_parked.labels("mediation")._value.get() == 0
    finally:
        publisher.close()
        engine.dispose()


def watched(amqp_uri: str, expected: int) -> list:
    taken: list = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()

        def take() -> bool:
            message = channel.basic_get("test.relay-watch", no_ack=True)
            if message is not None:
                taken.append(message)
            return len(taken) >= expected

        eventually(take, timeout=10.0)
    return taken


def outbox_rows(engine, table) -> dict:
    with engine.connect() as connection:
        return {row.event_id: row for row in connection.execute(select(table))}
