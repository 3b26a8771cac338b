"""Hostile messages, bodies and headers, published straight onto every service's queue: each is
parked with the reason the contract gives for it, none is applied, no service stops."""

from __future__ import annotations

import gzip
import json
import random
import time
import uuid
from collections import Counter
from typing import Any

import pytest
from kombu import Connection
from sqlalchemy import func, select

import arbitration.adapters
import courts_bridge.adapters
import intake.adapters
import legal_aid.adapters
import mediation.adapters
import trail.adapters
from arbitration.service import ArbitrationService
from courts_bridge.service import CourtsBridgeService
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import COMPRESSED_BODY, PoisonMessage, decode, encode
from disputes_shared.contract.payloads import EVENT_TYPES
from disputes_shared.contract.routing import queue_name
from disputes_shared.kit.consumer import EventSubscriber
from disputes_shared.plumbing.engine import make_engine
from intake.service import IntakeService
from legal_aid.service import LegalAidService
from mediation.service import MediationService
from tests.support.examples import PERSONAL_VALUES, envelope
from tests.support.hostile import corpus, hostile_headers
from trail.service import TrailService

from ..support.broker import dead_letters, inbox_of
from ..support.waiting import eventually

SERVICES = {
    Agency.INTAKE: (IntakeService, intake.adapters),
    Agency.MEDIATION: (MediationService, mediation.adapters),
    Agency.LEGAL_AID: (LegalAidService, legal_aid.adapters),
    Agency.ARBITRATION: (ArbitrationService, arbitration.adapters),
    Agency.COURTS: (CourtsBridgeService, courts_bridge.adapters),
    Agency.TRAIL: (TrailService, trail.adapters),
}
PER_SERVICE = 60


def expected_reason(body: bytes) -> str | None:
    """The reason the contract refuses ``body`` with; ``None`` if it is valid."""
    try:
        decode(body)
    except PoisonMessage as exc:
        return str(exc)
    return None


def parked_of(amqp_uri: str, sent: dict[str, Any], timeout: float) -> set[tuple[str, str, str]]:
    """(message id, parked by, reason) of every message parked, once each of ``sent`` is (the
    ids never parked named if one is not within ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        parked = {(m["message"].properties.get("message_id"), m["headers"]["x-parked-by"],
                   m["headers"]["x-parked-reason"]) for m in dead_letters(amqp_uri, len(sent), timeout=10)}
        missing = set(sent) - {message_id for message_id, _, _ in parked}
        if not missing:
            return parked
        assert time.monotonic() < deadline, f"never parked: {[(m, sent[m]) for m in sorted(missing)]}"
        time.sleep(0.5)


@pytest.mark.timeout(300)
def test_every_hostile_message_is_parked_with_its_reason_and_nothing_is_applied(start_service, amqp_uri):
    configs = {agency: start_service(cls, adapters.metadata) for agency, (cls, adapters) in SERVICES.items()}
    rng = random.Random(14)
    documents = [json.loads(encode(envelope(event_type))) for event_type in EVENT_TYPES]
    sent: dict[str, tuple[str, str]] = {}  # message id: (agency, reason)
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        for agency in SERVICES:
            bodies = [(body, reason) for _, body in corpus(rng.randrange(2**32), documents, PER_SERVICE * 2)
                      if (reason := expected_reason(body)) is not None]  # a spoiling may leave it valid
            for body, reason in bodies[:PER_SERVICE]:
                headers = hostile_headers(rng)
                message_id = str(uuid.uuid4())
                producer.publish(body, exchange="", routing_key=inbox_of(agency)[0],
                                 message_id=message_id, headers=headers,
                                 content_type=rng.choice(["application/json", "text/plain", None]),
                                 delivery_mode=2)
                if "compression" in headers:  # none of these bodies is compressed
                    reason = COMPRESSED_BODY
                sent[message_id] = (str(agency), reason[:2000])

    # Each message by its id: parking is at least once (a copy parked again carries the same
    # reason), so a count of parked messages alone could be reached before the last is parked.
    parked = parked_of(amqp_uri, sent, timeout=120)
    assert parked == {(message_id, agency, reason) for message_id, (agency, reason) in sent.items()}
    sent_reasons = [reason for _, reason in sent.values()]
    assert not any(value in reason for reason in sent_reasons for value in PERSONAL_VALUES)
    for agency, (_, adapters) in SERVICES.items():
        engine = make_engine(configs[agency]["DATABASE_URL"])
        try:
            with engine.connect() as connection:
                for table in (adapters.plumbing.inbox, adapters.plumbing.outbox):
                    if table is None:  # the trail has no outbox
                        continue
                    assert connection.execute(select(func.count()).select_from(table)).scalar() == 0
        finally:
            engine.dispose()


def test_the_client_kits_subscriber_parks_every_hostile_message_with_its_reason(amqp_uri):
    """An outside agency's system on the kit (labor inspection here): its handler never sees one."""
    rng = random.Random(41)
    documents = [json.loads(encode(envelope(event_type))) for event_type in EVENT_TYPES]
    handled: list[Any] = []
    sent: Counter[str] = Counter()
    with EventSubscriber(amqp_uri, Agency.LABOR_INSPECTION, handled.append) as subscriber:
        subscriber.drain(0.1)  # the topology declared
        with Connection(amqp_uri) as connection:
            producer = connection.Producer()
            for _, body in corpus(rng.randrange(2**32), documents, 150):
                if (reason := expected_reason(body)) is None:
                    continue
                headers = hostile_headers(rng)
                producer.publish(body, exchange="", routing_key=queue_name(Agency.LABOR_INSPECTION),
                                 headers=headers, delivery_mode=2)
                sent[COMPRESSED_BODY if "compression" in headers else reason[:2000]] += 1
        eventually(lambda: subscriber.drain(0.5)["parked"] == sum(sent.values()), timeout=60)
    assert handled == []
    parked = dead_letters(amqp_uri, sum(sent.values()))
    assert Counter(m["headers"]["x-parked-reason"] for m in parked) == sent


def test_a_compressed_body_is_parked_as_it_came_never_inflated(start_service, amqp_uri):
    """20 MB of a valid-looking event gzipped to kilobytes: kombu would inflate it before the
    contract's size limit could see it."""
    start_service(MediationService, mediation.adapters.metadata)
    bomb = gzip.compress(b'{"payload": "' + b"0" * 20_000_000 + b'"}')
    valid = gzip.compress(encode(envelope("case.closed")).encode())
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        for body in (bomb, valid):
            producer.publish(body, exchange="", routing_key=inbox_of(Agency.MEDIATION)[0],
                             headers={"compression": "application/x-gzip"}, delivery_mode=2)
    # Parked by the service on green threads of their own: on a loaded machine, give them time.
    parked = dead_letters(amqp_uri, 2, timeout=60)
    assert [m["body"] for m in parked] == [bomb, valid]
    assert {m["headers"]["x-parked-reason"] for m in parked} == {COMPRESSED_BODY}
    assert {m["headers"]["x-compression"] for m in parked} == {"application/x-gzip"}
    assert not any("compression" in m["headers"] for m in parked)
