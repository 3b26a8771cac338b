"""A parked dossier holds no personal data in the clear: sealed under a fresh key that only the
parking service's key management unwraps (after a rotation too), and opened as it was sent when
a replay brings it back; a service that keeps no personal data parks its description alone."""

from __future__ import annotations

import json

import pytest

from disputes_shared.contract.envelope import encode
from disputes_shared.contract.routing import DOSSIERS_EXCHANGE, EVENTS_EXCHANGE
from disputes_shared.plumbing.parked_personal_data import (
    CASE_ID,
    EVENT_TYPE,
    PAYLOAD_FIELDS,
    SEALED,
    carries_personal_data,
    is_sealed,
    opened_after_replay,
    sealed_for_parking,
    withheld_for_parking,
)
from disputes_shared.plumbing.personal_data import PersonalDataError

from ..support.examples import WORKER, dossier_envelope, envelope
from ..support.fakes import FakeKeyManagement

DOSSIER = encode(dossier_envelope()).encode("utf-8")


def planted(body: bytes, headers: dict) -> list[str]:
    text = body.decode("utf-8", "replace") + json.dumps(headers, ensure_ascii=False)
    return [value for value in WORKER.values() if value in text]


def test_a_parked_dossier_is_sealed_and_opens_as_it_came_with_the_services_keys_only():
    keys = FakeKeyManagement()
    body, headers = sealed_for_parking(keys, DOSSIER)
    assert planted(DOSSIER, {}) and planted(body, headers) == []
    assert (headers[EVENT_TYPE], headers[CASE_ID]) == ("handoff.dossier", "LD-20260302-0000000001")
    assert "dossier" in headers[PAYLOAD_FIELDS].split(",") and headers[SEALED].startswith("kek-1:")
    keys.rotate()  # parked before a rotation, still opened after it
    assert opened_after_replay(keys, body, headers) == DOSSIER
    with pytest.raises(PersonalDataError):
        opened_after_replay(FakeKeyManagement(), body, headers)
    assert is_sealed(headers, body) and not is_sealed(headers, DOSSIER)  # a forged header alone is not


def test_a_service_that_keeps_no_personal_data_parks_a_dossiers_description_without_it():
    body, headers = withheld_for_parking(DOSSIER, "trail")
    assert body == b"" and headers[EVENT_TYPE] == "handoff.dossier" and planted(body, headers) == []


@pytest.mark.parametrize(("exchange", "body", "personal"), [
    (DOSSIERS_EXCHANGE, b"{broken", True),  # whatever comes on the dossiers exchange
    (EVENTS_EXCHANGE, DOSSIER, True),  # a dossier sent where it does not belong
    (EVENTS_EXCHANGE, encode(envelope("case.closed")).encode(), False),
    (EVENTS_EXCHANGE, b"[" * 100000, False),
    (EVENTS_EXCHANGE, b'{"event_type": ["handoff.dossier"], "payload": {"a": 1}}', False),
])
def test_personal_data_is_told_by_the_exchange_or_the_event_type(exchange, body, personal):
    assert carries_personal_data(exchange, body) is personal
