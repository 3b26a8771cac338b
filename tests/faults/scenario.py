"""One fault run: thousands of synthetic cases through a sandbox platform on a private broker,
faults at random moments, then the counts that say whether anything was lost or done twice.

The faults are functions of a ``Run``; a greenthread of their own strikes with each in turn at
a random moment (once a random share of the cases has ended) while the simulated staff keep
working (and, where a run asks, more claims are filed as cases end), so every fault strikes
work in flight.
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import random
import signal
import sqlite3
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import eventlet
import requests
from kombu import Connection, Exchange, Queue
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, insert, make_url, text, update
from sqlalchemy.engine import Connection as DatabaseConnection
from sqlalchemy.pool import NullPool

from disputes_cli import local
from disputes_cli.demo import staff_round
from disputes_cli.platform import RECEIVING_SERVICES, Platform
from disputes_cli.staff import Action, Staff
from disputes_cli.synthetic import PlannedCase, planned_cases
from disputes_shared.contract.agencies import Agency, broker_user
from disputes_shared.contract.routing import (
    DELIVERY_LIMIT,
    DOSSIERS_EXCHANGE,
    EVENTS_EXCHANGE,
    SUBSCRIPTIONS,
    events_sent_by,
    inbox_queues,
    queue_name,
)
from disputes_shared.kit.broker import as_user, inbox_shards, read_parked
from disputes_shared.plumbing.config import SERVICE_NAMES
from disputes_shared.plumbing.engine import DatabaseTimeouts, make_engine
from disputes_shared.plumbing.locks import LockSpace, lock
from disputes_shared.ports import case_lock_name
from tests.support.case_paths import AID_MOVES, EXPECTED_MOVES, FACTS
from trail.adapters import CHAIN_END

from .private_broker import PrivateBroker
from .private_postgres import PrivatePostgres

Fault = Callable[["Run"], str]  # does its harm, says what it did


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"faults: {time.monotonic() - STARTED:6.1f}s {message}", flush=True)


@dataclass
class StaffKeepingAReserve(Staff):
    """The simulated staff, except that they leave a reserve of cases where they stand while
    ``holding``: the last cases of a run end within seconds of each other, and a fault that
    takes seconds of its own would otherwise find an idle platform. The reserve goes on once
    the last fault has struck, so it also shows the platform working after every fault."""

    reserve: set[str] = field(default_factory=set)
    holding: bool = True

    def held(self, case_id: str) -> bool:
        return self.holding and case_id in self.reserve

    def answer_handoff(self, service: str, handoff: dict[str, Any]) -> Action | None:
        return None if self.held(handoff["case_id"]) else super().answer_handoff(service, handoff)

    def hold_consultation(self, claim: dict[str, Any]) -> Action | None:
        return None if self.held(claim["case_id"]) else super().hold_consultation(claim)

    def next_step(self, service: str, case: dict[str, Any]) -> Action | None:
        return None if self.held(case["case_id"]) else super().next_step(service, case)


@dataclass
class Run:
    broker: PrivateBroker
    env: dict[str, str]
    rng: random.Random
    postgres: PrivatePostgres | None = None  # the services' databases are on it, else SQLite files
    database_urls: dict[str, str] = field(default_factory=dict)
    plans: dict[str, PlannedCase] = field(default_factory=dict)
    ended: set[str] = field(default_factory=set)
    injected: dict[str, str] = field(default_factory=dict)  # bad message id -> kind
    duplicates_sent: int = 0
    faults_done: list[str] = field(default_factory=list)
    struck_in_flight: list[int] = field(default_factory=list)  # cases not yet ended, per fault
    work_over: bool = False  # the staff stopped (every case ended, or time ran out)
    poisoned: set[str] = field(default_factory=set)  # ids of messages a consumer crash-looped on
    # The unroutable event: its case's later events held back / published past it; other
    # cases' events published meanwhile (see ``unroutable_event``).
    unroutable: dict[str, int] = field(default_factory=dict)
    live_during_lock: list[tuple[int, int]] = field(default_factory=list)  # (answered, probes)
    # Per replica of the service whose case was held: what it did while held (see
    # ``work_done``), and the replicas that had a transaction waiting on the held case.
    done_during_lock: dict[str, Counter[str]] = field(default_factory=dict)
    waited_on_lock: set[str] = field(default_factory=set)
    clocks_made_due: list[str] = field(default_factory=list)  # ids (see ``clocks_come_due``)
    staff: StaffKeepingAReserve = field(init=False)

    def __post_init__(self) -> None:
        self.staff = StaffKeepingAReserve(self.plans)

    def in_flight(self) -> int:
        return len(self.plans) - len(self.ended)

    def strike(self) -> int:
        """A fault strikes now: the cases in flight, recorded so the counts show that it found
        work to harm."""
        self.struck_in_flight.append(self.in_flight())
        return self.struck_in_flight[-1]

    def database(self, service: str) -> Path:
        return Path(self.env["DISPUTES_DATA_DIR"]) / f"{service}.db"


def query(run: Run, service: str, sql: str) -> list[Any]:
    """Rows of ``sql`` on a service's own database (a SQLite file opened read-only, or its
    PostgreSQL database), to count what it holds."""
    if service in run.database_urls:
        url = make_url(run.database_urls[service]).set(drivername="postgresql+psycopg2")
        engine = create_engine(url, poolclass=NullPool)
    else:
        engine = create_engine(f"sqlite:///file:{run.database(service)}?mode=ro&uri=true",
                               connect_args={"timeout": 30}, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


def platform_agencies() -> list[Agency]:
    """The agencies whose services run here (an outside system's queue, such as labor
    inspection's, has no consumer in the sandbox)."""
    return [a for a in SUBSCRIPTIONS if a in SERVICE_NAMES]


# -- faults ------------------------------------------------------------------------------------


def kill_and_restart(service: str, sig: signal.Signals = signal.SIGKILL) -> Fault:
    """``kill -9`` (or, with SIGTERM, a clean stop: nameko finishes running workers and the
    relay publishes what they committed) of the service's replica that applies most of its
    events (the one the broker made active on its inbox's shards: another replica, if there is
    one, must take them over), then that replica started again, as an orchestrator does."""
    def fault(run: Run) -> str:
        name = busiest_replica(service)
        pid = local.pid_of(name)
        assert pid is not None, f"{name} was not running before the fault"
        in_flight = run.strike()
        os.kill(pid, sig)
        deadline = time.monotonic() + 60
        while local.pid_of(name) and time.monotonic() < deadline:
            eventlet.sleep(0.1)
        if local.pid_of(name):
            raise RuntimeError(f"{name} did not stop on {sig.name}")
        eventlet.sleep(run.rng.uniform(0.5, 3.0))
        if local.up(start_broker=False, migrate=False) != 0:
            raise RuntimeError(f"{name} did not come back after {sig.name}; the end of its log:\n"
                               + log_tail(name))
        return f"{'kill -9' if sig == signal.SIGKILL else sig.name} {name} ({in_flight} in flight)"
    return fault


def log_tail(name: str, lines: int = 40) -> str:
    """The last lines a process wrote, for a failure's message: the sandbox, and its logs, are
    removed afterwards."""
    try:
        return "\n".join(local.var("log", f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


# The staff's listings, read every round from every replica: not work done on a case.
LISTINGS = frozenset({"pending_handoffs", "open_cases", "consultations_pending", "case_states"})


def work_done(name: str) -> Counter[str]:
    """What one process (a service's replica) has done since it started, from its /metrics:
    events it applied (``deliveries``) and commands it carried out (``commands``)."""
    exposition = requests.get(f"http://127.0.0.1:{local.health_port_of(name)}/metrics", timeout=10)
    exposition.raise_for_status()
    done = Counter[str]()
    for family in text_string_to_metric_families(exposition.text):
        for sample in family.samples:
            if sample.name == "disputes_events_handled_total" and sample.labels["outcome"] == "handled":
                done["deliveries"] += int(sample.value)
            elif sample.name == "disputes_rpc_calls_total" and sample.labels["outcome"] == "ok" \
                    and sample.labels["method"] not in LISTINGS:
                done["commands"] += int(sample.value)
    return done


def busiest_replica(service: str) -> str:
    replicas = local.replicas_of(service)
    if len(replicas) == 1:
        return replicas[0]
    return max(replicas, key=lambda name: work_done(name)["deliveries"])


def restart_broker(run: Run) -> str:
    in_flight = run.strike()
    run.broker.restart(down_seconds=run.rng.uniform(2.0, 6.0))
    return f"RabbitMQ stopped and restarted ({in_flight} in flight)"


def restart_postgres(run: Run) -> str:
    """The services' PostgreSQL server shut down (every connection cut) for longer than the
    retries of the old schedule lasted, then started again."""
    assert run.postgres is not None, "no PostgreSQL under this run"
    in_flight = run.strike()
    down = run.rng.uniform(10.0, 25.0)
    run.postgres.restart(down_seconds=down)
    return f"PostgreSQL stopped for {down:.0f}s and restarted ({in_flight} in flight)"


def lock_databases(seconds: float) -> Fault:
    """Every service's database locked against writers at once, longer than a writer waits
    (SQLite's busy timeout of 15 s), so handlers and staff commands fail and are retried."""
    def fault(run: Run) -> str:
        assert run.postgres is None, "the lock fault holds SQLite files; PostgreSQL is restarted instead"
        in_flight = run.strike()
        holders = []
        for service in SERVICE_NAMES.values():
            db = sqlite3.connect(run.database(service), timeout=30, isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            holders.append(db)
        try:
            eventlet.sleep(seconds)
        finally:
            for db in holders:
                db.execute("ROLLBACK")
                db.close()
        return f"all {len(holders)} databases locked for {seconds:.0f}s ({in_flight} in flight)"
    return fault


def as_agency(run: Run, agency: str) -> str:
    """The private broker as an agency's own user, whose password the set-up kept."""
    password = Path(run.env["DISPUTES_STATE_DIR"], "broker-users", agency).read_text().strip()
    return as_user(run.broker.amqp_uri, broker_user(agency), password)


def inject_bad_messages(per_kind: int, duplicates: int) -> Fault:
    """Malformed, truncated and wrong-version messages straight onto every agency's queue, and
    real events (copies the witness queue kept) published a second time."""
    def fault(run: Run) -> str:
        in_flight = run.strike()
        bodies = published_events(run)
        queues = [queue for a in platform_agencies() for queue in inbox_queues(a, inbox_shards())]
        with Connection(run.broker.amqp_uri) as connection:
            producer = connection.Producer()
            for _ in range(per_kind):
                for kind, body in bad_bodies(run.rng, bodies):
                    message_id = f"bad-{kind}-{uuid.uuid4()}"
                    run.injected[message_id] = kind
                    producer.publish(body, exchange="", routing_key=run.rng.choice(queues),
                                     message_id=message_id, delivery_mode=2,
                                     content_type="application/json", content_encoding="utf-8")
        for row in run.rng.sample(bodies, min(duplicates, len(bodies))):
            # Sent again by the agency that sent it first (a consumer parks an event that another
            # user sends in an agency's name), as a relay re-sends after a crash.
            sender = as_agency(run, json.loads(row["body"])["source_agency"])
            with Connection(sender) as connection:
                connection.Producer().publish(
                    row["body"], exchange=row["exchange"], routing_key=row["routing_key"],
                    message_id=row["event_id"], delivery_mode=2, user_id=connection.userid,
                    content_type="application/json", content_encoding="utf-8")
            run.duplicates_sent += 1
        return (f"{len(run.injected)} bad messages and {run.duplicates_sent} duplicates injected "
                f"({in_flight} in flight)")
    return fault


def poison_redelivered(count: int) -> Fault:
    """Messages on which a consumer crashes every time: an outside agency's consumer (labor
    inspection's queue, which no sandbox service reads) takes each and dies before settling it,
    again and again. Past the delivery limit the broker must park them, never drop them."""
    def fault(run: Run) -> str:
        in_flight = run.strike()
        queue = queue_name(Agency.LABOR_INSPECTION)
        with Connection(run.broker.amqp_uri) as connection:
            producer = connection.Producer()
            for _ in range(count):
                message_id = f"poison-{uuid.uuid4()}"
                run.poisoned.add(message_id)
                producer.publish(b"\xff\xfe poison", exchange="", routing_key=queue,
                                 message_id=message_id, delivery_mode=2,
                                 content_type="application/octet-stream")
        handed_out, deadline = 0, time.monotonic() + 120
        while time.monotonic() < deadline:
            with Connection(run.broker.amqp_uri) as connection:
                channel = connection.channel()
                taken = 0
                while channel.basic_get(queue, no_ack=False) is not None:
                    taken += 1
            # The connection closed with every message unsettled: all go back, one delivery more.
            handed_out += taken
            if taken == 0:
                break
            eventlet.sleep(0.05)
        return (f"{count} poison messages handed out {handed_out} times to a consumer that "
                f"crashes on them (limit {DELIVERY_LIMIT}) ({in_flight} in flight)")
    return fault


NOWHERE = "handoff.dossier.v1.nowhere"  # no queue is bound for it until the fault mends it
WITNESS = "disputes.faults.nowhere"


def unroutable_event(run: Run) -> str:
    """An event no queue is bound for, a dossier, committed for one case in flight in the outbox
    of every service that hands cases on (only those may send dossiers: the broker refuses the
    others'): each relay parks it; that case's later events must wait behind it while every
    other case flows on. Then an operator binds a queue for it: it goes, and the case after it.

    The case is one of the staff's reserve, released once its unroutable event is committed: it
    stood still until then, so it has later events for sure and every one comes after (a case
    picked from those in flight may have nothing left to do for the whole wait)."""
    in_flight = run.strike()
    case_id = run.rng.choice(sorted(run.staff.reserve - run.ended))
    stuck: dict[str, int] = {}
    for agency, service in SERVICE_NAMES.items():
        outbox = importlib.import_module(f"{service}.adapters").plumbing.outbox
        if outbox is None or "handoff.dossier" not in events_sent_by(agency):
            continue  # the trail publishes nothing; analytics sends no dossier
        engine = outbox_writer(run, service)
        try:
            with engine.begin() as connection:
                stuck[service] = connection.execute(insert(outbox).values(
                    event_id=str(uuid.uuid4()), event_type="fault.unroutable", case_id=case_id,
                    exchange=DOSSIERS_EXCHANGE, routing_key=NOWHERE,
                    body=json.dumps({"case_id": case_id, "causation_id": None}),
                    created_at=datetime.now(UTC), attempts=0)).inserted_primary_key[0]
        finally:
            engine.dispose()
    run.staff.reserve.discard(case_id)
    started, deadline = time.monotonic(), time.monotonic() + 90
    while time.monotonic() < deadline:  # until the case has had later events held back
        run.unroutable = behind_the_unroutable(run, stuck, case_id)
        if run.unroutable["held"] and run.unroutable["parked"] == len(stuck) \
                and time.monotonic() - started >= 10:
            break
        eventlet.sleep(1)
    held_for = time.monotonic() - started
    with Connection(run.broker.amqp_uri) as connection:  # the operator binds the missing queue
        witness = Queue(WITNESS, Exchange(DOSSIERS_EXCHANGE, type="topic", durable=True),
                        routing_key=NOWHERE, durable=True)
        witness(connection.channel()).declare()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and behind_the_unroutable(run, stuck, case_id)["parked"]:
        eventlet.sleep(1)
    after = behind_the_unroutable(run, stuck, case_id)
    run.unroutable["parked_after_mending"] = after["parked"]
    return (f"an unroutable event in all {len(stuck)} outboxes for one case: "
            f"{run.unroutable['held']} later event(s) of its case held back for {held_for:.0f}s, "
            f"{run.unroutable['overtook']} overtook it, {run.unroutable['flowed']} of other "
            f"cases flowed; a queue bound, {after['parked']} still parked ({in_flight} in flight)")


def outbox_writer(run: Run, service: str) -> Any:
    if service in run.database_urls:
        return make_engine(run.database_urls[service])
    return make_engine(f"sqlite:///{run.database(service)}")


def behind_the_unroutable(run: Run, stuck: dict[str, int], case_id: str) -> dict[str, int]:
    counts = Counter[str]()
    for service, row_id in stuck.items():
        (parked,) = query(run, service, f"SELECT count(*) FROM outbox WHERE id = {row_id} "
                                        "AND published_at IS NULL AND last_error IS NOT NULL")[0]
        counts["parked"] += parked
        for case, published in query(run, service, f"SELECT case_id, published_at IS NOT NULL "
                                                   f"FROM outbox WHERE id > {row_id}"):
            if case == case_id:
                counts["overtook" if published else "held"] += 1
            elif published:
                counts["flowed"] += 1
    return {key: counts[key] for key in ("parked", "held", "overtook", "flowed")}


def hold_a_lock(seconds: float, among: Collection[str] | None = None) -> Fault:
    """A transaction stalled for ``seconds`` holding a lock a service's work waits on (see
    ``hold_work``), in a service drawn at random, or the one of ``among`` that committed most
    in the last seconds (the stages cases are in move on as the run goes): the transactions
    that need it give up at the lock timeout and are retried, every replica's liveness answers
    all the while, every replica goes on with other cases, and the service recovers when the
    lock goes. Records what each replica did meanwhile and which had a transaction waiting on
    the lock."""
    def fault(run: Run) -> str:
        assert run.postgres is not None, "the lock is PostgreSQL's"
        in_flight = run.strike()
        service = busiest_now(run, among) if among else run.rng.choice(sorted(run.database_urls))
        if service != "trail" and not query(run, service, "SELECT 1 FROM outbox LIMIT 1"):
            service = "trail"  # nothing of its own published yet: hold the chain
        # The server must not end it as idle before the minute is up.
        engine = make_engine(run.database_urls[service], DatabaseTimeouts(idle_in_transaction=0))
        replicas = local.replicas_of(service)
        answered = probes = 0
        staff_case = None
        try:
            with engine.begin() as held:
                what, staff_case = hold_work(run, held, service)
                before = {name: work_done(name) for name in replicas}
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    for name in replicas:
                        probes += 1
                        try:
                            live = requests.get(
                                f"http://127.0.0.1:{local.health_port_of(name)}/health/live", timeout=5)
                            answered += live.status_code == 200
                        except requests.RequestException:
                            pass
                    waiting = waiting_on_a_lock(run, service)
                    run.waited_on_lock |= waiting
                    if waiting and staff_case:
                        # Seen waiting: the staff turn to their other cases until the lock goes,
                        # rather than lose each round to a command that waits on it.
                        run.staff.reserve.add(staff_case)
                    eventlet.sleep(2)
                run.done_during_lock = {name: work_done(name) - before[name] for name in replicas}
        finally:
            engine.dispose()
            if staff_case:
                run.staff.reserve.discard(staff_case)
        run.live_during_lock.append((answered, probes))
        done = ", ".join(f"{name} {d['deliveries']} events + {d['commands']} commands"
                         for name, d in run.done_during_lock.items())
        return (f"{what} held in {service}'s database by a transaction stalled for {seconds:.0f}s: "
                f"waited on by {', '.join(sorted(run.waited_on_lock)) or 'none'}; meanwhile "
                f"{done}; alive {answered}/{probes} probes ({in_flight} in flight)")
    return fault


def hold_work(run: Run, held: DatabaseConnection, service: str,
              within: float = 30.0) -> tuple[str, str | None]:
    """Take, in ``held``'s transaction, a lock that ``service``'s work is to wait on; returns
    what is held, and the case if it is one its staff act on.

    Where staff work the service's cases, one they act on at their next round, so a command of
    theirs is certain to wait on it (the case it published an event for last may have nothing
    left there): its lock taken, then the case checked to be still on their list (nothing of it
    changes in the service without its lock), else given back. On the trail, the chain's end,
    which every append waits on. Otherwise, or when no such case comes within ``within``
    seconds, the case the service published an event for last."""
    if service == "trail":
        lock(held, LockSpace.SEQUENCER, CHAIN_END)
        return "the trail chain", None
    if service in RECEIVING_SERVICES:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            listed = staff_work(run, service)
            for case_id in run.rng.sample(listed, min(3, len(listed))):
                with held.begin_nested() as attempt:
                    lock(held, LockSpace.KEY, case_lock_name(case_id))
                    if case_id in staff_work(run, service):
                        return "a case its staff act on next", case_id
                    attempt.rollback()  # it moved on meanwhile: its lock given back
            eventlet.sleep(1)
    ((newest,),) = query(run, service, "SELECT case_id FROM outbox ORDER BY id DESC LIMIT 1")
    lock(held, LockSpace.KEY, case_lock_name(newest))
    return "the case it published an event for last", None


def staff_work(run: Run, service: str) -> list[str]:
    """The cases of ``service`` its staff act on at their next round (those with a next step);
    none while it does not answer (back from an earlier fault, say: the caller asks again)."""
    try:
        with Platform(timeout=20) as platform:
            cases = platform.call(service, "open_cases")
    except Exception as exc:  # as a staff round that fails is tried again
        log(f"{service} did not list its cases ({type(exc).__name__}: {str(exc)[:120]})")
        return []
    return [case["case_id"] for case in cases if run.staff.next_step(service, case)]


def busiest_now(run: Run, services: Collection[str], seconds: float = 15.0) -> str:
    """Of ``services``, the one with most events committed in the last ``seconds``."""
    return max(sorted(services), key=lambda service: query(
        run, service, f"SELECT count(*) FROM outbox WHERE created_at > "  # naive UTC times
                      f"(now() AT TIME ZONE 'UTC') - interval '{seconds:.0f} seconds'")[0][0])


def waiting_on_a_lock(run: Run, service: str) -> set[str]:
    """The processes (by the name each gives its database sessions) with a transaction waiting
    on an advisory lock in ``service``'s database now."""
    return {name for (name,) in query(run, service, """
        SELECT DISTINCT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE a.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted
              AND a.application_name <> ''""")}


def clocks_come_due(count: int, within: float = 60.0) -> Fault:
    """Mediation's art. 14 clocks (15 days without agreement) made due as soon as they run, as
    if the days had passed, until ``count`` have been (or ``within`` seconds have gone: each
    runs only from a station's acceptance to its staff's next step): every replica's keeper
    looks each second, and each clock must fire once (one ``clock.elapsed``, one
    ``mediation.arbitration_offered``), whichever replica fires it. The offer is a fact beside
    the case's path, which goes on as planned."""
    def fault(run: Run) -> str:
        in_flight = run.strike()
        clocks = importlib.import_module("mediation.adapters").plumbing.clocks
        engine = outbox_writer(run, "mediation")
        deadline = time.monotonic() + within
        try:
            while len(run.clocks_made_due) < count and time.monotonic() < deadline:
                running = (clocks.select().with_only_columns(clocks.c.clock_id)
                           .where(clocks.c.status == "running",
                                  clocks.c.kind == "mediation_without_agreement",
                                  clocks.c.clock_id.not_in(run.clocks_made_due))
                           .limit(count - len(run.clocks_made_due)))
                with engine.begin() as connection:
                    run.clocks_made_due += connection.execute(
                        update(clocks).where(clocks.c.clock_id.in_(running.scalar_subquery()))
                        .values(due_at=datetime.now(UTC)).returning(clocks.c.clock_id)).scalars()
                eventlet.sleep(0.5)
        finally:
            engine.dispose()
        return (f"{len(run.clocks_made_due)} of mediation's running art. 14 clocks made due "
                f"({in_flight} in flight)")
    return fault


def bad_bodies(rng: random.Random, published: list[dict[str, Any]]) -> list[tuple[str, str]]:
    body = rng.choice(published)["body"]
    wrong_version = json.loads(body)
    wrong_version["schema_version"] = "7.0"
    wrong_version["event_id"] = str(uuid.uuid4())
    return [
        ("malformed", "{this is not json"),
        ("truncated", body[: rng.randrange(1, len(body) - 1)]),
        ("wrong-version", json.dumps(wrong_version)),
    ]


SENT_WITNESS = "disputes.faults.sent"
SENT_KEPT = 1000


def witness_sent_events(run: Run) -> None:
    """A queue that keeps copies of the last case events published: the outboxes keep no
    payload once the broker has an event, so duplicates of real events are taken from here."""
    with Connection(run.broker.amqp_uri) as connection:
        witness = Queue(SENT_WITNESS, Exchange(EVENTS_EXCHANGE, type="topic", durable=True),
                        routing_key="case.#", durable=True, queue_arguments={"x-max-length": SENT_KEPT})
        witness(connection.channel()).declare()


def published_events(run: Run) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with Connection(run.broker.amqp_uri) as connection:
        channel = connection.channel()
        while len(rows) < SENT_KEPT and (message := channel.basic_get(SENT_WITNESS, no_ack=True)):
            rows.append({"event_id": message.properties["message_id"],
                         "exchange": message.delivery_info["exchange"],
                         "routing_key": message.delivery_info["routing_key"],
                         "body": message.body if isinstance(message.body, str)
                         else message.body.decode("utf-8")})
    if not rows:
        raise RuntimeError("no published event to copy yet")
    return rows


# -- the run -----------------------------------------------------------------------------------


def file_claims(run: Run, plans: Iterable[PlannedCase]) -> None:
    """File each claim over HTTP, as workers would: a refused connection or a 5xx is tried
    again, on the next intake replica; only a 201 counts as filed."""
    # Spread over intake's replicas, as a load balancer would.
    urls = [f"http://127.0.0.1:{local.port_of(name)}/v1/claims" for name in local.replicas_of("intake")]
    session = requests.Session()

    def file_one(number: int, plan: PlannedCase) -> tuple[str, PlannedCase]:
        for attempt in range(20):
            try:
                response = session.post(urls[(number + attempt) % len(urls)], json=plan.claim, timeout=60)
            except requests.RequestException:
                eventlet.sleep(1)
                continue
            if response.status_code == 201:
                return response.json()["case_id"], plan
            if response.status_code < 500:
                raise AssertionError(f"intake refused a valid claim: {response.text}")
            eventlet.sleep(1)
        raise AssertionError("intake did not take a claim after 20 tries")

    pool = eventlet.GreenPool(8)
    run.plans.update(pool.imap(file_one, itertools.count(len(run.plans)), plans))


def keep_filing(run: Run, plans: Iterator[PlannedCase], in_flight: int, until: Callable[[], bool],
                deadline: float) -> None:
    """File more of ``plans`` whenever fewer than ``in_flight`` cases are, until ``until()`` (or
    the deadline): however fast the platform ends cases, work keeps coming."""
    while not until() and time.monotonic() < deadline:
        if (short := in_flight - run.in_flight()) > 0:
            file_claims(run, itertools.islice(plans, short))
        eventlet.sleep(1)


def finished(state: dict[str, Any] | None) -> bool:
    return bool(state) and state["state"] == "closed" and state["aid_state"] in (  # type: ignore[index]
        "none", "granted", "refused", "returned")


def work_cases(run: Run, deadline: float) -> None:
    """Act as every agency's staff until every case has ended or time is up. A round that fails
    (a service restarting, the broker away) is simply tried again with a fresh client."""
    reported = time.monotonic()
    while time.monotonic() < deadline:
        try:
            with Platform(timeout=20) as platform:
                while time.monotonic() < deadline:
                    staff_round(platform, run.staff)
                    still_open = [c for c in run.plans if c not in run.ended]
                    states = platform.call("trail", "case_states", still_open)
                    run.ended |= {c for c in still_open if finished(states.get(c))}
                    if len(run.ended) == len(run.plans):
                        return
                    if time.monotonic() - reported > 15:
                        log(f"{len(run.ended)} of {len(run.plans)} cases ended")
                        reported = time.monotonic()
                    eventlet.sleep(0.2)
        except Exception as exc:  # the platform is in the middle of a fault: try again
            log(f"staff round failed ({type(exc).__name__}: {str(exc)[:120]}); trying again")
            eventlet.sleep(1)


def run_scenario(name: str, count: int, seed: int, faults: list[Fault], timeout: float,
                 on_postgres: bool = False, replicas: int = 1,
                 at_start: list[Fault] | None = None, keep_in_flight: int = 0) -> dict[str, Any]:
    """File ``count`` claims, strike with each fault in turn at random moments while the staff
    work the cases (those ``at_start`` first, as soon as the claims are filed), then count. The
    services' databases are SQLite files, or with ``on_postgres`` databases on a PostgreSQL
    server of the run's own; each service runs as ``replicas`` processes (on PostgreSQL only).
    With ``keep_in_flight``, more claims (twice ``count`` more at the most) are filed whenever
    fewer cases than that are in flight, until the last fault has ended: on a machine that ends
    cases fast, the first ones would be over before the last faults strike. Returns the row of
    the results table."""
    from disputes_cli.sandbox import sandbox_platform, scratch_postgres_databases

    rng = random.Random(seed)
    broker = PrivateBroker()
    try:
        broker.start()
        room_for_every_case(count + keep_in_flight, broker.root)  # more are filed only as some end
        keep = bool(os.environ.get("DISPUTES_FAULT_KEEP_STATE"))
        with ExitStack() as stack:
            postgres, database_urls = None, {}
            if on_postgres:
                postgres = PrivatePostgres()
                stack.callback(postgres.close)
                postgres.start()
                database_urls = stack.enter_context(scratch_postgres_databases(
                    SERVICE_NAMES.values(), prefix="faults", admin=postgres.admin_url))
            env = stack.enter_context(sandbox_platform(
                amqp_uri=broker.amqp_uri, management=broker.management_url, keep_state=keep,
                database_urls=database_urls or None, replicas=replicas))
            run = Run(broker=broker, env=env, rng=rng, postgres=postgres, database_urls=database_urls)
            witness_sent_events(run)
            log(f"{name}: services' logs and databases in {env['DISPUTES_STATE_DIR']}"
                + ("" if keep else " (removed afterwards)"))
            started = time.monotonic()
            plans = iter(planned_cases(3 * count if keep_in_flight else count, seed))
            file_claims(run, itertools.islice(plans, count))
            log(f"{name}: {len(run.plans)} claims filed in {time.monotonic() - started:.0f}s")

            # Each fault strikes once a random share of the cases has ended, so faults find
            # cases early in their lives and late (in arbitration, in court), not only at filing.
            # Half at the most: the last cases end within seconds of each other, and a fault
            # takes seconds of its own, so a later share would find no work left to harm.
            moments = [0.0] * len(at_start or []) + sorted(rng.uniform(0.0, 0.5) for _ in faults)
            faults = [*(at_start or []), *faults]

            run.staff.reserve = set(rng.sample(sorted(run.plans), max(1, len(run.plans) // 50)))

            def strike() -> None:
                try:
                    for fault, share in zip(faults, moments, strict=True):
                        eventlet.sleep(rng.uniform(0.0, 1.0))
                        while not run.work_over and len(run.ended) < share * len(run.plans):
                            eventlet.sleep(0.2)
                        run.faults_done.append(fault(run))
                        log(f"{name}: {run.faults_done[-1]}")
                finally:
                    run.staff.holding = False

            striker = eventlet.spawn(strike)
            filer = eventlet.spawn(keep_filing, run, plans, keep_in_flight,
                                   lambda: striker.dead or run.work_over, started + timeout)
            work_cases(run, started + timeout)
            run.work_over = True
            striker.wait()  # every fault done (and raised, had one failed)
            filer.wait()
            if len(run.plans) > count:
                log(f"{name}: {len(run.plans) - count} more claims filed while the faults struck")
            if len(run.ended) < len(run.plans):  # the last fault may have struck at the end
                work_cases(run, time.monotonic() + 120)
            row = count_outcome(name, run)
            row["seconds"] = round(time.monotonic() - started)
            return row
    finally:
        os.environ.pop("DISPUTES_STATIONS_FILE", None)
        broker.close()


def room_for_every_case(count: int, folder: Path) -> None:
    """The scenarios file every claim within seconds, far more than the shipped stations hold at
    once; a full station returns a case, which sends it down another path than the one planned.
    Faults are what is under test here, so the stations get room for every case."""
    from disputes_shared.contract.stations import stations

    directory = [{**vars(s), "industries": list(s.industries), "capacity": max(s.capacity, count)}
                 for s in stations()]
    path = folder / "stations.json"
    path.write_text(json.dumps(directory, ensure_ascii=False), "utf-8")
    os.environ["DISPUTES_STATIONS_FILE"] = str(path)


# -- counting ----------------------------------------------------------------------------------


def trail_verdict(run: Run) -> str:
    """``disputes verify`` on the run's trail, which every replica of the trail appended to
    through the faults: "intact", or where and why it is not."""
    from trail.audit import verify_database
    from trail.signing import public_path

    url = run.database_urls.get("trail") or f"sqlite:///{run.database('trail')}"
    key = Path(run.env.get("DISPUTES_TRAIL_SIGNING_KEY_FILE")
               or Path(run.env["DISPUTES_DATA_DIR"]) / "trail-signing-key.pem")
    verdict = verify_database(url, public_path(key))
    return "intact" if verdict.intact else f"entry {verdict.entry_id}: {verdict.problem}"


def count_outcome(name: str, run: Run) -> dict[str, Any]:
    settle(run)
    with Platform(timeout=60) as platform:  # every case read again, once all is settled
        states = platform.call("trail", "case_states", list(run.plans))
    reached = [c for c, plan in run.plans.items() if reached_expected(states.get(c), plan)]
    parked = drain_dead_letters(run)
    bad_parked = {m: reason for m, reason in parked.items() if m in run.injected and reason}
    poison_parked = {m for m, reason in parked.items()
                     if m in run.poisoned and f"more than {DELIVERY_LIMIT} times" in reason}
    extra: dict[str, Any] = {}
    if run.poisoned:
        extra["poison_parked_at_limit"] = f"{len(poison_parked)}/{len(run.poisoned)}"
    if run.unroutable:
        extra["unroutable"] = (f"held {run.unroutable['held']}, overtook "
                               f"{run.unroutable['overtook']}, others {run.unroutable['flowed']}")
        extra["unroutable_overtaken"] = run.unroutable["overtook"]
        extra["unroutable_still_parked"] = run.unroutable.get("parked_after_mending", -1)
    if run.live_during_lock:
        extra["live_during_lock"] = "/".join(str(sum(x)) for x in zip(*run.live_during_lock, strict=True))
    if run.done_during_lock:
        extra["replicas_idle_during_lock"] = sum(1 for done in run.done_during_lock.values()
                                                 if not done["deliveries"] + done["commands"])
        # Events, not commands: the replicas share the inbox's shards, not only its RPC queue.
        extra["replicas_applying_during_lock"] = (
            f"{sum(1 for done in run.done_during_lock.values() if done['deliveries'])}"
            f"/{len(run.done_during_lock)}")
        extra["waited_on_lock"] = sorted(run.waited_on_lock)
    if run.clocks_made_due:
        extra.update(clocks_fired(run))
    extra["trail"] = trail_verdict(run)
    return {
        "scenario": name,
        "faults": run.faults_done,
        "cases_filed": len(run.plans),
        "reached_expected_state": len(reached),
        "lost": len(run.plans) - len(reached),
        "duplicated_effects": duplicated_effects(run),
        "out_of_order": out_of_order(run),
        "clock_steps_twice": clock_steps_twice(run),
        "bad_messages_injected": len(run.injected),
        "dead_lettered_with_reason": len(bad_parked),
        "other_dead_letters": len(parked) - len(bad_parked) - len(poison_parked),
        "duplicates_injected": run.duplicates_sent,
        "faults_in_flight": f"{sum(1 for n in run.struck_in_flight if n)}/{len(run.struck_in_flight)}",
        "services_alive": services_alive(run),
        **extra,
    }


def reached_expected(state: dict[str, Any] | None, plan: PlannedCase) -> bool:
    return bool(state) and finished(state) and state["outcome"] == plan.expected_outcome \
        and state["aid_state"] == plan.expected_aid_state and not state["anomalies"]  # type: ignore[index]


def settle(run: Run, limit: float = 120.0) -> None:
    """Wait (bounded) until every outbox is published and every agency queue drained."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if unpublished(run) == 0 and all(n == 0 for n, _ in queue_depths(run).values()):
            return
        eventlet.sleep(0.5)


def unpublished(run: Run) -> int:
    return sum(query(run, service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
               for service in SERVICE_NAMES.values())


def queue_depths(run: Run) -> dict[Agency, tuple[int, int]]:
    """Per agency inbox: messages waiting, consumers attached (to its least served shard)."""
    depths = {}
    with Connection(run.broker.amqp_uri) as connection:
        channel = connection.channel()
        for agency in platform_agencies():
            shards = [channel.queue_declare(queue, passive=True)[1:]
                      for queue in inbox_queues(agency, inbox_shards())]
            depths[agency] = (sum(m for m, _ in shards), min(c for _, c in shards))
    return depths


def drain_dead_letters(run: Run) -> dict[str, str]:
    """Every parked message's id and reason (read off the parking stream, which keeps them)."""
    parked: dict[str, str] = {}
    for message in read_parked(run.broker.amqp_uri):
        parked[message.message_id or f"unnamed-{len(parked)}"] = message.reason
    return parked


def duplicated_effects(run: Run) -> int:
    """Effects applied twice, counted in each service's own database and in each case's trail:
    inbox rows for one (consumer, event), events caused twice by the same event, trail entries
    recorded twice, and moves a case's trail has more often than its path makes them."""
    twice = 0
    moves: dict[str, Counter[str]] = {c: Counter() for c in run.plans}
    for service in SERVICE_NAMES.values():
        twice += query(run, service, "SELECT count(*) - count(DISTINCT consumer || ' ' || event_id) "
                                     "FROM inbox")[0][0]
        caused = Counter(
            (json.loads(body)["causation_id"], event_type) for body, event_type in
            query(run, service, "SELECT body, event_type FROM outbox"))
        # Facts recorded beside the moves (clocks, sessions...) may come several to a cause.
        twice += sum(n - 1 for (cause, event_type), n in caused.items()
                     if cause and n > 1 and event_type not in FACTS)
        if service == "trail":
            twice += query(run, service, "SELECT count(*) - count(DISTINCT event_id) "
                                         "FROM trail_entries")[0][0]
            for case_id, move in query(run, service, "SELECT case_id, move FROM trail_entries "
                                                     "WHERE event_type != 'trail.accessed'"):
                if case_id in moves and move not in FACTS:
                    moves[case_id][move] += 1
    for case_id, plan in run.plans.items():
        expected = Counter(EXPECTED_MOVES[plan.path] + AID_MOVES[plan.expected_aid_state])
        twice += sum((moves[case_id] - expected).values())
    return twice


def out_of_order(run: Run) -> int:
    """Events a consumer applied after a later event of the same case from the same sender: per
    consumer, case and sending service, the order of application (the inbox's ``handled_at``)
    against the sender's commit order (its outbox's ids)."""
    sent: dict[str, tuple[str, str, int]] = {}  # event id -> sender, case, place in its outbox
    for service in SERVICE_NAMES.values():
        for event_id, case_id, row_id in query(run, service, "SELECT event_id, case_id, id FROM outbox"):
            sent[event_id] = (service, case_id, row_id)
    broken = 0
    for service in SERVICE_NAMES.values():
        applied: dict[tuple[str, str, str], list[tuple[Any, int]]] = defaultdict(list)
        for consumer, event_id, handled_at in query(run, service, "SELECT consumer, event_id, "
                                                                  "handled_at FROM inbox"):
            if event_id in sent:
                sender, case_id, row_id = sent[event_id]
                applied[(consumer, case_id, sender)].append((handled_at, row_id))
        for rows in applied.values():
            places = [row_id for _, row_id in sorted(rows)]
            broken += sum(1 for earlier, later in itertools.pairwise(places) if later < earlier)
    return broken


def clock_steps(run: Run) -> dict[str, Counter[str]]:
    """Per clock on the trail: how many times it was started, and ended (stopped or elapsed)."""
    steps: dict[str, Counter[str]] = defaultdict(Counter)
    for event_type, payload in query(run, "trail", "SELECT event_type, payload FROM trail_entries "
                                                   "WHERE event_type LIKE 'clock.%'"):
        clock_id = (json.loads(payload) if isinstance(payload, str) else payload)["clock_id"]
        steps[clock_id][event_type] += 1
        if event_type in ("clock.stopped", "clock.elapsed"):
            steps[clock_id]["ended"] += 1
    return steps


def clock_steps_twice(run: Run) -> int:
    """Clocks started or ended more than once on the trail, and clocks a service holds ended (or
    still running) whose end the trail has not exactly once (or has at all)."""
    steps = clock_steps(run)
    twice = sum(max(0, n["clock.started"] - 1) + max(0, n["ended"] - 1) for n in steps.values())
    for service in SERVICE_NAMES.values():
        if importlib.import_module(f"{service}.adapters").plumbing.clocks is None:
            continue
        for clock_id, status in query(run, service, "SELECT clock_id, status FROM clocks"):
            twice += steps[clock_id]["ended"] != (0 if status == "running" else 1)
    return twice


def clocks_fired(run: Run) -> dict[str, Any]:
    """The clocks made due: how many fired (once: ``clock_steps_twice`` counts a second time),
    and how many neither fired nor were stopped by the case's own step meanwhile."""
    steps = clock_steps(run)
    fired = sum(1 for c in run.clocks_made_due if steps[c]["clock.elapsed"])
    return {"clocks_fired": f"{fired}/{len(run.clocks_made_due)}",
            "clocks_made_due_not_ended": sum(1 for c in run.clocks_made_due if not steps[c]["ended"])}


def services_alive(run: Run) -> str:
    """Service processes (every replica) alive, of services whose queue has nothing waiting
    and a consumer per replica on every shard (one active, the others waiting their turn)."""
    alive = {name for s in local.SERVICES for name in local.replicas_of(s) if local.pid_of(name)}
    waiting = {a for a, (messages, _) in queue_depths(run).items() if messages == 0}
    # The broker's statistics, which count the waiting consumers too, lag a few seconds.
    deadline = time.monotonic() + 30
    while True:
        consumers = consumers_by_queue(run)
        consuming = {name for a in waiting
                     if all(consumers[q] >= local.replicas() for q in inbox_queues(a, inbox_shards()))
                     for name in local.replicas_of(SERVICE_NAMES[a])}
        if alive <= consuming or time.monotonic() > deadline:
            return f"{len(alive & consuming)}/{len(local.SERVICES) * local.replicas()}"
        eventlet.sleep(2)


def consumers_by_queue(run: Run) -> Counter[str]:
    """Consumers per queue, active or waiting (the broker's answer to a declaration counts only
    a single-active-consumer queue's active one)."""
    listed = requests.get(f"{run.broker.management_url}/api/consumers/%2F", timeout=10)
    listed.raise_for_status()
    return Counter(consumer["queue"]["name"] for consumer in listed.json())


def table(rows: list[dict[str, Any]]) -> str:
    columns = [("scenario", "scenario"), ("cases_filed", "filed"),
               ("reached_expected_state", "reached expected"), ("lost", "lost"),
               ("duplicated_effects", "duplicated effects"), ("out_of_order", "out of order"),
               ("clock_steps_twice", "clock steps twice"), ("clocks_fired", "clocks made due fired"),
               ("bad_messages_injected", "bad injected"),
               ("dead_lettered_with_reason", "dead-lettered w/ reason"),
               ("other_dead_letters", "other dead letters"), ("duplicates_injected", "duplicates sent"),
               ("faults_in_flight", "faults on work in flight"), ("services_alive", "services alive"),
               ("poison_parked_at_limit", "poison parked at limit"),
               ("unroutable", "unroutable: its case's later events / others"),
               ("live_during_lock", "live while locked"),
               ("replicas_idle_during_lock", "replicas idle while locked"),
               ("replicas_applying_during_lock", "replicas applying events while locked"),
               ("trail", "trail chain"), ("seconds", "seconds")]
    widths = [max(len(title), *(len(str(r.get(key, ""))) for r in rows)) for key, title in columns]
    lines = [" | ".join(t.ljust(w) for (_, t), w in zip(columns, widths, strict=True)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(str(r.get(k, "")).ljust(w) for (k, _), w in zip(columns, widths, strict=True))
              for r in rows]
    for r in rows:
        lines += [f"  {r['scenario']}: {fault}" for fault in r["faults"]]
    return "\n".join(lines)
