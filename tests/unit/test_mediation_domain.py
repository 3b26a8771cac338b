"""A mediation case's own rules, on the plain object (no database, no clocks): what each step
checks, how it changes the case, and what it says happened."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import CaseState, IllegalTransition
from disputes_shared.regional import regional_figures
from mediation.domain import MediationCase, MediationRefused, Referral

from ..support.examples import AT, dossier

TODAY = date(2026, 3, 2)


def mediation_case(state: CaseState = CaseState.IN_MEDIATION, **dossier_changes: Any) -> MediationCase:
    return MediationCase(case_id="LD-1", correlation_id="c", handoff_id="h", purpose="mediation",
                         dossier=dossier(**{"relationship": "employment", **dossier_changes}),
                         state=state, received_at=AT, mediator_id="people-wuhou-m1")


def agreed(**dossier_changes: Any) -> MediationCase:
    case = mediation_case(**dossier_changes)
    case.reach_agreement(Decimal("2560.00"), TODAY + timedelta(days=18), TODAY)
    return case


def test_the_state_is_the_contracts_enum_even_from_a_stored_string():
    case = mediation_case(state="in_mediation")  # type: ignore[arg-type]
    assert case.state is CaseState.IN_MEDIATION
    assert case.mediating and not case.awaiting_payment


# -- sessions ------------------------------------------------------------------------------------

def test_a_session_is_numbered_and_kept_on_the_case():
    case = mediation_case()
    case.hold_session("in_person", None, AT)
    second = case.hold_session("video", "employer joined online", AT + timedelta(days=1))
    assert (second.number, second.mode, second.mediator_id) == (2, "video", "people-wuhou-m1")
    assert case.sessions[1] == {"number": 2, "mode": "video",
                                "held_at": (AT + timedelta(days=1)).isoformat(),
                                "mediator_id": "people-wuhou-m1", "note": "employer joined online"}


@pytest.mark.parametrize("state", [CaseState.MEDIATION_REQUESTED, CaseState.AGREEMENT_REACHED,
                                   CaseState.MEDIATION_FAILED, CaseState.CLOSED])
def test_a_session_outside_mediation_is_refused_and_nothing_kept(state):
    case = mediation_case(state)
    with pytest.raises(MediationRefused, match=f"case LD-1 is {state}, not in mediation"):
        case.hold_session("in_person", None, AT)
    assert case.sessions == []


def test_a_session_in_an_unknown_mode_is_refused():
    case = mediation_case()
    with pytest.raises(MediationRefused, match="in_person or video, not 'phone'"):
        case.hold_session("phone", None, AT)
    assert case.sessions == []


# -- the agreement -------------------------------------------------------------------------------

def test_an_agreement_moves_the_case_and_records_the_day_it_took_effect():
    case = mediation_case()
    agreement = case.reach_agreement(Decimal("2560.00"), date(2026, 3, 20), TODAY)
    assert (agreement.amount, agreement.pay_by, agreement.effective_on) == (
        Decimal("2560.00"), date(2026, 3, 20), TODAY)
    assert case.state is CaseState.AGREEMENT_REACHED and case.awaiting_payment
    assert case.history == {"mediation_agreement": "2560.00", "agreement_effective_on": "2026-03-02"}


def test_an_agreement_to_pay_by_a_day_already_past_is_refused_and_nothing_changes():
    case = mediation_case()
    with pytest.raises(MediationRefused, match="2026-03-01 has already passed"):
        case.reach_agreement(Decimal("2560.00"), date(2026, 3, 1), TODAY)
    assert (case.state, case.amount_agreed, case.history) == (CaseState.IN_MEDIATION, None, {})


def test_an_agreement_outside_mediation_is_an_illegal_move_and_changes_nothing():
    case = mediation_case(CaseState.MEDIATION_FAILED)
    with pytest.raises(IllegalTransition):
        case.reach_agreement(Decimal("2560.00"), date(2026, 3, 20), TODAY)
    assert (case.amount_agreed, case.history) == (None, {})


# -- failure and the offer of arbitration ------------------------------------------------------

@pytest.mark.parametrize(("relationship", "refer", "onward"), [
    ("employment", True, Referral(HandoffPurpose.ARBITRATION, "mediation failed: no agreement")),
    ("civil", True, Referral(HandoffPurpose.LITIGATION, "mediation failed: no agreement; a civil "
                                                        "dispute, not for labor arbitration")),
    ("employment", False, None),
])
def test_a_failure_says_where_the_case_goes_next(relationship, refer, onward):
    case = mediation_case(relationship=relationship)
    failure = case.fail("no agreement", refer)
    assert failure.onward == onward
    assert case.state is CaseState.MEDIATION_FAILED
    assert case.history == {"mediation_failed": "no agreement"}


def test_arbitration_is_offered_only_while_the_case_is_mediated():
    mediating, agreed_case = mediation_case(), agreed()
    assert mediating.offer_arbitration() and mediating.arbitration_offered
    assert not agreed_case.offer_arbitration() and not agreed_case.arbitration_offered


@pytest.mark.parametrize("worker_agrees", [True, False])
def test_answering_the_offer_closes_it_and_says_whether_the_worker_took_it(worker_agrees):
    case = mediation_case()
    case.offer_arbitration()
    assert case.answer_arbitration_offer(worker_agrees) is worker_agrees
    assert not case.arbitration_offered
    with pytest.raises(MediationRefused, match="no offer of arbitration is open on case LD-1"):
        case.answer_arbitration_offer(worker_agrees)  # answered already


def test_an_offer_left_on_a_case_no_longer_mediated_cannot_be_answered():
    case = mediation_case(CaseState.AGREEMENT_REACHED)
    case.arbitration_offered = True
    with pytest.raises(MediationRefused, match="no offer of arbitration"):
        case.answer_arbitration_offer(True)


# -- an unpaid agreement ---------------------------------------------------------------------------

def test_an_unpaid_agreement_is_taken_where_the_chosen_remedy_leads():
    referral = agreed().pursue_unpaid_agreement("payment_order", confirmation_window_open=False)
    assert referral == Referral(HandoffPurpose.PAYMENT_ORDER,
                                "agreement of 2560.00 unpaid by 2026-03-20")


def test_a_remedy_not_open_is_refused_naming_those_that_are():
    with pytest.raises(MediationRefused, match="judicial_confirmation is not open to case LD-1; "
                                               "open: arbitration, payment_order"):
        agreed().pursue_unpaid_agreement("judicial_confirmation", confirmation_window_open=False)


@pytest.mark.parametrize("state", [CaseState.IN_MEDIATION, CaseState.CLOSED])
def test_no_remedy_is_open_on_a_case_without_an_agreement_awaiting_payment(state):
    case = mediation_case(state)
    with pytest.raises(MediationRefused, match=f"is {state}, not an agreement awaiting payment"):
        case.pursue_unpaid_agreement("arbitration", confirmation_window_open=True)


# -- 以案定补 --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ended", "amount"), [("agreement", Decimal("200.00")),
                                               ("failed", Decimal("100.00")),
                                               ("withdrawn", Decimal("100.00"))])
def test_the_subsidy_is_assessed_by_grade_and_how_the_case_ended(ended, amount):
    case = mediation_case()
    assessed = case.assess_subsidy(ended, regional_figures())
    assert (assessed.grade, assessed.amount, assessed.ended) == ("simple", amount, ended)
    assert (case.difficulty, case.subsidy) == ("simple", amount)


def test_a_payment_is_kept_on_the_case():
    case = agreed()
    case.record_payment(Decimal("2560.00"))
    assert case.amount_paid == Decimal("2560.00")
