"""ArbitrationCase's own rules, without a database: the proceeding, the award, set-aside, suits
and referrals, and periods running out."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from arbitration.domain import ARBITRATORS, ArbitrationCase, ArbitrationRuleBroken
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.statute.periods import ChineseStatutoryCalendar

from ..support.examples import AT, dossier

K = ClockKind
WAGE = Decimal("2100")
CALENDAR = ChineseStatutoryCalendar()


def case(state: CaseState = CaseState.IN_ARBITRATION, **fields) -> ArbitrationCase:
    return ArbitrationCase(case_id="LD-1", correlation_id="c", handoff_id="h",
                           purpose="arbitration", dossier=dossier(), state=state,
                           received_at=AT, **fields)


def awarded(amount: str = "3000", **fields) -> ArbitrationCase:
    """A case just awarded (the lifecycle's move made as the handler's event makes it)."""
    awarded_case = case(**fields)
    awarded_case.make_award(Decimal(amount), None, WAGE, AT)
    awarded_case.move("arbitration.awarded")
    return awarded_case


@pytest.mark.parametrize("state", [CaseState.ARBITRATION_REQUESTED, CaseState.AWARDED,
                                   CaseState.COURT_REQUESTED])
@pytest.mark.parametrize("step", [
    lambda c: c.serve_respondent(AT), lambda c: c.receive_answer(AT),
    lambda c: c.pass_on_answer(AT), lambda c: c.name_panel(None, []),
    lambda c: c.schedule_hearing(date(2026, 4, 1), date(2026, 3, 2), CALENDAR),
    lambda c: c.extend_award_period(10),
])
def test_the_proceedings_steps_are_refused_outside_arbitration(state, step):
    outside = case(state)
    with pytest.raises(ArbitrationRuleBroken, match="not in arbitration"):
        step(outside)
    assert (outside.served_at, outside.panel, outside.hearing_on, outside.history) == (None, [], None, {})


def test_the_proceedings_steps_record_when_they_were_taken():
    proceeding = case()
    proceeding.serve_respondent(AT)
    proceeding.receive_answer(AT + timedelta(days=3))
    proceeding.pass_on_answer(AT + timedelta(days=4))
    assert (proceeding.served_at, proceeding.answer_received_at, proceeding.answer_passed_on_at) == (
        AT, AT + timedelta(days=3), AT + timedelta(days=4))


def test_a_panel_is_chaired_by_the_assigned_arbitrator_and_filled_with_the_least_loaded():
    proceeding = case(arbitrator_id=ARBITRATORS[2])
    assert proceeding.name_panel(None, [ARBITRATORS[0], ARBITRATORS[0], ARBITRATORS[1]]) == [
        ARBITRATORS[2], ARBITRATORS[3], ARBITRATORS[4]]
    with pytest.raises(ArbitrationRuleBroken, match="not arbitrators"):
        proceeding.name_panel(["judge-judy"], [])
    assert proceeding.panel == [ARBITRATORS[2], ARBITRATORS[3], ARBITRATORS[4]]


def test_a_hearing_needs_five_days_notice():
    proceeding = case()
    with pytest.raises(ArbitrationRuleBroken, match="art. 35"):
        proceeding.schedule_hearing(date(2026, 3, 9), date(2026, 3, 2), CALENDAR)
    proceeding.schedule_hearing(date(2026, 3, 10), date(2026, 3, 2), CALENDAR)
    assert proceeding.hearing_on == date(2026, 3, 10)


@pytest.mark.parametrize(("amount", "final", "windows"), [
    ("25200", True, (K.WORKER_SUIT_AFTER_FINAL_AWARD, K.EMPLOYER_SET_ASIDE)),
    ("25200.01", False, (K.SUIT_AFTER_AWARD,)),
])
def test_an_award_says_whether_it_is_final_and_which_windows_it_opens(amount, final, windows):
    proceeding = case()
    award = proceeding.make_award(Decimal(amount), None, WAGE, AT)
    assert (award.final_for_employer, award.windows) == (final, windows)
    assert award.items == {"unpaid_wages": amount}
    assert (proceeding.final_for_employer, proceeding.awarded_at) == (final, AT)
    assert proceeding.history == {"award": amount, "final_for_employer": final}


def test_only_a_final_award_is_set_aside_and_only_within_its_30_days():
    with pytest.raises(ArbitrationRuleBroken, match="only a final award"):
        awarded("30000").apply_to_set_aside(window_open=True)
    with pytest.raises(ArbitrationRuleBroken, match="only a final award"):
        case(final_for_employer=True).apply_to_set_aside(window_open=True)  # not awarded yet
    final = awarded()
    with pytest.raises(ArbitrationRuleBroken, match="30 days"):
        final.apply_to_set_aside(window_open=False)
    final.apply_to_set_aside(window_open=True)
    assert final.history["set_aside_applied"] is True


def test_before_the_award_a_party_sues_only_once_the_award_period_ran_out():
    proceeding = case()
    with pytest.raises(ArbitrationRuleBroken, match="art. 43"):
        proceeding.check_suit("worker", window_open=True)
    proceeding.period_ran_out(K.AWARD, date(2026, 4, 16), windows_open=False)
    assert proceeding.award_overdue
    proceeding.check_suit("employer", window_open=False)  # no window: the award never came


def test_the_employer_does_not_sue_against_a_final_award():
    final = awarded()
    assert final.suit_window is K.WORKER_SUIT_AFTER_FINAL_AWARD
    with pytest.raises(ArbitrationRuleBroken, match="art. 49"):
        final.check_suit("employer", window_open=True)
    final.check_suit("worker", window_open=True)
    with pytest.raises(ArbitrationRuleBroken, match="15 days.*worker_suit_after_final_award"):
        final.check_suit("worker", window_open=False)


def test_a_referral_names_its_purpose_and_its_party():
    final = awarded()
    assert final.check_referral("litigation", "worker", suit_window_open=True) is HandoffPurpose.LITIGATION
    assert final.check_referral("enforcement", "worker", suit_window_open=False) is HandoffPurpose.ENFORCEMENT
    with pytest.raises(ValueError, match="litigation or enforcement"):
        final.check_referral("mediation", "worker", suit_window_open=True)
    with pytest.raises(ValueError, match="worker or the employer"):
        final.check_referral("litigation", "union", suit_window_open=True)


def test_a_non_final_award_is_enforced_once_in_effect_and_then_no_longer_sued_on():
    award = awarded("30000")
    with pytest.raises(ArbitrationRuleBroken, match="art. 50"):
        award.check_referral("enforcement", "worker", suit_window_open=True)
    assert award.period_ran_out(K.SUIT_AFTER_AWARD, date(2026, 3, 17), windows_open=False) == date(2026, 3, 18)
    assert award.check_referral("enforcement", "worker", suit_window_open=False) is HandoffPurpose.ENFORCEMENT
    with pytest.raises(ArbitrationRuleBroken, match="took effect on 2026-03-18"):
        award.check_suit("worker", window_open=True)


def test_a_final_award_takes_effect_from_its_day_once_no_window_is_left():
    final = awarded()
    assert final.period_ran_out(K.WORKER_SUIT_AFTER_FINAL_AWARD, date(2026, 3, 17), windows_open=True) is None
    assert final.effective_on is None
    assert final.period_ran_out(K.EMPLOYER_SET_ASIDE, date(2026, 4, 1), windows_open=False) == date(2026, 3, 2)
    assert final.history["award_effective_on"] == "2026-03-02"


def test_a_period_missed_is_recorded_as_late_once():
    proceeding = case()
    for kind in (K.PANEL_NAMED, K.SERVICE_ON_RESPONDENT, K.PANEL_NAMED):
        assert proceeding.period_ran_out(kind, date(2026, 3, 9), windows_open=False) is None
    assert proceeding.history == {"late": ["panel_named", "service_on_respondent"]}
    assert not proceeding.award_overdue


def test_a_new_application_starts_afresh():
    final = awarded(arbitrator_id=ARBITRATORS[0], award_overdue=True)
    final.start_afresh()
    assert (final.arbitrator_id, final.amount_awarded, final.final_for_employer, final.awarded_at,
            final.award_overdue) == (None, None, None, None, False)


def test_an_award_no_longer_here_does_not_take_effect_here():
    referred = awarded("30000")
    referred.move("handoff.requested:litigation")
    assert referred.period_ran_out(K.SUIT_AFTER_AWARD, date(2026, 3, 17), windows_open=False) is None
    assert (referred.effective_on, referred.history["late"]) == (None, ["suit_after_award"])
