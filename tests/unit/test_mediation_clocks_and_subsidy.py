"""A station's work as the statutes say: capacity, sessions, art. 14's 15 days and the offer of
arbitration, the agreed payment date and what an unpaid agreement opens (人民调解法 art. 33,
劳动争议调解仲裁法 arts. 15–16), civil disputes, and the per-case subsidy (以案定补)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from disputes_shared.contract.stations import station
from disputes_shared.regional import regional_figures
from mediation.domain import (
    MediationCase,
    MediationRefused,
    difficulty,
    remedies_for_unpaid_agreement,
    subsidy,
)
from mediation.handlers import Mediation

from ..support.examples import AT, dossier
from . import helpers
from .helpers import run

MEDIATION = Mediation()
STATION = "people-wuhou"
FIGURES = regional_figures()


def receive(db, case_id: str = "LD-1", station_id: str = STATION, **changes: Any) -> str:
    return helpers.receive(db, MEDIATION, "mediation", case_id, to_unit=station_id, **changes)


def accepted(db, case_id: str = "LD-1", **changes: Any) -> None:
    run(db, MEDIATION.accept_handoff, receive(db, case_id, **changes))


def events(db, event_type: str) -> list:
    return [e for e in db.outbox() if e.event_type == event_type]


def fire(db) -> int:
    return MEDIATION.clocks.fire_due(db, MEDIATION.on_clock_elapsed)


def case(db, case_id: str = "LD-1") -> MediationCase:
    with db() as uow:
        return MEDIATION.case(uow, case_id)


# -- capacity ------------------------------------------------------------------------------------

def test_a_station_at_capacity_returns_a_new_case_at_once_saying_why(mediation_db, monkeypatch):
    small = replace(station(STATION), capacity=2)
    monkeypatch.setattr("mediation.handlers.station", lambda station_id: small)
    accepted(mediation_db, "LD-1")
    accepted(mediation_db, "LD-2")
    receive(mediation_db, "LD-3")
    (returned,) = events(mediation_db, "handoff.returned")
    assert returned.case_id == "LD-3"
    assert returned.payload["reason"] == "station at capacity (2 of 2 cases in mediation)"
    assert case(mediation_db, "LD-3").state == "triaged"  # intake routes it on
    with mediation_db() as uow:
        assert MEDIATION.desk.pending(uow) == []


def test_ended_cases_free_the_stations_room(mediation_db, monkeypatch):
    small = replace(station(STATION), capacity=1)
    monkeypatch.setattr("mediation.handlers.station", lambda station_id: small)
    accepted(mediation_db, "LD-1")
    run(mediation_db, MEDIATION.close, "LD-1", "withdrawn")
    receive(mediation_db, "LD-2")
    assert events(mediation_db, "handoff.returned") == []


def test_a_case_sent_to_a_station_not_in_the_directory_is_returned_saying_so(mediation_db):
    receive(mediation_db, "LD-1", station_id="nowhere")
    (returned,) = events(mediation_db, "handoff.returned")
    assert returned.payload["reason"] == "no mediation station 'nowhere' in the directory"


# -- sessions ------------------------------------------------------------------------------------

def test_sessions_are_numbered_and_announced(mediation_db):
    accepted(mediation_db)
    run(mediation_db, MEDIATION.record_session, "LD-1", "in_person")
    view = run(mediation_db, MEDIATION.record_session, "LD-1", "video", "employer joined online")
    assert view["sessions"] == 2
    assert [(e.payload["session_number"], e.payload["mode"]) for e in
            events(mediation_db, "mediation.session_held")] == [(1, "in_person"), (2, "video")]


@pytest.mark.parametrize(("mode", "message"), [("phone", "in_person or video")])
def test_a_session_in_an_unknown_mode_is_refused(mediation_db, mode, message):
    accepted(mediation_db)
    with pytest.raises(MediationRefused, match=message):
        run(mediation_db, MEDIATION.record_session, "LD-1", mode)


def test_a_session_before_the_case_is_accepted_is_refused(mediation_db):
    receive(mediation_db)
    with pytest.raises(MediationRefused, match="not in mediation"):
        run(mediation_db, MEDIATION.record_session, "LD-1")


# -- art. 14: fifteen days -----------------------------------------------------------------------

def test_accepting_starts_the_15_day_clock_from_the_day_the_station_received_it(mediation_db, clock):
    receive(mediation_db)  # received Monday 2 March 2026
    clock.advance(days=2)
    run(mediation_db, MEDIATION.accept_handoff, mediation_db_pending(mediation_db))
    (started,) = events(mediation_db, "clock.started")
    assert started.payload["kind"] == "mediation_without_agreement"
    assert started.payload["last_day"] == date(2026, 3, 17)  # art. 14: the 15th day after receipt


def mediation_db_pending(db) -> str:
    with db() as uow:
        (pending,) = MEDIATION.desk.pending(uow)
    return pending.handoff_id


def test_day_15_offers_nothing_and_day_16_offers_arbitration(mediation_db, clock):
    accepted(mediation_db)
    clock.advance(days=15)  # 17 March, 17:00 in China: the last day has not ended
    assert fire(mediation_db) == 0
    clock.advance(days=1)
    assert fire(mediation_db) == 1
    (offer,) = events(mediation_db, "mediation.arbitration_offered")
    assert offer.payload["citation"] == "劳动争议调解仲裁法 art. 14"
    assert case(mediation_db).arbitration_offered
    assert fire(mediation_db) == 0  # fires once


def test_the_worker_taking_the_offer_hands_the_case_to_arbitration(mediation_db, clock):
    accepted(mediation_db)
    clock.advance(days=16)
    fire(mediation_db)
    run(mediation_db, MEDIATION.answer_arbitration_offer, "LD-1", True)
    (failed,) = events(mediation_db, "mediation.failed")
    assert "art. 14" in failed.payload["reason"]
    (requested,) = events(mediation_db, "handoff.requested")
    assert requested.payload["purpose"] == "arbitration"
    assert case(mediation_db).state == "arbitration_requested"


def test_the_worker_declining_the_offer_goes_on_with_mediation(mediation_db, clock):
    accepted(mediation_db)
    clock.advance(days=16)
    fire(mediation_db)
    run(mediation_db, MEDIATION.answer_arbitration_offer, "LD-1", False)
    assert events(mediation_db, "mediation.arbitration_declined")
    assert (case(mediation_db).state, case(mediation_db).arbitration_offered) == ("in_mediation", False)
    with pytest.raises(MediationRefused, match="no offer"):
        run(mediation_db, MEDIATION.answer_arbitration_offer, "LD-1", True)


def test_an_agreement_in_time_stops_the_15_day_clock(mediation_db, clock):
    accepted(mediation_db)
    clock.advance(days=10)
    run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-31")
    stopped = [e.payload["kind"] for e in events(mediation_db, "clock.stopped")]
    assert stopped == ["mediation_without_agreement"]
    clock.advance(days=10)
    fire(mediation_db)
    assert events(mediation_db, "mediation.arbitration_offered") == []


def test_a_civil_dispute_has_no_art_14_clock_and_goes_to_court_when_mediation_fails(mediation_db):
    accepted(mediation_db, relationship="civil")
    assert events(mediation_db, "clock.started") == []
    run(mediation_db, MEDIATION.record_failure, "LD-1", "the parties could not agree")
    (requested,) = events(mediation_db, "handoff.requested")
    assert (requested.payload["purpose"], requested.payload["to_agency"]) == ("litigation", "courts")
    assert "not for labor arbitration" in requested.payload["reason"]
    assert case(mediation_db).state == "court_requested"


# -- the agreed date, and after -------------------------------------------------------------------

def test_an_agreement_starts_the_payment_clock_and_the_30_day_confirmation_window(mediation_db):
    accepted(mediation_db)
    run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-20")
    started = {e.payload["kind"]: e.payload["last_day"] for e in events(mediation_db, "clock.started")}
    assert started["agreement_performance"] == date(2026, 3, 20)
    assert started["judicial_confirmation_window"] == date(2026, 4, 1)  # 人民调解法 art. 33: 30 days


def test_a_payment_date_already_past_is_refused(mediation_db, clock):
    accepted(mediation_db)
    with pytest.raises(MediationRefused, match="already passed"):
        run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-01")
    assert events(mediation_db, "mediation.agreement_reached") == []


def test_payment_stops_every_clock(mediation_db):
    accepted(mediation_db)
    run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-20")
    run(mediation_db, MEDIATION.record_payment, "LD-1", "2560")
    assert sorted(e.payload["kind"] for e in events(mediation_db, "clock.stopped")) == [
        "agreement_performance", "judicial_confirmation_window", "mediation_without_agreement"]


def test_an_agreement_unpaid_by_its_date_says_what_the_worker_may_do(mediation_db, clock):
    accepted(mediation_db)
    run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-20")
    clock.advance(days=19)  # 21 March: the agreed 20 March has ended in China
    assert fire(mediation_db) == 1
    (unperformed,) = events(mediation_db, "mediation.agreement_unperformed")
    assert unperformed.payload["remedies"] == ["judicial_confirmation", "arbitration", "payment_order"]


def test_after_the_30_days_judicial_confirmation_is_closed_but_arbitration_is_open(mediation_db, clock):
    accepted(mediation_db)
    run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-20")
    clock.advance(days=31)
    assert fire(mediation_db) == 2  # the payment date, then the confirmation window
    with pytest.raises(MediationRefused, match="judicial_confirmation is not open"):
        run(mediation_db, MEDIATION.pursue_unpaid_agreement, "LD-1", "judicial_confirmation")
    run(mediation_db, MEDIATION.pursue_unpaid_agreement, "LD-1", "arbitration")
    (requested,) = events(mediation_db, "handoff.requested")
    assert requested.payload["purpose"] == "arbitration"
    assert case(mediation_db).state == "arbitration_requested"


def test_an_unpaid_wage_agreement_may_go_to_a_court_for_a_payment_order(mediation_db, clock):
    accepted(mediation_db)
    run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-20")
    clock.advance(days=19)
    fire(mediation_db)
    run(mediation_db, MEDIATION.pursue_unpaid_agreement, "LD-1", "payment_order")
    (sent,) = events(mediation_db, "handoff.dossier")
    assert (sent.payload["purpose"], sent.payload["to_agency"]) == ("payment_order", "courts")
    assert sent.payload["dossier"]["history"]["agreement_effective_on"] == "2026-03-02"
    assert case(mediation_db).state == "court_requested"


def test_a_payment_order_is_not_open_for_a_claim_art_16_does_not_name(mediation_db):
    accepted(mediation_db, claim_types=["social_insurance"])
    run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-20")
    with pytest.raises(MediationRefused, match="payment_order is not open"):
        run(mediation_db, MEDIATION.pursue_unpaid_agreement, "LD-1", "payment_order")


@pytest.mark.parametrize(("claim_types", "relationship", "window_open", "remedies"), [
    (["unpaid_wages"], "employment", True, ["judicial_confirmation", "arbitration", "payment_order"]),
    (["work_injury"], "employment", False, ["arbitration", "payment_order"]),  # art. 16: injury costs
    (["termination_compensation"], "employment", True,
     ["judicial_confirmation", "arbitration", "payment_order"]),  # art. 16: compensation
    (["social_insurance"], "employment", True, ["judicial_confirmation", "arbitration"]),  # not art. 16
    (["unpaid_wages"], "civil", True, ["judicial_confirmation"]),  # no labor arbitration (art. 2)
    (["unpaid_wages"], "civil", False, []),
])
def test_the_remedies_for_an_unpaid_agreement(claim_types, relationship, window_open, remedies):
    case_ = MediationCase(case_id="LD-1", correlation_id="c", handoff_id="h", purpose="mediation",
                          dossier=dossier(claim_types=claim_types, relationship=relationship),
                          state="agreement_reached", received_at=AT)
    assert remedies_for_unpaid_agreement(case_, window_open) == remedies


# -- 以案定补 --------------------------------------------------------------------------------------

def mediation_case(sessions: int = 1, **changes: Any) -> MediationCase:
    return MediationCase(case_id="LD-1", correlation_id="c", handoff_id="h", purpose="mediation",
                         dossier=dossier(**{"relationship": "employment", **changes}),
                         state="in_mediation", received_at=AT,
                         sessions=[{"number": n + 1} for n in range(sessions)])


@pytest.mark.parametrize(("case_", "grade"), [
    (mediation_case(), "simple"),
    (mediation_case(sessions=2), "ordinary"),
    (mediation_case(relationship="incomplete_employment"), "ordinary"),
    (mediation_case(sessions=3), "complex"),
    (mediation_case(claim_types=["work_injury"]), "complex"),
    (mediation_case(claim_types=["unpaid_wages", "social_insurance"]), "complex"),
    (mediation_case(worker_count=10), "major"),  # art. 7: a collective dispute
    (mediation_case(worker_count=9), "simple"),
    (mediation_case(urgent=True), "major"),
])
def test_a_case_is_graded_by_its_difficulty(case_, grade):
    assert difficulty(case_) == grade


@pytest.mark.parametrize(("grade", "agreed", "amount"), [
    ("simple", True, Decimal("200.00")), ("ordinary", True, Decimal("400.00")),
    ("complex", True, Decimal("800.00")), ("major", True, Decimal("1500.00")),
    ("simple", False, Decimal("100.00")), ("major", False, Decimal("750.00")),
])
def test_the_subsidy_is_the_regions_amount_for_the_grade(grade, agreed, amount):
    assert subsidy(grade, agreed, FIGURES) == amount


def test_another_region_pays_its_own_amounts():
    richer = replace(FIGURES, mediation_subsidy_yuan={**FIGURES.mediation_subsidy_yuan,
                                                      "simple": Decimal("300")})
    assert subsidy("simple", True, richer) == Decimal("300.00")


@pytest.mark.parametrize(("ending", "ended", "amount"), [
    (lambda db: run(db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-20"), "agreement", "200.00"),
    (lambda db: run(db, MEDIATION.record_failure, "LD-1", "no agreement"), "failed", "100.00"),
    (lambda db: run(db, MEDIATION.close, "LD-1", "withdrawn"), "withdrawn", "100.00"),
])
def test_the_subsidy_is_assessed_when_mediation_ends(mediation_db, ending, ended, amount):
    accepted(mediation_db, relationship="employment")
    ending(mediation_db)
    (assessed,) = events(mediation_db, "mediation.subsidy_assessed")
    assert assessed.payload == {"mediator_id": f"{STATION}-m1", "difficulty": "simple",
                                "amount": Decimal(amount), "ended": ended, "sessions": 0}
    assert case(mediation_db).subsidy == Decimal(amount)
