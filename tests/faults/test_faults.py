"""Fault tests: thousands of cases through the real broker (a private RabbitMQ node), with
services killed, the broker restarted, databases locked or their server stopped, bad messages
injected, poison messages redelivered past the delivery limit, an unroutable event in the
outboxes and a lock held for a minute, at random moments; and two replicas of every service,
one of each killed, clocks made due and a case held for a minute. After each scenario every
case must have reached the state its path says, none lost, no effect applied twice, every bad
message parked with its reason, every service consuming.

``DISPUTES_FAULT_CASES`` changes the size: 800 by default (``make test``, within its time),
2000 in ``make test-faults``; the replicas' scenario files a quarter of that (twice the
processes on the same two cores), then more while its faults strike whenever few cases are in
flight, so that each fault finds work coming on a fast machine too. ``DISPUTES_FAULT_SEED`` fixes the
randomness: by default the pinned ``PINNED_SEED`` (what ``make test`` and CI run, so a red run
is the code's doing, not the draw's); ``random`` draws a new one (``make test-faults``). The
seed is printed before each scenario starts and with its table, so any run can be repeated.
"""

from __future__ import annotations

import os
import random
import signal

import pytest

from disputes_cli.local import SERVICES
from disputes_cli.platform import RECEIVING_SERVICES

from .scenario import (
    clocks_come_due,
    hold_a_lock,
    inject_bad_messages,
    kill_and_restart,
    lock_databases,
    log,
    poison_redelivered,
    restart_broker,
    restart_postgres,
    run_scenario,
    table,
    unroutable_event,
)
from .seed import SEED

CASES = int(os.environ.get("DISPUTES_FAULT_CASES", "800"))


@pytest.fixture(autouse=True)
def announce_seed(request) -> None:
    log(f"{request.node.name}: seed {SEED} (to repeat: DISPUTES_FAULT_SEED={SEED})")
TIMEOUT = 120 + CASES * 0.4  # seconds for the cases to end, faults included


def check(row: dict, cases: int = CASES, replicas: int = 1) -> None:
    log(f"seed {SEED}\n{table([row])}")
    assert row["lost"] == 0, row
    assert row["reached_expected_state"] == row["cases_filed"] >= cases, row  # more filed meanwhile
    assert row["duplicated_effects"] == 0, row
    assert row["dead_lettered_with_reason"] == row["bad_messages_injected"], row
    assert row["other_dead_letters"] == 0, row
    assert row["trail"] == "intact", row  # the chain, appended by every trail replica, verifies
    faults = len(row["faults"])
    assert row["faults_in_flight"] == f"{faults}/{faults}", row  # none struck an idle platform
    processes = len(SERVICES) * replicas
    assert row["services_alive"] == f"{processes}/{processes}", row


@pytest.mark.timeout(TIMEOUT + 600)
def test_services_killed_in_turn_bad_messages_and_a_clean_restart_lose_nothing(results):
    order = random.Random(SEED).sample(SERVICES, len(SERVICES))
    faults = [kill_and_restart(s) for s in order[:3]] + [inject_bad_messages(per_kind=20, duplicates=300)] \
        + [poison_redelivered(count=20)] \
        + [kill_and_restart(s) for s in order[3:]] + [kill_and_restart(order[0], signal.SIGTERM)]
    row = run_scenario("kill -9 each service; bad messages; poison redelivered to the limit; a "
                       "clean restart", CASES, SEED, faults, TIMEOUT)
    results.append(row)
    check(row)
    assert row["poison_parked_at_limit"] == "20/20", row  # parked by the broker, none dropped


@pytest.mark.timeout(TIMEOUT + 600)
def test_a_broker_restart_and_locked_databases_lose_nothing(results):
    faults = [restart_broker, lock_databases(seconds=20), unroutable_event]
    if os.environ.get("DISPUTES_FAULT_ONLY"):
        faults = [f for f in faults if os.environ["DISPUTES_FAULT_ONLY"] in getattr(f, "__qualname__", "")]
    row = run_scenario("RabbitMQ restarted; databases locked; an unroutable event", CASES,
                       SEED + 1, faults, TIMEOUT)
    results.append(row)
    check(row)
    if unroutable_event in faults:  # its case waited behind it, then went on once routable
        assert row["unroutable_overtaken"] == 0 and row["unroutable_still_parked"] == 0, row
        assert not row["unroutable"].startswith("held 0,"), row


@pytest.mark.timeout(TIMEOUT + 600)
def test_the_postgresql_server_stopped_and_a_service_killed_lose_nothing(results):
    """On the production database: the server shut down for longer than the retries of the
    old schedule lasted, and a service killed mid-transaction."""
    victim = random.Random(SEED + 2).choice(SERVICES)
    faults = [restart_postgres, kill_and_restart(victim), hold_a_lock(seconds=60)]
    row = run_scenario("PostgreSQL stopped and restarted; a service killed; a lock held a minute",
                       CASES, SEED + 2, faults, TIMEOUT, on_postgres=True)
    results.append(row)
    check(row)
    answered, probes = row["live_during_lock"].split("/")
    assert answered == probes, row  # live all the while the lock was held


REPLICA_CASES = max(50, CASES // 4)
REPLICA_TIMEOUT = 240 + REPLICA_CASES * 0.6  # the minutes of the clocks and the held case included


@pytest.mark.replicas  # alone: make test-replicas
@pytest.mark.timeout(REPLICA_TIMEOUT + 600)
def test_two_replicas_of_every_service_one_killed_and_a_case_held_a_minute_lose_nothing(results):
    """Capacity by replicas, on PostgreSQL: two processes of every service on one database and
    inbox each. The replica of each service that applies its events is killed (kill -9, then
    started again), so the other takes its inbox's shards over with cases in flight; clocks are
    made due under both replicas' keepers; a transaction holds a case for a minute while both
    replicas go on with the others. Each case's events applied in the order sent, each clock
    started and ended once, each made-due clock fired."""
    order = random.Random(SEED + 3).sample(SERVICES, len(SERVICES))
    # The held case early, while most cases are in flight: it is the work of other cases that
    # shows the replicas go on meanwhile.
    faults = [hold_a_lock(seconds=60, among=RECEIVING_SERVICES)] + [kill_and_restart(s) for s in order]
    row = run_scenario("two replicas each: one of each killed; clocks made due; a case held a "
                       "minute", REPLICA_CASES, SEED + 3, faults, REPLICA_TIMEOUT, on_postgres=True,
                       replicas=2, at_start=[clocks_come_due(count=20)],  # mediation runs early
                       keep_in_flight=REPLICA_CASES // 10)  # a fast machine ends the first ones early
    results.append(row)
    check(row, cases=REPLICA_CASES, replicas=2)
    assert row["out_of_order"] == 0, row
    assert row["clock_steps_twice"] == 0, row
    fired = int(row["clocks_fired"].split("/")[0])
    assert fired > 0 and row["clocks_made_due_not_ended"] == 0, row
    assert row["waited_on_lock"], row  # a replica's own work stalled on the held case
    assert row["replicas_idle_during_lock"] == 0, row  # and both went on with other cases
    applying, replicas = row["replicas_applying_during_lock"].split("/")
    assert applying == replicas, row  # each applying events of the shards it holds
