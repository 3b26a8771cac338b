"""Intake: the submission, filing a claim in one transaction, answers from other agencies,
and the HTTP entrypoint."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.consent import SENSITIVE_DATA_CONSENT_TEXTS, SENSITIVE_DATA_CONSENT_VERSION
from disputes_shared.contract.employers import employer_key, employer_ref
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import HandoffStatus
from disputes_shared.contract.handoff_events import handoff_answer_payload
from disputes_shared.contract.lifecycle import CaseState, UnknownCase
from disputes_shared.contract.personal_numbers import with_check_character
from disputes_shared.contract.workers import worker_ref
from disputes_shared.plumbing.handoff_desk import HandoffRefused
from intake.adapters import claims
from intake.api import InvalidClaim, validate_submission
from intake.domain import Claim
from intake.filing_rate import ClientLimit
from intake.handlers import Intake
from intake.service import IntakeService

from ..support.examples import AT, WORKER, claim_document, delivered, envelope

INTAKE = Intake()


def file(intake_db, inspection_referrals: bool = False, **changes: Any):
    """File a claim; ``inspection_referrals``: the labor-inspection bureau registered first."""
    if inspection_referrals:
        register(intake_db, "labor_inspection")
    with intake_db() as uow:
        claim = INTAKE.file_claim(uow, validate_submission(claim_document(**changes)))
        uow.commit()
    return claim


def register(intake_db, name: str, purpose: str | None = None):
    with intake_db() as uow:
        entry = INTAKE.register_agency(uow, name, purpose)
        uow.commit()
    return entry


def answer_message(intake_db, clock, handoff_id: str, how: str,
                   reason: str = "station at capacity") -> Envelope:
    """The receiving agency's answer to one of intake's handoffs, as delivered to intake."""
    with intake_db() as uow:
        handoff = uow.handoffs.get(handoff_id)
    clock.advance(hours=1)
    handoff.accept(clock.now()) if how == "accept" else handoff.return_(clock.now(), reason)
    event_type, payload = handoff_answer_payload(handoff)
    return delivered(Envelope(event_type=event_type, case_id=handoff.case_id,
                              source_agency=handoff.to_agency, occurred_at=clock.now(),
                              payload=payload, correlation_id="corr"))


def deliver(intake_db, message: Envelope) -> str:
    with intake_db() as uow:
        outcome = INTAKE.handle(uow, message)
        uow.commit()
    return outcome


def answer(intake_db, clock, handoff_id: str, how: str, reason: str = "station at capacity") -> str:
    return deliver(intake_db, answer_message(intake_db, clock, handoff_id, how, reason))


def requests_in(outbox: list[Envelope], purpose: str) -> list[Envelope]:
    return [e for e in outbox if e.event_type == "handoff.requested" and e.payload["purpose"] == purpose]


# -- the worker's ref on case.filed ----------------------------------------------------------------

def test_case_filed_names_the_worker_by_a_keyed_ref_and_never_by_the_id_number(intake_db):
    file(intake_db)
    file(intake_db, worker={**WORKER, "name": "另一个名字", "phone": "13900000000"})
    file(intake_db, worker={**WORKER, "id_number": with_check_character("51010419920202123")})
    filings = [e for e in intake_db.outbox() if e.event_type == "case.filed"]
    refs = [e.payload["worker_ref"] for e in filings]
    assert refs[0] == refs[1] != refs[2]  # the same ID number, the same ref; another, another
    assert refs[0] == worker_ref(WORKER["id_number"], INTAKE.ref_key)
    assert refs[0] != worker_ref(WORKER["id_number"], b"another key, as long as it must be")
    assert all(WORKER["id_number"] not in str(e.payload) for e in filings)


def test_case_filed_names_the_employer_by_a_keyed_ref_that_a_guessed_name_cannot_confirm(intake_db):
    employer = claim_document()["employer"]
    name = employer["name"]
    file(intake_db)
    file(intake_db, employer={**employer, "name": f" {name[:2]} {name[2:]} "})  # the same, as compared
    file(intake_db, employer={**employer, "name": "王秀英（家政雇主）"})
    refs = [e.payload["employer_ref"] for e in intake_db.outbox() if e.event_type == "case.filed"]
    assert refs[0] == refs[1] != refs[2]
    assert refs[0] == employer_ref(name, INTAKE.ref_key)
    assert re.fullmatch(r"[0-9a-f]{16}", refs[0])
    # Without intake's key the name does not give the ref: neither a plain hash nor another key.
    assert refs[0] != hashlib.sha256(employer_key(name).encode()).hexdigest()[:16]
    assert refs[0] != employer_ref(name, b"another key, as long as it must be")
    # Under one key a worker's ref and an employer's ref of the same text never meet.
    assert employer_ref("X", INTAKE.ref_key) != worker_ref("X", INTAKE.ref_key)


def test_a_ref_key_too_short_is_refused():
    with pytest.raises(ValueError, match="at least 32 bytes"):
        worker_ref(WORKER["id_number"], b"short")


def test_intake_keeps_its_ref_key_owner_only_across_restarts(tmp_path):
    from intake.bootstrap import bootstrap

    config = {"WORKER_REF_KEY_FILE": str(tmp_path / "keys" / "worker-ref-key")}
    first, again = bootstrap(config), bootstrap(config)
    assert first.ref_key == again.ref_key and len(first.ref_key) == 32
    assert (tmp_path / "keys" / "worker-ref-key").stat().st_mode & 0o777 == 0o600


# -- the submission ------------------------------------------------------------------------------

def test_a_valid_submission_is_typed_and_defaulted():
    submission = validate_submission(claim_document(amount_claimed="3200.5"))
    assert submission["amount_claimed"] == Decimal("3200.50")
    assert (submission["worker_count"], submission["chosen_station_id"]) == (1, None)



def mistyped(id_number: str) -> str:
    """The same number with its 17th digit changed: what the check character is there to catch."""
    return id_number[:16] + str((int(id_number[16]) + 1) % 10) + id_number[17]


BAD_SUBMISSIONS = {
    "an unknown field": ({"nickname": "阿芳"}, ["nickname"]),
    "a misspelt field": ({"amount": "3200"}, ["amount"]),
    "a bad id number": ({"worker": {**WORKER, "id_number": "51010419900101123"}}, ["worker", "id_number"]),
    "an id number with letters": ({"worker": {**WORKER, "id_number": "51010419900101A234"}},
                                  ["worker", "id_number"]),
    "a bad phone": ({"worker": {**WORKER, "phone": "23800001111"}}, ["worker", "phone"]),
    "an id number with a mistyped digit": ({"worker": {**WORKER, "id_number": mistyped(WORKER["id_number"])}},
                                           ["worker", "id_number"]),
    "an id number born on 30 February": (
        {"worker": {**WORKER, "id_number": with_check_character("51010419900230123")}}, ["worker", "id_number"]),
    "an id number of a child": (
        {"worker": {**WORKER, "id_number": with_check_character(f"510104{date.today().year - 10}0101123")}},
        ["worker", "id_number"]),
    "an id number with region code 9": (
        {"worker": {**WORKER, "id_number": with_check_character("91010419900101123")}}, ["worker", "id_number"]),
    "a mobile number starting 12": ({"worker": {**WORKER, "phone": "12800001111"}}, ["worker", "phone"]),
    "an unknown station": ({"chosen_station_id": "people-mars"}, ["chosen_station_id"]),
    "a negative amount": ({"amount_claimed": "-0.01"}, ["amount_claimed"]),
    "an amount that is not a number": ({"amount_claimed": "lots"}, ["amount_claimed"]),
    "no claim type": ({"claim_types": []}, ["claim_types"]),
    "an unknown claim type": ({"claim_types": ["overtime"]}, ["claim_types"]),
    "an unknown district": ({"district": "mars"}, ["district"]),
    "zero workers": ({"worker_count": 0}, ["worker_count"]),
    "an unknown employer field": ({"employer": {"name": "迅达", "boss": "x"}}, ["employer", "boss"]),
    "an amount as a JSON number": ({"amount_claimed": 3200.5}, ["amount_claimed"]),
    "an amount over the limit": ({"amount_claimed": "100000000.01"}, ["amount_claimed"]),
    "an amount in exponent form": ({"amount_claimed": "1e3"}, ["amount_claimed"]),
    "a boolean as 1": ({"legal_aid_requested": 1}, ["legal_aid_requested"]),
    "a boolean as text": ({"migrant_worker": "yes"}, ["migrant_worker"]),
    "the consent as text": ({"sensitive_data_consent": "true"}, ["sensitive_data_consent"]),
    "an unknown consent text": ({"sensitive_data_consent_version": "0"}, ["sensitive_data_consent_version"]),
    "a count as true": ({"worker_count": True}, ["worker_count"]),
    "a count as text": ({"worker_count": "3"}, ["worker_count"]),
    "an employer platform too long": ({"employer": {"name": "迅达", "platform": "美" * 101}},
                                      ["employer", "platform"]),
    "too many claim types": ({"claim_types": ["unpaid_wages"] * 51}, ["claim_types"]),
    "a date not in YYYY-MM-DD": ({"limitation": {"known_on": "20260101"}}, ["limitation", "known_on"]),
    "a date in the year 9999": ({"limitation": {"known_on": "9999-12-31"}}, ["limitation", "known_on"]),
    "text with a lone surrogate (over RPC)": ({"description": "\ud800"}, ["_schema"]),
    "text with a NUL (over RPC)": ({"employer": {"name": "a\x00b"}}, ["_schema"]),
}


@pytest.mark.parametrize(("changes", "path"), BAD_SUBMISSIONS.values(), ids=BAD_SUBMISSIONS.keys())
def test_a_bad_submission_is_refused_naming_the_field(changes, path):
    with pytest.raises(InvalidClaim) as raised:
        validate_submission(claim_document(**changes))
    errors: Any = raised.value.errors
    for key in path:
        errors = errors[key]
    assert errors
    assert len(raised.value.errors) == 1  # nothing else was wrong


def test_every_bad_field_is_named_at_once():
    document = claim_document(nickname="x", amount_claimed="-1", chosen_station_id="nope",
                              worker={**WORKER, "id_number": "1", "phone": "2"})
    with pytest.raises(InvalidClaim) as raised:
        validate_submission(document)
    errors = raised.value.errors
    assert set(errors) == {"nickname", "amount_claimed", "chosen_station_id", "worker"}
    assert set(errors["worker"]) == {"id_number", "phone"}


@pytest.mark.parametrize("document", [None, [], "a claim", 42])
def test_a_submission_that_is_not_an_object_is_refused(document):
    with pytest.raises(InvalidClaim) as raised:
        validate_submission(document)
    assert "_schema" in raised.value.errors


# -- filing ------------------------------------------------------------------------------------

def test_filing_announces_routes_and_hands_on_in_that_order(intake_db):
    claim = file(intake_db)
    outbox = intake_db.outbox()
    assert [e.event_type for e in outbox] == [
        "case.filed", "case.triaged", "handoff.requested", "handoff.dossier"]
    assert {e.case_id for e in outbox} == {claim.case_id}
    assert {e.correlation_id for e in outbox} == {claim.correlation_id}
    filed, triaged, requested, dossier = outbox
    assert triaged.causation_id == filed.event_id
    assert requested.causation_id == dossier.causation_id == triaged.event_id
    assert triaged.payload["station_id"] == requested.payload["to_unit"] == "ind-fooddelivery-wuhou"
    assert requested.payload["handoff_id"] == dossier.payload["handoff_id"]
    assert (requested.payload["purpose"], requested.payload["to_agency"]) == ("mediation", "mediation")


def test_a_worker_asking_for_legal_aid_is_also_handed_to_legal_aid(intake_db):
    claim = file(intake_db, legal_aid_requested=True)
    outbox = intake_db.outbox()
    assert [(e.event_type, e.payload.get("purpose")) for e in outbox] == [
        ("case.filed", None), ("case.triaged", None),
        ("handoff.requested", "mediation"), ("handoff.dossier", "mediation"),
        ("handoff.requested", "legal_aid"), ("handoff.dossier", "legal_aid"),
    ]
    assert outbox[4].causation_id == outbox[0].event_id
    with intake_db() as uow:
        assert {h.to_agency for h in uow.handoffs.for_case(claim.case_id)} == {
            Agency.MEDIATION, Agency.LEGAL_AID}


def test_the_outbox_rows_carry_the_route_of_each_event(intake_db):
    file(intake_db, legal_aid_requested=True)
    assert [(r["exchange"], r["routing_key"]) for r in intake_db.outbox_rows()] == [
        ("disputes.events", "case.filed.v1.all"),
        ("disputes.events", "case.triaged.v1.all"),
        ("disputes.events", "handoff.requested.v1.mediation"),
        ("disputes.dossiers", "handoff.dossier.v2.mediation"),
        ("disputes.events", "handoff.requested.v1.legal_aid"),
        ("disputes.dossiers", "handoff.dossier.v2.legal_aid"),
    ]
    assert all(r["published_at"] is None for r in intake_db.outbox_rows())


def test_the_claim_is_stored_waiting_for_mediation(intake_db):
    claim = file(intake_db)
    with intake_db() as uow:
        stored = uow.claims.get(claim.case_id)
    assert stored.state is CaseState.MEDIATION_REQUESTED
    assert (stored.station_id, stored.tried_stations) == ("ind-fooddelivery-wuhou", ["ind-fooddelivery-wuhou"])
    assert stored.worker == WORKER and stored.amount_claimed == Decimal("3200.00")
    assert stored.received_at == AT


def test_broadcast_events_carry_no_personal_data_and_the_dossier_does(intake_db):
    file(intake_db, legal_aid_requested=True)
    rows = intake_db.outbox_rows()
    for row in rows:
        carried = [value for value in WORKER.values() if value in row["body"]]
        if row["event_type"] == "handoff.dossier":
            assert carried == list(WORKER.values())
        else:
            assert carried == [], row["event_type"]


def test_a_claim_and_its_events_are_rolled_back_together(intake_db):
    with pytest.raises(RuntimeError), intake_db() as uow:
        INTAKE.file_claim(uow, validate_submission(claim_document()))
        raise RuntimeError("the worker hung up")
    assert intake_db.count(claims) == 0
    assert intake_db.outbox_rows() == []


def test_a_claim_whose_events_cannot_be_written_is_not_stored_either(intake_db):
    """The claim row is written first and the outbox at commit: one transaction holds both."""
    with pytest.raises(ValueError, match="case.closed payload is invalid"), intake_db() as uow:
        INTAKE.file_claim(uow, validate_submission(claim_document()))
        uow.emit(envelope("case.closed", {"outcome": "vanished", "amount_recovered": "0",
                                          "days_open": 0}))
        uow.commit()
    assert intake_db.count(claims) == 0
    assert intake_db.outbox_rows() == []


def test_nothing_is_published_on_commit_before_the_transaction_ends(intake_db):
    published: list[list[Envelope]] = []
    with intake_db() as uow:
        uow.on_commit = published.append
        INTAKE.file_claim(uow, validate_submission(claim_document()))
        uow.commit()
        assert published == []
    assert [e.event_type for e in published[0]] == [
        "case.filed", "case.triaged", "handoff.requested", "handoff.dossier"]


def test_each_claim_gets_its_own_case_id_dated_by_its_filing(intake_db):
    first, second = file(intake_db), file(intake_db)
    assert first.case_id != second.case_id
    assert first.case_id.startswith("LD-20260302-")


# -- answers from other agencies ------------------------------------------------------------------

def mediation_handoff_id(intake_db) -> str:
    return requests_in(intake_db.outbox(), "mediation")[-1].payload["handoff_id"]


def test_an_accepted_mediation_handoff_moves_the_claim_into_mediation(intake_db, clock):
    claim = file(intake_db)
    handoff_id = mediation_handoff_id(intake_db)
    assert answer(intake_db, clock, handoff_id, "accept") == "handled"
    with intake_db() as uow:
        assert uow.claims.get(claim.case_id).state is CaseState.IN_MEDIATION
        assert uow.handoffs.get(handoff_id).status is HandoffStatus.ACCEPTED


def test_only_a_claim_just_filed_awaits_triage():
    claim = Claim.filed(validate_submission(claim_document()), case_id="LD-1", correlation_id="c",
                        received_at=AT)
    assert claim.awaiting_triage
    claim.move("case.triaged")
    assert not claim.awaiting_triage
    claim.move("handoff.requested:mediation")
    claim.move("handoff.returned:mediation")  # routed again from here, not triaged again
    assert (claim.state, claim.awaiting_triage) == (CaseState.TRIAGED, False)


def test_a_returned_mediation_handoff_is_routed_to_the_next_station(intake_db, clock):
    claim = file(intake_db)
    answer(intake_db, clock, mediation_handoff_id(intake_db), "return")
    outbox = intake_db.outbox()
    again = requests_in(outbox, "mediation")
    assert [r.payload["to_unit"] for r in again] == ["ind-fooddelivery-wuhou", "people-wuhou"]
    assert [e.event_type for e in outbox].count("case.triaged") == 1  # routed again, not re-triaged
    with intake_db() as uow:
        stored = uow.claims.get(claim.case_id)
    assert stored.state is CaseState.MEDIATION_REQUESTED
    assert stored.tried_stations == ["ind-fooddelivery-wuhou", "people-wuhou"]


def test_a_claim_every_station_returned_goes_to_arbitration(intake_db, clock):
    claim = file(intake_db)
    # Food delivery in Wuhou: industry, the people's stations nearest first, city union,
    # pre-arbitration.
    for _ in range(6):
        answer(intake_db, clock, mediation_handoff_id(intake_db), "return")
    outbox = intake_db.outbox()
    assert [r.payload["to_unit"] for r in requests_in(outbox, "mediation")] == [
        "ind-fooddelivery-wuhou", "people-wuhou", "people-chenghua", "people-jinjiang",
        "union-city", "prearb-city"]
    (to_arbitration,) = requests_in(outbox, "arbitration")
    assert to_arbitration.payload["to_agency"] == "arbitration"
    assert "no_station_left" in to_arbitration.payload["reason"]
    assert outbox[-1].event_type == "handoff.dossier" and outbox[-1].payload["purpose"] == "arbitration"
    with intake_db() as uow:
        stored = uow.claims.get(claim.case_id)
    assert (stored.state, stored.station_id) == (CaseState.ARBITRATION_REQUESTED, None)


def test_a_legal_aid_answer_does_not_move_the_claim(intake_db, clock):
    claim = file(intake_db, legal_aid_requested=True)
    aid = requests_in(intake_db.outbox(), "legal_aid")[0].payload["handoff_id"]
    assert answer(intake_db, clock, aid, "return", "not a labour matter") == "handled"
    with intake_db() as uow:
        assert uow.claims.get(claim.case_id).state is CaseState.MEDIATION_REQUESTED
        assert uow.handoffs.get(aid).reason == "not a labour matter"


def test_wage_arrears_are_also_referred_to_labor_inspection_once_it_is_registered(
        intake_db, clock):
    claim = file(intake_db, inspection_referrals=True, claim_types=["unpaid_wages"])
    (referral,) = requests_in(intake_db.outbox(), "labor_inspection")
    assert referral.payload["to_agency"] == "labor_inspection"
    assert referral.payload["reason"] == "wage arrears (欠薪)"
    assert [e.payload["purpose"] for e in intake_db.outbox() if e.event_type == "handoff.dossier"] \
        == ["mediation", "labor_inspection"]
    assert answer(intake_db, clock, referral.payload["handoff_id"], "accept") == "handled"
    with intake_db() as uow:  # the referral runs beside the claim's own track
        assert uow.claims.get(claim.case_id).state is CaseState.MEDIATION_REQUESTED
        assert uow.handoffs.get(referral.payload["handoff_id"]).status == "accepted"


@pytest.mark.parametrize(("connected", "claim_types"), [
    (True, ["work_injury"]), (False, ["unpaid_wages"])], ids=["not wage arrears", "not registered"])
def test_no_referral_to_labor_inspection_otherwise(intake_db, connected, claim_types):
    file(intake_db, inspection_referrals=connected, claim_types=claim_types)
    assert requests_in(intake_db.outbox(), "labor_inspection") == []


def test_a_second_answer_to_the_same_handoff_is_refused(intake_db, clock):
    file(intake_db)
    handoff_id = mediation_handoff_id(intake_db)
    accepted = answer_message(intake_db, clock, handoff_id, "accept")
    deliver(intake_db, accepted)
    again = Envelope(**{**accepted.__dict__, "event_id": "another-delivery"})
    with pytest.raises(HandoffRefused, match="already accepted"):
        deliver(intake_db, again)


def test_a_closed_case_is_recorded_on_the_claim(intake_db, clock):
    claim = file(intake_db)
    closed = delivered(envelope("case.closed", case_id=claim.case_id, source_agency=Agency.MEDIATION,
                                occurred_at=AT + timedelta(days=12)))
    with intake_db() as uow:
        assert INTAKE.handle(uow, closed) == "handled"
        uow.commit()
    with intake_db() as uow:
        stored = uow.claims.get(claim.case_id)
    assert (stored.state, stored.outcome, stored.closed_at) == (
        CaseState.CLOSED, "mediated", AT + timedelta(days=12))


def test_events_intake_does_not_act_on_are_ignored(intake_db):
    with intake_db() as uow:
        assert INTAKE.handle(uow, delivered(envelope("mediation.failed"))) == "ignored"
        assert INTAKE.handle(uow, delivered(envelope("case.closed", case_id="LD-unknown"))) == "ignored"


def test_an_answer_for_an_unknown_claim_is_an_error(intake_db):
    with intake_db() as uow, pytest.raises(LookupError):
        INTAKE.handle(uow, delivered(envelope("handoff.accepted")))


# -- the nameko service --------------------------------------------------------------------------

def post(service: Any, body: Any) -> tuple[int, Any]:
    data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    request = EnvironBuilder(method="POST", path="/v1/claims", data=data,
                             content_type="application/json").get_request()
    response = service.post_claim(request)
    return response.status_code, json.loads(response.get_data(as_text=True))


@pytest.fixture
def intake_service(intake_db):
    return worker_factory(IntakeService, storage=intake_db, agency_logic=Intake(),
                          filing_rate=ClientLimit.of("filing", 0), reading_rate=ClientLimit.of("reading", 0), acting=None)


def test_posting_a_valid_claim_files_it(intake_service, intake_db):
    status, body = post(intake_service, claim_document())
    assert status == 201
    assert body["state"] == "mediation_requested" and body["station_id"] == "ind-fooddelivery-wuhou"
    assert intake_db.count(claims) == 1 and len(intake_db.outbox_rows()) == 4
    assert "worker" not in body  # the answer repeats no personal data


def test_posting_a_bad_claim_answers_400_naming_each_field_and_stores_nothing(intake_service, intake_db):
    status, body = post(intake_service, claim_document(
        nickname="阿芳", amount_claimed="-5", chosen_station_id="people-mars",
        worker={**WORKER, "id_number": "123", "phone": "456"}))
    assert status == 400
    assert body["error"] == "invalid_claim"
    assert set(body["fields"]) == {"nickname", "amount_claimed", "chosen_station_id", "worker"}
    assert set(body["fields"]["worker"]) == {"id_number", "phone"}
    assert intake_db.count(claims) == 0 and intake_db.outbox_rows() == []


@pytest.mark.parametrize("consent", [{"sensitive_data_consent": False}, {"sensitive_data_consent": None},
                                     {"sensitive_data_consent_version": None}])
def test_a_claim_without_the_workers_separate_consent_to_the_id_number_is_refused_naming_it(
        intake_service, intake_db, consent):
    document = claim_document()
    for field, value in consent.items():  # None: left out
        document.pop(field)
        if value is not None:
            document[field] = value
    status, body = post(intake_service, document)
    assert (status, body["error"], list(body["fields"])) == (400, "invalid_claim", list(consent))
    assert "PIPL art. 29" in body["fields"].get("sensitive_data_consent", ["PIPL art. 29"])[0]
    assert intake_db.count(claims) == 0 and intake_db.outbox_rows() == []


def test_the_consent_is_kept_with_the_claim_and_shown_in_the_workers_copy(intake_db):
    claim = file(intake_db)
    with intake_db() as uow:
        copy = INTAKE.personal_data(uow, claim.case_id)
    assert copy["sensitive_data_consent"] == {"version": SENSITIVE_DATA_CONSENT_VERSION,
                                              "given_at": claim.received_at.isoformat()}
    assert SENSITIVE_DATA_CONSENT_VERSION in SENSITIVE_DATA_CONSENT_TEXTS


@pytest.mark.parametrize("body", ["{not json", ""])
def test_posting_something_that_is_not_a_claim_answers_400(intake_service, intake_db, body):
    status, answer_body = post(intake_service, body)
    assert status == 400
    assert answer_body["error"] in ("invalid_json", "invalid_claim")
    assert intake_db.count(claims) == 0


VALID = json.dumps(claim_document(), ensure_ascii=False)
HOSTILE_BODIES = {
    "JSON nested 5,000 deep": ('{"a":' * 5000 + "1" + "}" * 5000, 400, "invalid_json", "nests 5000 deep"),
    "a number of 5,000 digits": (VALID.replace('"3200"', "9" * 5000), 400, "invalid_json",
                                 "a number has 5000 characters"),
    "a lone surrogate": (VALID.replace("王芳", "\\ud800"), 400, "invalid_json", "lone surrogate"),
    "a NUL": (VALID.replace("王芳", "\\u0000"), 400, "invalid_json", "NUL"),
    "invalid UTF-8": (VALID.encode().replace("王芳".encode(), b"\xff\xfe"), 400, "invalid_json",
                      "not UTF-8"),
    "NaN": (VALID.replace('"3200"', "NaN"), 400, "invalid_json", "NaN is not a JSON number"),
    "a body over 256 KiB": (VALID.replace("收入记录截图", "x" * 300_000), 413, "too_large",
                            "at most 262144 bytes"),
    "a boolean as 1": (VALID.replace('"legal_aid_requested": false', '"legal_aid_requested": 1'), 400,
                       "invalid_claim", None),
}


@pytest.mark.parametrize(("body", "status", "error", "detail"), HOSTILE_BODIES.values(),
                         ids=HOSTILE_BODIES.keys())
def test_a_hostile_body_is_refused_in_the_documented_error_shape_storing_nothing(
        intake_service, intake_db, body, status, error, detail):
    request = EnvironBuilder(method="POST", path="/v1/claims", data=body,
                             content_type="application/json").get_request()
    response = intake_service.post_claim(request)
    answer = json.loads(response.get_data(as_text=True))
    assert (response.status_code, answer["error"]) == (status, error)
    assert set(answer) <= {"error", "detail", "fields"}
    assert detail is None or detail in answer["detail"]
    assert intake_db.count(claims) == 0 and intake_db.outbox_rows() == []


def read_claim(intake_service, case_id: str, code: str | None):
    headers = {"X-Access-Code": code} if code is not None else {}
    request = EnvironBuilder(method="GET", path=f"/v1/claims/{case_id}", headers=headers).get_request()
    return intake_service.get_claim(request, case_id)


def test_a_filed_claim_is_read_back_with_its_access_code_and_only_with_it(intake_service):
    _, filed = post(intake_service, claim_document())
    code = filed["access_code"]
    assert len(code) == 10 and code not in json.dumps({k: v for k, v in filed.items() if k != "access_code"})
    response = read_claim(intake_service, filed["case_id"], code)
    assert response.status_code == 200 and json.loads(response.get_data())["case_id"] == filed["case_id"]
    assert "access_code" not in json.loads(response.get_data())  # told once, at filing
    # Typed back as people do: small letters, spaces, a dash.
    typed = f"{code[:5].lower()} - {code[5:]}"
    assert read_claim(intake_service, filed["case_id"], typed).status_code == 200
    assert read_claim(intake_service, filed["case_id"], None).status_code == 401
    wrong = read_claim(intake_service, filed["case_id"], "2" * 10)
    unknown = read_claim(intake_service, "LD-nope", code)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_data() == unknown.get_data()  # a wrong code says no more than a wrong case


def test_filing_is_limited_per_client_address(intake_db):
    service = worker_factory(IntakeService, storage=intake_db, agency_logic=Intake(),
                             filing_rate=ClientLimit.of("filing", 2), reading_rate=ClientLimit.of("reading", 0), acting=None)
    statuses = []
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.2"):
        request = EnvironBuilder(method="POST", path="/v1/claims", data=json.dumps(claim_document()),
                                 content_type="application/json",
                                 environ_base={"REMOTE_ADDR": address}).get_request()
        response = service.post_claim(request)
        statuses.append((response.status_code, response.headers.get("Retry-After")))
    assert [s for s, _ in statuses] == [201, 201, 429, 201]
    assert 1 <= int(statuses[2][1]) <= 60
    assert intake_db.count(claims) == 3


def test_the_rpc_entrypoint_files_and_refuses_like_the_http_one(intake_service, intake_db):
    filed = intake_service.file_claim(claim_document(legal_aid_requested=True))
    assert intake_service.claim(filed["case_id"])["legal_aid_requested"] is True
    with pytest.raises(InvalidClaim):
        intake_service.file_claim(claim_document(district="mars"))
    with pytest.raises(UnknownCase):
        intake_service.claim("LD-nope")
    assert intake_db.count(claims) == 1
