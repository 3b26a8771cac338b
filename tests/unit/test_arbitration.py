"""Arbitration: taking up a case, the final-award rule (一裁终局, art. 47), referral to court."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from nameko.testing.services import worker_factory

from arbitration.bootstrap import bootstrap
from arbitration.domain import ARBITRATORS, ArbitrationRuleBroken, final_for_employer
from arbitration.handlers import Arbitration
from arbitration.service import ArbitrationService
from disputes_shared.clocks.statutory import ExtensionRefused
from disputes_shared.contract.lifecycle import IllegalTransition

from .helpers import receive, run, take_up

ARBITRATION = Arbitration()
WAGE = Decimal("2100")  # the local monthly minimum wage


def last(db, event_type):
    """The last event of ``event_type`` the service committed."""
    return [e for e in db.outbox() if e.event_type == event_type][-1]


LIMIT = "25200.00"  # 12 × the monthly minimum wage


@pytest.mark.parametrize(("why", "items", "final"), [
    ("art. 47 (1): wages of exactly 12 months' minimum wage", {"unpaid_wages": LIMIT}, True),
    ("art. 47 (1): one cent more is not final", {"unpaid_wages": "25200.01"}, False),
    ("art. 47 (1): nothing awarded is still final", {"unpaid_wages": "0.00"}, True),
    ("art. 47 (1): work-injury costs at the limit", {"work_injury": LIMIT}, True),
    ("art. 47 (1): compensation under the limit", {"termination_compensation": "18000.00"}, True),
    ("art. 47 (1): each item compared on its own, not their sum",
     {"unpaid_wages": LIMIT, "work_injury": LIMIT, "termination_compensation": LIMIT}, True),
    ("art. 47 (1): one item over the limit makes the award non-final",
     {"unpaid_wages": "100.00", "work_injury": "25200.01"}, False),
    ("art. 47 (2): social insurance is a labor standard, final at any amount",
     {"social_insurance": "900000.00"}, True),
    ("art. 47 (2): working hours and rest, final at any amount",
     {"working_hours": "50000.00", "rest_and_leave": "40000.00"}, True),
    ("not an art. 47 item", {"relationship_recognition": "100.00"}, False),
    ("not an art. 47 item", {"penalties_deductions": "100.00"}, False),
    ("a mixed award is non-final", {"unpaid_wages": "100.00", "relationship_recognition": "0.00"}, False),
])
def test_an_award_is_final_for_the_employer_item_by_item(why, items, final):
    assert final_for_employer({k: Decimal(v) for k, v in items.items()}, WAGE) is final, why


def test_the_limit_follows_the_local_minimum_wage():
    assert final_for_employer({"unpaid_wages": Decimal("30000")}, Decimal("2500")) is True
    assert final_for_employer({"unpaid_wages": Decimal("30000")}, WAGE) is False


def test_accepting_assigns_the_least_loaded_arbitrator(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration", "LD-1", arbitrator_id=ARBITRATORS[0])
    take_up(arbitration_db, ARBITRATION, "arbitration", "LD-2")
    with arbitration_db() as uow:
        assert [ARBITRATION.case(uow, c).arbitrator_id for c in ("LD-1", "LD-2")] == list(ARBITRATORS[:2])
        assert ARBITRATION.case(uow, "LD-2").state == "in_arbitration"


def test_a_refused_application_is_answered_to_the_requester_with_no_arbitrator(arbitration_db):
    handoff_id = receive(arbitration_db, ARBITRATION, "arbitration", from_agency="mediation")
    run(arbitration_db, ARBITRATION.return_handoff, handoff_id, "不予受理: beyond the one-year limitation")
    with arbitration_db() as uow:
        refused = ARBITRATION.case(uow, "LD-1")
    assert (refused.state, refused.arbitrator_id) == ("arbitration_refused", None)
    returned = last(arbitration_db, "handoff.returned")
    assert returned.payload["from_agency"] == "mediation"  # the answer goes back to the requester


def test_an_award_records_whether_it_is_final(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    view = run(arbitration_db, ARBITRATION.record_award, "LD-1", "25200")
    assert (view["state"], view["amount_awarded"], view["final_for_employer"]) == ("awarded", "25200.00", True)
    awarded = last(arbitration_db, "arbitration.awarded")
    assert awarded.payload == {"amount_awarded": Decimal("25200.00"), "final_for_employer": True,
                               "arbitrator_id": ARBITRATORS[0],
                               "items": {"unpaid_wages": Decimal("25200.00")}}


def test_an_award_before_acceptance_is_illegal(arbitration_db):
    receive(arbitration_db, ARBITRATION, "arbitration")
    with pytest.raises(IllegalTransition):
        run(arbitration_db, ARBITRATION.record_award, "LD-1", "1000")
    assert [e.event_type for e in arbitration_db.outbox()] == ["clock.started"]  # on receipt


def test_a_performed_award_closes_the_case(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.record_award, "LD-1", "3000")
    run(arbitration_db, ARBITRATION.record_award_performed, "LD-1", "3000")
    closed = last(arbitration_db, "case.closed")
    assert (closed.event_type, closed.payload["outcome"], closed.payload["amount_recovered"]) == (
        "case.closed", "award_performed", Decimal("3000.00"))


@pytest.mark.parametrize("purpose", ["litigation", "enforcement"])
def test_an_award_can_go_to_court_for_litigation_or_enforcement(arbitration_db, purpose):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.record_award, "LD-1", "3000")
    view = run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", purpose, "not performed")
    assert view["state"] == "court_requested"
    sent = last(arbitration_db, "handoff.dossier")
    assert (sent.event_type, sent.payload["purpose"], sent.payload["to_agency"]) == (
        "handoff.dossier", purpose, "courts")
    assert sent.payload["dossier"]["history"] == {"award": "3000.00", "final_for_employer": True}


def test_arbitration_does_not_send_an_award_for_judicial_confirmation(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.record_award, "LD-1", "3000")
    with pytest.raises(ValueError, match="judicial_confirmation"):
        run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "judicial_confirmation", "x")


def test_the_service_judges_finality_by_the_configured_minimum_wage(arbitration_db):
    logic = bootstrap({"MONTHLY_MINIMUM_WAGE": "2500"})
    service = worker_factory(ArbitrationService, storage=arbitration_db, agency_logic=logic)
    take_up(arbitration_db, logic, "arbitration")
    assert service.record_award("LD-1", "30000")["final_for_employer"] is True


# -- the proceeding's clocks (劳动争议调解仲裁法), on a manual clock from Mon 2 Mar 2026 --------

def fire(db) -> int:
    return ARBITRATION.clocks.fire_due(db, ARBITRATION.on_clock_elapsed)


def clocks_of(db, case_id="LD-1"):
    with db() as uow:
        return {str(c.kind): c for c in uow.clocks.for_case(case_id)}


def running(db, case_id="LD-1"):
    return sorted(k for k, c in clocks_of(db, case_id).items() if c.running)


def test_receipt_starts_the_five_working_day_acceptance_clock(arbitration_db):
    """art. 29: received Mon 2 Mar 2026, decided by Mon 9 Mar."""
    receive(arbitration_db, ARBITRATION, "arbitration")
    acceptance = clocks_of(arbitration_db)["arbitration_acceptance"]
    assert (acceptance.running, acceptance.last_day) == (True, date(2026, 3, 9))


def test_acceptance_stops_its_clock_and_starts_service_panel_and_award(arbitration_db):
    """arts. 29, 30, 32, 43: accepted on 2 Mar; serve and name the panel by 9 Mar; award by
    16 Apr (45 days)."""
    take_up(arbitration_db, ARBITRATION, "arbitration")
    clocks = clocks_of(arbitration_db)
    assert clocks["arbitration_acceptance"].status == "satisfied"
    assert running(arbitration_db) == ["award", "panel_named", "service_on_respondent"]
    assert (clocks["service_on_respondent"].last_day, clocks["panel_named"].last_day,
            clocks["award"].last_day) == (date(2026, 3, 9), date(2026, 3, 9), date(2026, 4, 16))


def test_silence_past_the_acceptance_period_returns_the_application_so_the_worker_may_sue(
        arbitration_db, clock):
    """art. 29: no decision within 5 working days: the applicant may go to court."""
    handoff_id = receive(arbitration_db, ARBITRATION, "arbitration", from_agency="mediation")
    clock.advance(days=7)  # Mon 9 Mar, 17:00 in China: the last day, not yet over
    assert fire(arbitration_db) == 0
    clock.advance(hours=7)  # Tue 10 Mar, 00:00 in China
    assert fire(arbitration_db) == 1
    returned = last(arbitration_db, "handoff.returned")
    assert (returned.payload["handoff_id"], returned.payload["from_agency"]) == (handoff_id, "mediation")
    assert "art. 29" in returned.payload["reason"]
    with arbitration_db() as uow:
        assert ARBITRATION.case(uow, "LD-1").state == "arbitration_refused"
    assert fire(arbitration_db) == 0  # once only


def test_a_refusal_stops_the_acceptance_clock(arbitration_db):
    handoff_id = receive(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.return_handoff, handoff_id, "不予受理: not a labor dispute")
    assert clocks_of(arbitration_db)["arbitration_acceptance"].status == "satisfied"
    assert running(arbitration_db) == []


def test_service_answer_and_passing_on_each_have_their_clock(arbitration_db):
    """art. 30: serve within 5, answer within 10, pass the answer on within 5 (working days)."""
    take_up(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.serve_respondent, "LD-1")
    assert clocks_of(arbitration_db)["respondent_answer"].last_day == date(2026, 3, 16)
    run(arbitration_db, ARBITRATION.record_answer, "LD-1")
    run(arbitration_db, ARBITRATION.name_panel, "LD-1")
    assert running(arbitration_db) == ["answer_passed_on", "award"]
    view = run(arbitration_db, ARBITRATION.pass_on_answer, "LD-1")
    assert running(arbitration_db) == ["award"]
    assert view["panel"][0] == ARBITRATORS[0] and len(view["panel"]) == 3


def test_a_late_step_is_recorded_as_such(arbitration_db, clock):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    clock.advance(days=8)
    assert fire(arbitration_db) == 2  # not served, no panel named
    with arbitration_db() as uow:
        assert ARBITRATION.case(uow, "LD-1").history["late"] == ["panel_named", "service_on_respondent"]


@pytest.mark.parametrize(("hearing_on", "allowed"), [
    ("2026-03-09", False),  # the 5th working day after the notice
    ("2026-03-10", True),  # the day after: 5 full days' notice (art. 35)
])
def test_a_hearing_is_notified_at_least_five_days_ahead(arbitration_db, hearing_on, allowed):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    if allowed:
        assert run(arbitration_db, ARBITRATION.schedule_hearing, "LD-1", hearing_on)["hearing_on"] == hearing_on
    else:
        with pytest.raises(ArbitrationRuleBroken, match="art. 35"):
            run(arbitration_db, ARBITRATION.schedule_hearing, "LD-1", hearing_on)


def test_the_award_period_is_extended_once_with_the_chairs_approval(arbitration_db):
    """art. 43: 45 days (16 Apr) + at most 15 (1 May is Labour Day 2026: 6 May)."""
    take_up(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.extend_award_period, "LD-1", 15, "commission chair")
    assert clocks_of(arbitration_db)["award"].last_day == date(2026, 5, 6)
    with pytest.raises(ExtensionRefused, match="one extension only"):
        run(arbitration_db, ARBITRATION.extend_award_period, "LD-1", 1, "commission chair")
    assert len([e for e in arbitration_db.outbox() if e.event_type == "clock.extended"]) == 1


def test_an_overdue_award_lets_a_party_sue_and_not_before(arbitration_db, clock):
    """art. 43: no award within the period: the parties may go to court."""
    take_up(arbitration_db, ARBITRATION, "arbitration")
    with pytest.raises(ArbitrationRuleBroken, match="art. 43"):
        run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "litigation", "no award")
    clock.advance(days=46)
    fire(arbitration_db)
    view = run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "litigation", "no award in 45 days")
    assert (view["state"], view["award_overdue"]) == ("court_requested", True)
    assert running(arbitration_db) == []


def award(db, amount="3000", **items):
    return run(db, ARBITRATION.record_award, "LD-1", amount, items or None)


def test_a_final_award_opens_the_workers_15_days_and_the_employers_30(arbitration_db):
    """arts. 47-49: award on 2 Mar 2026; the worker may sue to 17 Mar, the employer apply to set
    aside to 1 Apr."""
    take_up(arbitration_db, ARBITRATION, "arbitration")
    assert award(arbitration_db)["final_for_employer"] is True
    clocks = clocks_of(arbitration_db)
    assert running(arbitration_db) == ["employer_set_aside", "worker_suit_after_final_award"]
    assert (clocks["worker_suit_after_final_award"].last_day,
            clocks["employer_set_aside"].last_day) == (date(2026, 3, 17), date(2026, 4, 1))
    assert clocks["award"].status == "satisfied"


def test_the_employer_cannot_sue_against_a_final_award_but_may_apply_to_set_it_aside(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    award(arbitration_db)
    with pytest.raises(ArbitrationRuleBroken, match="art. 49"):
        run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "litigation", "x", "employer")
    run(arbitration_db, ARBITRATION.apply_to_set_aside, "LD-1")
    assert running(arbitration_db) == ["worker_suit_after_final_award"]


@pytest.mark.parametrize(("days", "may_sue"), [(15, True), (16, False)])
def test_the_worker_may_sue_on_day_15_after_a_final_award_not_day_16(arbitration_db, clock, days, may_sue):
    """art. 48: within 15 days of receiving the award (2 Mar 2026 → 17 Mar)."""
    take_up(arbitration_db, ARBITRATION, "arbitration")
    award(arbitration_db)
    clock.advance(days=days)
    fire(arbitration_db)
    if may_sue:
        assert run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "litigation", "x")["state"] == "court_requested"
    else:
        with pytest.raises(ArbitrationRuleBroken, match="15 days"):
            run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "litigation", "x")


def test_a_final_award_stands_once_both_windows_pass(arbitration_db, clock):
    """art. 47: in effect from the day it is made; announced once nobody challenged it."""
    take_up(arbitration_db, ARBITRATION, "arbitration")
    award(arbitration_db)
    clock.advance(days=20)
    fire(arbitration_db)
    assert [e for e in arbitration_db.outbox() if e.event_type == "arbitration.award_effective"] == []
    clock.advance(days=20)
    fire(arbitration_db)
    effective = last(arbitration_db, "arbitration.award_effective")
    assert effective.payload == {"final_for_employer": True, "effective_on": date(2026, 3, 2)}


def test_a_non_final_award_takes_effect_when_nobody_sues_within_15_days(arbitration_db, clock):
    """art. 50: either party may sue within 15 days; then the award takes effect (18 Mar)."""
    take_up(arbitration_db, ARBITRATION, "arbitration")
    assert award(arbitration_db, "30000")["final_for_employer"] is False
    assert running(arbitration_db) == ["suit_after_award"]
    with pytest.raises(ArbitrationRuleBroken, match="art. 50"):
        run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "enforcement", "not paid")
    clock.advance(days=16)
    fire(arbitration_db)
    assert last(arbitration_db, "arbitration.award_effective").payload["effective_on"] == date(2026, 3, 18)
    with pytest.raises(ArbitrationRuleBroken, match="took effect"):
        run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "litigation", "too late", "employer")
    assert run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "enforcement", "not paid")["state"] == "court_requested"


def test_an_award_of_several_claim_types_names_each_item(arbitration_db):
    handoff_id = receive(arbitration_db, ARBITRATION, "arbitration",
                         claim_types=["unpaid_wages", "work_injury"])
    run(arbitration_db, ARBITRATION.accept_handoff, handoff_id)
    with pytest.raises(ArbitrationRuleBroken, match="each item"):
        award(arbitration_db, "40000")
    view = award(arbitration_db, "40000", unpaid_wages="20000", work_injury="20000")
    assert view["final_for_employer"] is True  # each under 25,200 though the sum is not


def test_closing_a_case_stops_its_clocks(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.close, "LD-1", "withdrawn")
    assert running(arbitration_db) == []
