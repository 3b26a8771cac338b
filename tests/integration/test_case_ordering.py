"""Handlers that yield (as they do on a green database driver) interleave across cases, but the
events of one case are applied in the order they were published, retries included; a consumer
in one lane (analytics) applies every event one at a time, each case's in that order."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict

import eventlet
import pytest
from sqlalchemy.exc import OperationalError

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.plumbing.messaging import consume_events

from ..support.broker import send
from ..support.waiting import eventually
from .test_dead_letters import dossier_envelope

APPLIED: dict[str, list[int]] = defaultdict(list)
IN_ORDER: list[tuple[str, int]] = []
RUNNING = {"now": 0, "most": 0}
CASES, PER_CASE = 6, 15


class SlowMediation:
    """Stands in for the mediation service."""

    name = "mediation"

    @consume_events(Agency.MEDIATION)
    def on_event(self, envelope: Envelope) -> str:
        return apply_slowly(envelope)


class OneLaneMediation:
    """Stands in for a consumer that reads across cases, as analytics does."""

    name = "mediation"

    @consume_events(Agency.MEDIATION, in_one_lane=True)
    def on_event(self, envelope: Envelope) -> str:
        return apply_slowly(envelope)


def apply_slowly(envelope: Envelope) -> str:
    """Each event takes a random while, yielding; one in ten first fails for a passing reason."""
    RUNNING["now"] += 1
    RUNNING["most"] = max(RUNNING["most"], RUNNING["now"])
    try:
        eventlet.sleep(random.uniform(0, 0.02))
        sequence = int(envelope.payload["reason"])
        if sequence % 10 == 3 and envelope.event_id not in RETRIED:
            RETRIED.add(envelope.event_id)
            raise OperationalError("UPDATE ...", {}, Exception("database is locked"))
        APPLIED[envelope.case_id].append(sequence)
        IN_ORDER.append((envelope.case_id, sequence))
        return "handled"
    finally:
        RUNNING["now"] -= 1


RETRIED: set[str] = set()


def mediation_of(service_cls, container_factory, rabbit_config):
    APPLIED.clear()
    IN_ORDER.clear()
    RETRIED.clear()
    RUNNING.update(now=0, most=0)
    return container_factory(service_cls, {**rabbit_config, "max_workers": 10,
                                           "EVENT_RETRY_DELAYS": [0.05, 0.1]})


def publish_interleaved(amqp_uri: str) -> list[tuple[str, int]]:
    published = []
    for sequence in range(PER_CASE):
        for case in range(CASES):
            send(amqp_uri, dossier_envelope(case_id=f"LD-ORDER-{case}", handoff_id=str(uuid.uuid4()),
                                            reason=str(sequence)))
            published.append((f"LD-ORDER-{case}", sequence))
    return published


@pytest.fixture
def slow_mediation(container_factory, rabbit_config):
    return mediation_of(SlowMediation, container_factory, rabbit_config)


def test_events_of_a_case_are_applied_in_publish_order_while_cases_interleave(slow_mediation, amqp_uri):
    publish_interleaved(amqp_uri)
    slow_mediation.start()  # every event is waiting in the queue: they arrive together
    eventually(lambda: sum(len(v) for v in APPLIED.values()) == CASES * PER_CASE, timeout=30)
    assert all(APPLIED[f"LD-ORDER-{case}"] == list(range(PER_CASE)) for case in range(CASES))
    assert RETRIED  # some went through a retry and still kept their place
    assert RUNNING["most"] > 1  # different cases did run side by side


def test_a_consumer_in_one_lane_applies_every_event_one_at_a_time_each_case_in_publish_order(
        container_factory, rabbit_config, amqp_uri):
    mediation = mediation_of(OneLaneMediation, container_factory, rabbit_config)
    published = publish_interleaved(amqp_uri)
    mediation.start()
    eventually(lambda: len(IN_ORDER) == len(published), timeout=30)
    # Each case in publish order, retries included; across cases, the order the shards
    # delivered in (each shard's in publish order), which is not the publishing order.
    for case in {case for case, _ in published}:
        assert [n for c, n in IN_ORDER if c == case] == [n for c, n in published if c == case]
    assert sorted(IN_ORDER) == sorted(published)
    assert RETRIED and RUNNING["most"] == 1


BATCHES: list[int] = []
FAILED_ATTEMPTS: dict[str, int] = defaultdict(int)
POISONED = ("LD-ORDER-2", 7)  # an event no attempt can apply: parked


class BatchingMediation:
    """Stands in for a service that applies several events in one transaction."""

    name = "mediation"

    @consume_events(Agency.MEDIATION, batches=True)
    def on_events(self, envelopes: list[Envelope]) -> list[str]:
        return apply_batch(envelopes)


class BatchingOneLaneMediation:
    name = "mediation"

    @consume_events(Agency.MEDIATION, in_one_lane=True, batches=True)
    def on_events(self, envelopes: list[Envelope]) -> list[str]:
        return apply_batch(envelopes)


def apply_batch(envelopes: list[Envelope]) -> list[str]:
    """All of the batch or none of it, as a transaction: one in ten events fails twice for a
    passing reason (in a batch, then alone), ``POISONED`` every time."""
    BATCHES.append(len(envelopes))
    RUNNING["now"] += 1
    RUNNING["most"] = max(RUNNING["most"], RUNNING["now"])
    try:
        eventlet.sleep(random.uniform(0, 0.02))
        for envelope in envelopes:
            sequence = int(envelope.payload["reason"])
            if sequence % 10 == 3 and FAILED_ATTEMPTS[envelope.event_id] < 2:
                FAILED_ATTEMPTS[envelope.event_id] += 1
                raise OperationalError("UPDATE ...", {}, Exception("database is locked"))
            if (envelope.case_id, sequence) == POISONED:
                raise ValueError("an event no attempt can apply")
        for envelope in envelopes:
            APPLIED[envelope.case_id].append(int(envelope.payload["reason"]))
            IN_ORDER.append((envelope.case_id, int(envelope.payload["reason"])))
        return ["handled"] * len(envelopes)
    finally:
        RUNNING["now"] -= 1


@pytest.mark.parametrize("service_cls", [BatchingMediation, BatchingOneLaneMediation])
def test_batches_apply_each_case_in_publish_order_and_a_failing_batch_is_applied_again_one_event_at_a_time(
        service_cls, container_factory, rabbit_config, amqp_uri):
    BATCHES.clear()
    FAILED_ATTEMPTS.clear()
    mediation = mediation_of(service_cls, container_factory, rabbit_config)
    published = [p for p in publish_interleaved(amqp_uri) if p != POISONED]
    mediation.start()  # every event is waiting in the queue: they arrive together
    eventually(lambda: len(IN_ORDER) == len(published), timeout=30)
    eventlet.sleep(0.3)  # nothing more comes: the poisoned event was parked, not applied
    for case in {case for case, _ in published}:
        assert [n for c, n in IN_ORDER if c == case] == [n for c, n in published if c == case]
    assert sorted(IN_ORDER) == sorted(published)
    assert max(BATCHES) > 1  # events of several cases (or several of one) went in one batch
    assert all(FAILED_ATTEMPTS[e] == 2 for e in FAILED_ATTEMPTS)  # in a batch, then alone
    if service_cls is BatchingOneLaneMediation:
        assert RUNNING["most"] == 1
