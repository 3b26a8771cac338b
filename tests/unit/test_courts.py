"""The courts bridge: judicial confirmation, litigation and enforcement as a court reports them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from courts_bridge.handlers import CourtsBridge
from disputes_shared.contract.lifecycle import IllegalTransition

from .helpers import receive, run, take_up

COURTS = CourtsBridge()
NUMBER = "(2026)川0107民初1234号"


def last_event(db):
    return db.outbox()[-1]


@pytest.mark.parametrize(("proceeding", "requester", "ruling", "outcome"), [
    ("judicial_confirmation", "mediation", "confirmed", "confirmed_and_paid"),
    ("litigation", "arbitration", "judgment", "judgment_performed"),
])
def test_a_ruling_complied_with_closes_the_case_by_its_proceeding(courts_db, clock, proceeding,
                                                                  requester, ruling, outcome):
    handoff_id = receive(courts_db, COURTS, proceeding, from_agency=requester)
    run(courts_db, COURTS.desk.accept, handoff_id, court_case_number=NUMBER)
    view = run(courts_db, COURTS.enter_ruling, "LD-1", ruling, "2560")
    assert (view["state"], view["ruling"], view["court_case_number"]) == ("ruled", ruling, NUMBER)
    ruled = last_event(courts_db)
    assert (ruled.event_type, ruled.payload) == ("court.ruling_entered", {
        "proceeding": proceeding, "ruling": ruling, "amount": Decimal("2560.00")})
    clock.advance(days=40)
    run(courts_db, COURTS.record_compliance, "LD-1", "2560")
    closed = last_event(courts_db)
    assert (closed.event_type, closed.payload) == ("case.closed", {
        "outcome": outcome, "amount_recovered": Decimal("2560.00"), "days_open": 40,
        "worked_seconds": 40 * 86400.0})


def test_an_award_sent_for_enforcement_is_enforced_without_a_new_ruling(courts_db):
    take_up(courts_db, COURTS, "enforcement")
    assert run(courts_db, COURTS.start_enforcement, "LD-1", "2880")["state"] == "enforcing"
    assert last_event(courts_db).payload == {"amount_due": Decimal("2880.00")}
    run(courts_db, COURTS.conclude_enforcement, "LD-1", "2000")
    closed = last_event(courts_db)
    assert (closed.payload["outcome"], closed.payload["amount_recovered"]) == ("enforced", Decimal("2000.00"))


def test_a_confirmed_agreement_left_unpaid_is_enforced(courts_db):
    take_up(courts_db, COURTS, "judicial_confirmation")
    run(courts_db, COURTS.enter_ruling, "LD-1", "confirmed", "2560")
    run(courts_db, COURTS.start_enforcement, "LD-1", "2560")
    run(courts_db, COURTS.conclude_enforcement, "LD-1", "2560")
    assert [e.event_type for e in courts_db.outbox()] == [
        "handoff.accepted", "court.ruling_entered", "court.enforcement_started", "case.closed"]
    assert last_event(courts_db).payload["outcome"] == "enforced"


def test_the_court_case_number_is_kept_from_acceptance(courts_db):
    take_up(courts_db, COURTS, "litigation", court_case_number=NUMBER)
    with courts_db() as uow:
        assert COURTS.case(uow, "LD-1").court_case_number == NUMBER


def test_a_court_that_refuses_a_matter_answers_the_requester(courts_db, clock):
    handoff_id = receive(courts_db, COURTS, "judicial_confirmation", from_agency="mediation")
    clock.advance(days=2)
    run(courts_db, COURTS.desk.return_, handoff_id, "agreement not within the court's jurisdiction")
    returned = last_event(courts_db)
    assert (returned.event_type, returned.payload["from_agency"]) == ("handoff.returned", "mediation")
    assert returned.payload["wait_seconds"] == timedelta(days=2).total_seconds()
    with courts_db() as uow:
        assert COURTS.case(uow, "LD-1").state == "court_refused"


def test_a_ruling_before_the_court_took_the_matter_is_illegal(courts_db):
    receive(courts_db, COURTS, "litigation")
    with pytest.raises(IllegalTransition):
        run(courts_db, COURTS.enter_ruling, "LD-1", "judgment", "100")
    assert courts_db.outbox_rows() == []


def test_a_ruling_the_contract_does_not_know_is_not_committed(courts_db):
    take_up(courts_db, COURTS, "litigation")
    with pytest.raises(ValueError, match="ruling"):
        run(courts_db, COURTS.enter_ruling, "LD-1", "postponed", "100")
    with courts_db() as uow:
        assert COURTS.case(uow, "LD-1").state == "in_court"
