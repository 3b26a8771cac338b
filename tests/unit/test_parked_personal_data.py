"""A parked dossier holds no personal data in the clear: sealed under its case's key in the
parking service's database, which erasing the case there destroys (one that names no case under
a fresh key only the service's key management unwraps), and opened as it was sent when a replay
brings it back, after a rotation too; a service that keeps no personal data parks its
description alone. A dossier is parked sealed by its consumer one delivery before the broker
would park it as sent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from disputes_shared.contract.envelope import encode
from disputes_shared.contract.routing import (
    DELIVERY_COUNT_HEADER,
    DELIVERY_LIMIT,
    DOSSIERS_EXCHANGE,
    EVENTS_EXCHANGE,
    near_delivery_limit,
)
from disputes_shared.plumbing.parked_personal_data import (
    CASE_ID,
    EVENT_TYPE,
    PAYLOAD_FIELDS,
    SEALED,
    SEALED_CASE,
    UNDER_CASE_KEY,
    ParkedDossierKeys,
    carries_personal_data,
    is_sealed,
    opened_after_replay,
    sealed_for_parking,
    withheld_for_parking,
)
from disputes_shared.plumbing.personal_data import PersonalDataError
from mediation.handlers import Mediation

from ..support.examples import WORKER, delivered, dossier_envelope, envelope
from ..support.fakes import FakeKeyManagement
from .helpers import deliver

DOSSIER = encode(dossier_envelope()).encode("utf-8")
CASE = "LD-20260302-0000000001"


def planted(body: bytes, headers: dict) -> list[str]:
    text = body.decode("utf-8", "replace") + json.dumps(headers, ensure_ascii=False)
    return [value for value in WORKER.values() if value in text]


def parked_dossier_keys(db: Any) -> ParkedDossierKeys:
    return ParkedDossierKeys(db.engine, db.tables.data_keys, db.keys)


def test_a_parked_dossier_is_sealed_under_its_cases_key_which_the_cases_erasure_destroys(mediation_sql_db):
    db, logic = mediation_sql_db, Mediation()
    case_keys = parked_dossier_keys(db)
    other_body, _ = sealed_for_parking(db.keys, encode(dossier_envelope(case_id="LD-OTHER")).encode(), case_keys)
    body, headers = sealed_for_parking(db.keys, DOSSIER, case_keys)
    assert planted(DOSSIER, {}) and planted(body, headers) == []
    assert (headers[SEALED], headers[SEALED_CASE], headers[CASE_ID]) == (UNDER_CASE_KEY, CASE, CASE)
    db.keys.rotate()  # parked before a rotation, still opened after it
    assert opened_after_replay(db.keys, body, headers, case_keys) == DOSSIER
    with pytest.raises(PersonalDataError):  # under another case's header, it does not open
        opened_after_replay(db.keys, body, {**headers, SEALED_CASE: "LD-OTHER"}, case_keys)
    with pytest.raises(PersonalDataError):  # nor in a service that keeps no case keys
        opened_after_replay(db.keys, body, headers)

    # Mediation never took the case in (the dossier was parked), yet erases the key it made.
    erasure = delivered(envelope("case.personal_data_erased", case_id=CASE))
    assert deliver(db, logic, erasure) == "handled"
    with pytest.raises(PersonalDataError, match="erased here"):
        opened_after_replay(db.keys, body, headers, case_keys)
    assert opened_after_replay(db.keys, other_body, {**headers, SEALED_CASE: "LD-OTHER"}, case_keys)
    assert deliver(db, logic, delivered(envelope("case.personal_data_erased", case_id="LD-NEVER"))) == "ignored"


@pytest.mark.parametrize(("body", "case_header", "under_case"), [
    (DOSSIER, None, CASE),
    (b"{broken", CASE, CASE),  # unreadable: the case its sender named in the header
    (b"{broken", None, None),  # named nowhere: a key of its own
    (b"{broken", "LD-1\x00", None),  # a header no table would take
    (DOSSIER.replace(CASE.encode(), b"LD-" + b"9" * 70), None, None),  # no case id is that long
])
def test_a_parked_dossier_is_sealed_under_the_case_it_names_or_else_a_key_of_its_own(
        mediation_sql_db, body, case_header, under_case):
    case_keys = parked_dossier_keys(mediation_sql_db)
    sealed, headers = sealed_for_parking(mediation_sql_db.keys, body, case_keys, case_header)
    assert headers.get(SEALED_CASE) == under_case and (headers[SEALED] == UNDER_CASE_KEY) is bool(under_case)
    assert opened_after_replay(mediation_sql_db.keys, sealed, headers, case_keys) == body


@pytest.mark.parametrize(("headers", "parked_at"), [
    (None, None), ({}, None),  # a first delivery
    ({DELIVERY_COUNT_HEADER: DELIVERY_LIMIT - 2}, None),
    ({DELIVERY_COUNT_HEADER: DELIVERY_LIMIT - 1}, DELIVERY_LIMIT - 1),  # the last but one
    ({DELIVERY_COUNT_HEADER: DELIVERY_LIMIT}, DELIVERY_LIMIT),  # the last: a parking that failed
    ({DELIVERY_COUNT_HEADER: str(DELIVERY_LIMIT)}, None), ({DELIVERY_COUNT_HEADER: True}, None),
])
def test_a_consumer_parks_a_dossier_itself_from_the_last_delivery_but_one(headers, parked_at):
    assert near_delivery_limit(headers) == parked_at


def test_a_parked_dossier_naming_no_case_opens_as_it_came_with_the_services_keys_only():
    keys = FakeKeyManagement()
    body, headers = sealed_for_parking(keys, DOSSIER)  # a service without case keys, or as parked before
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
