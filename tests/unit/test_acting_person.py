"""The person acting in a command is recorded on every event it emits (contract minor versions
that old consumers read unchanged); the system's own work names no one."""

from __future__ import annotations

from datetime import UTC, datetime

from disputes_shared.clocks.wall import ManualClock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope, decode, encode
from disputes_shared.contract.payloads import PAYLOAD_SCHEMAS

from ..support.fakes import InMemoryServiceDatabase

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN = {"subject": "wang.fang", "role": "station_admin"}


def session_held() -> Envelope:
    return Envelope(event_type="mediation.session_held", case_id="LD-1",
                    source_agency=Agency.MEDIATION, occurred_at=NOW, correlation_id="c-1",
                    payload={"mode": "video", "session_number": 1, "mediator_id": "m-1"})


def emitted(actor: dict[str, str] | None) -> Envelope:
    db = InMemoryServiceDatabase("mediation", ManualClock(NOW))
    with db() as uow:
        uow.actor = actor
        uow.emit(session_held())
        uow.commit()
    (event,) = db.outbox()
    return event


def test_every_event_a_signed_in_command_emits_names_the_person_and_role():
    assert emitted(ADMIN).payload["actor"] == ADMIN


def test_a_station_the_person_acts_for_is_not_recorded_on_the_event():
    assert emitted({**ADMIN, "station": "people-wuhou"}).payload["actor"] == ADMIN


def test_the_systems_own_events_name_no_one():
    assert emitted(None).payload.get("actor") is None


def test_a_message_without_an_actor_is_still_valid_and_one_with_it_is_read_by_old_consumers():
    old = decode(encode(session_held()))
    assert old.payload.get("actor") is None
    body = encode(Envelope(**{**session_held().__dict__, "payload": {
        **session_held().payload, "actor": ADMIN}}))
    assert decode(body).payload["actor"] == ADMIN


def test_every_event_type_may_carry_an_actor():
    assert all("actor" in schema().fields for schema in PAYLOAD_SCHEMAS.values())
