"""A dossier a consumer keeps failing on reaches the dead-letter stream sealed, never as it was
sent: one delivery before the broker's limit, the consumer parks it itself, under the case's key
in its own database. Replayed, it is opened and applied; once the case is erased there, its
replay is parked again, unopened, saying why, and nothing of it is applied."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from kombu import Connection
from sqlalchemy import select

from disputes_cli import dead_letters
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.routing import DELIVERY_COUNT_HEADER, PARK_SEALED_AT_DELIVERY_COUNT
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.parked_personal_data import SEALED_CASE
from mediation.adapters import metadata, plumbing
from mediation.service import MediationService

from ..support.broker import dead_letters as parked_messages
from ..support.broker import inbox_of, send, uri_of
from ..support.examples import envelope
from ..support.waiting import eventually
from .test_dead_letters import DOSSIER, dossier_envelope, pending

ON_POSTGRESQL = pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)
KEPT, ERASED_CASE = "LD-PARKED-KEPT", "LD-PARKED-ERASED"


def handed_back(amqp_uri: str, queues: list[str], message_ids: set[str], times: int) -> None:
    """Each message taken and handed back unsettled ``times`` times, as by a consumer that
    crashes on it: rejected until the last time, then held until the connection drops."""
    held: set[str] = set()
    with Connection(amqp_uri) as connection:
        channel = connection.channel()

        def give_back(message: Any) -> None:
            if int((message.headers or {}).get(DELIVERY_COUNT_HEADER) or 0) < times - 1:
                channel.basic_reject(message.delivery_tag, requeue=True)
            else:
                held.add(message.properties["message_id"])

        for queue in queues:
            channel.basic_consume(queue, callback=give_back)
        deadline = time.monotonic() + 20.0
        while held != message_ids and time.monotonic() < deadline:
            try:
                connection.drain_events(timeout=0.2)
            except TimeoutError:
                continue
    assert held == message_ids


def data_keys_of(url: str) -> set[str]:
    """The cases mediation's database holds a key of."""
    assert plumbing.data_keys is not None
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(select(plumbing.data_keys.c.case_id)).scalars())
    finally:
        engine.dispose()


@ON_POSTGRESQL
def test_a_dossier_near_the_delivery_limit_is_parked_sealed_and_erasure_reaches_it(start_service, amqp_uri):
    operator = uri_of(amqp_uri, "operator")
    sent = {case_id: dossier_envelope(case_id=case_id, handoff_id=handoff_id)
            for case_id, handoff_id in ((KEPT, "21111111-1111-4111-8111-111111111111"),
                                        (ERASED_CASE, "31111111-1111-4111-8111-111111111111"))}
    for dossier in sent.values():
        send(amqp_uri, dossier)
    # The service gets them at the last delivery but one the broker allows.
    handed_back(amqp_uri, inbox_of(Agency.MEDIATION), {e.event_id for e in sent.values()},
                PARK_SEALED_AT_DELIVERY_COUNT)
    mediation = start_service(MediationService, metadata)

    parked = parked_messages(amqp_uri, 2)
    assert len(parked) == 2
    stream = "".join(m["body"].decode("utf-8", "replace") + json.dumps(m["headers"], ensure_ascii=False, default=str)
                     for m in parked)
    assert [value for value in DOSSIER["worker"].values() if value in stream] == []
    assert {m["headers"][SEALED_CASE] for m in parked} == set(sent)
    assert all(f"handed out {PARK_SEALED_AT_DELIVERY_COUNT} times without being settled: parked "
               "sealed" in m["headers"]["x-parked-reason"] for m in parked)
    assert pending(mediation) == []  # not handled: parked before the handler ran
    assert data_keys_of(mediation["DATABASE_URL"]) == set(sent)  # the keys they are sealed under

    # Intake erases one case: mediation never took it in, yet destroys the key of its parked dossier.
    send(amqp_uri, envelope("case.personal_data_erased", case_id=ERASED_CASE, correlation_id="corr-1"))
    eventually(lambda: data_keys_of(mediation["DATABASE_URL"]) == {KEPT})

    assert len(dead_letters.replay(operator, None)) == 2
    (handoff,) = eventually(lambda: pending(mediation))
    assert handoff["case_id"] == KEPT  # opened and applied
    (again,) = eventually(lambda: (found := dead_letters.list_parked(operator)) and found)
    assert (again["case_id"], again["personal_data"]) == (ERASED_CASE, "sealed")
    assert "its personal data was erased here" in again["reason"]
    assert [h["case_id"] for h in pending(mediation)] == [KEPT]
