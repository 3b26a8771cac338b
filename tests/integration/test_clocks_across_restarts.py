"""Statutory clocks are durable: a service killed while its clocks are pending, then started
again as two replicas over the same database, fires each clock exactly once and publishes it.

Time is a manual clock shared with the containers: the test moves it past the acceptance period
(art. 29) while no service is running."""

from __future__ import annotations

import time
from typing import Any

from kombu import Connection, Exchange, Queue
from nameko.testing.utils import find_free_port
from nameko.timer import timer
from sqlalchemy import select

from arbitration.adapters import SqlArbitrationUnitOfWork, metadata, plumbing
from arbitration.handlers import Arbitration
from arbitration.service import ArbitrationService
from disputes_shared.clocks.statutory import ClockStatus
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.contract.envelope import decode
from disputes_shared.contract.routing import EVENTS_EXCHANGE
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.nameko_deps import Storage
from disputes_shared.plumbing.runner import service_schema
from disputes_shared.ports import apply_once

from ..support.examples import AT, dossier_envelope
from ..support.keys import key_file_config, keys_of
from ..support.signin import identity_config
from ..support.waiting import eventually

CASES = [f"LD-20260302-RESTART{n}" for n in range(3)]


def arbitration_on(clock: ManualClock, ticks: list[float]) -> Any:
    """The service on manual time; ``ticks`` gets an entry each time its clock timer has looked
    for due clocks, so the test waits for ticks instead of sleeping and hoping they happened."""

    class ArbitrationOnManualTime(ArbitrationService):
        storage = Storage(SqlArbitrationUnitOfWork, metadata, plumbing, clock=clock)

        @timer(interval=1)
        def fire_due_clocks(self) -> None:
            super().fire_due_clocks()
            ticks.append(time.monotonic())  # only a tick that looked and fired without failing

    return ArbitrationOnManualTime


def ticked_twice_more(*ticks: list[float]) -> None:
    """Wait (bounded) until each timer has completed two more ticks than it had now."""
    seen = [len(t) for t in ticks]
    eventually(lambda: all(len(t) >= n + 2 for t, n in zip(ticks, seen, strict=True)))


def crash(container: Any) -> None:
    """Kill a container, not a clean stop; then close its database connections as the death
    of its process would."""
    container.kill()
    for extension in container.extensions:
        if isinstance(extension, Storage):
            extension.engine.dispose()


def outbox_events(url: str, event_type: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(plumbing.outbox).where(
                plumbing.outbox.c.event_type == event_type)).mappings().all()
    finally:
        engine.dispose()
    return list(rows)


def test_pending_clocks_fire_once_after_a_kill_and_a_restart_as_two_replicas(
        fresh_database, container_factory, amqp_uri, tmp_path):
    clock = ManualClock(AT)
    first_ticks: list[float] = []
    url = fresh_database("arbitration")
    service_schema(ArbitrationService, metadata).upgrade(url)
    config = {"AMQP_URI": amqp_uri, "DATABASE_URL": url, "serializer": "json",
              "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "MONTHLY_MINIMUM_WAGE": "2100",
              "OPS_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}",
              **key_file_config(tmp_path, "arbitration"), **identity_config()}
    keys = keys_of(config)
    running = container_factory(arbitration_on(clock, first_ticks), config)
    running.start()

    # Three applications received: each starts its 5-working-day acceptance clock.
    engine = make_engine(url)
    logic = Arbitration()
    for case_id in CASES:
        message = dossier_envelope(purpose="arbitration", case_id=case_id, requested_at=AT,
                                   from_agency="mediation")
        apply_once(lambda: SqlArbitrationUnitOfWork(engine, plumbing, clock, keys=keys), "arbitration",
                   message, logic.handle)
    engine.dispose()

    # Watch the broker for the clocks' announcements.
    with Connection(amqp_uri) as connection:
        watch = Queue("test.clock-elapsed", Exchange(EVENTS_EXCHANGE, type="topic", durable=True),
                      routing_key="clock.elapsed.v1.all", durable=False, auto_delete=False)
        watch(connection.default_channel).declare()

    clock.advance(days=3)  # not yet due: the running service fires nothing
    eventually(lambda: len(outbox_events(url, "clock.started")) == 3
               and all(r["published_at"] for r in outbox_events(url, "clock.started")))
    ticked_twice_more(first_ticks)
    assert outbox_events(url, "clock.elapsed") == []

    crash(running)
    clock.advance(days=5)  # due while nothing runs

    replica_ticks: list[list[float]] = [[], []]
    replicas = [container_factory(arbitration_on(clock, ticks), config) for ticks in replica_ticks]
    for replica in replicas:
        replica.start()

    elapsed = eventually(lambda: (rows := outbox_events(url, "clock.elapsed")) and len(rows) >= 3
                         and all(r["published_at"] for r in rows) and rows)
    assert sorted(r["case_id"] for r in elapsed) == CASES

    # Two more ticks of both replicas' timers: nothing fires twice.
    ticked_twice_more(*replica_ticks)
    assert len(outbox_events(url, "clock.elapsed")) == 3
    engine = make_engine(url)
    with engine.connect() as connection:
        statuses = connection.execute(select(plumbing.clocks.c.status)).scalars().all()
    engine.dispose()
    assert sorted(statuses) == [ClockStatus.ELAPSED] * 3
    for replica in replicas:
        crash(replica)  # before the database is dropped

    # Each silence returned its application (art. 29). On the broker each elapsed clock is one
    # event id: two replicas' relays may both send a row before either marks it, and consumers
    # drop the copy by its id (the inbox), as for every event.
    assert len(outbox_events(url, "handoff.returned")) == 3
    published: dict[str, str] = {}
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        while (message := channel.basic_get("test.clock-elapsed", no_ack=True)) is not None:
            event = decode(message.body)
            published[event.event_id] = event.case_id
    assert set(published) == {r["event_id"] for r in elapsed}
    assert sorted(published.values()) == CASES
