"""The CLI's simulated staff: each agency acts on a case as the case's planned path says."""

from __future__ import annotations

import pytest

from disputes_cli.staff import Staff
from disputes_cli.synthetic import PlannedCase

from ..support.examples import claim_document


def staff_for(path: str) -> Staff:
    return Staff(plans={"LD-1": PlannedCase(claim=claim_document(), path=path, hardship_shown=True)})


def handoff(handoff_id: str = "h1") -> dict:
    return {"case_id": "LD-1", "handoff_id": handoff_id}


def test_staff_leave_alone_a_case_that_is_not_theirs():
    staff = staff_for("mediated_paid")
    assert staff.answer_handoff("mediation", {"case_id": "LD-other", "handoff_id": "h"}) is None
    assert staff.next_step("mediation", {"case_id": "LD-other", "state": "in_mediation"}) is None


def test_a_station_returns_the_case_once_on_the_returned_path_then_accepts():
    staff = staff_for("station_returned_then_mediated")
    service, method, args, _ = staff.answer_handoff("mediation", handoff("h1"))
    assert (service, method, args[0]) == ("mediation", "return_handoff", "h1")
    assert staff.answer_handoff("mediation", handoff("h2"))[1] == "accept_handoff"


def test_arbitration_refuses_on_the_refused_path_and_accepts_otherwise():
    assert staff_for("arbitration_refused_closed").answer_handoff("arbitration", handoff())[1] == "return_handoff"
    assert staff_for("failed_award_performed").answer_handoff("arbitration", handoff())[1] == "accept_handoff"


def test_a_court_accepts_with_a_case_number():
    _, method, _, details = staff_for("failed_award_litigated").answer_handoff("courts_bridge", handoff())
    assert method == "accept_handoff" and details["court_case_number"].startswith("(2026)")


@pytest.mark.parametrize(("path", "service", "state", "purpose", "method"), [
    ("withdrawn", "mediation", "in_mediation", "mediation", "close"),
    ("mediated_paid", "mediation", "in_mediation", "mediation", "record_agreement"),
    ("mediated_paid", "mediation", "agreement_reached", "mediation", "record_payment"),
    ("agreement_unpaid_confirmed_paid", "mediation", "agreement_reached", "mediation", "refer_unpaid_agreement"),
    ("failed_award_performed", "mediation", "in_mediation", "mediation", "record_failure"),
    ("arbitration_refused_closed", "mediation", "arbitration_refused", "mediation", "close"),
    ("failed_award_performed", "arbitration", "in_arbitration", "arbitration", "record_award"),
    ("failed_award_performed", "arbitration", "awarded", "arbitration", "record_award_performed"),
    ("failed_award_litigated", "arbitration", "awarded", "arbitration", "refer_to_court"),
    ("failed_award_enforced", "courts_bridge", "in_court", "enforcement", "start_enforcement"),
    ("failed_award_litigated", "courts_bridge", "in_court", "litigation", "enter_ruling"),
    ("agreement_unpaid_confirmed_paid", "courts_bridge", "ruled", "judicial_confirmation", "record_compliance"),
    ("agreement_unpaid_enforced", "courts_bridge", "ruled", "judicial_confirmation", "start_enforcement"),
    ("agreement_unpaid_enforced", "courts_bridge", "enforcing", "judicial_confirmation", "conclude_enforcement"),
    ("mediated_paid", "legal_aid", "under_review", "legal_aid", "decide"),
])
def test_staff_take_the_next_step_of_the_planned_path(path, service, state, purpose, method):
    case = {"case_id": "LD-1", "state": state, "purpose": purpose, "amount_agreed": "2560.00",
            "amount_awarded": "2880.00", "sessions": 1, **PROCEEDING_DONE}
    action = staff_for(path).next_step(service, case)
    assert action is not None and action[:2] == (service, method)


@pytest.mark.parametrize("path", ["mediated_paid", "failed_award_performed"])
def test_staff_hold_a_session_before_ending_a_mediation(path):
    case = {"case_id": "LD-1", "state": "in_mediation", "purpose": "mediation", "sessions": 0}
    assert staff_for(path).next_step("mediation", case)[:2] == ("mediation", "record_session")


def test_staff_hold_the_joint_consultation_of_an_urgent_case_with_all_three_roles():
    action = staff_for("mediated_paid").hold_consultation({"case_id": "LD-1", "station_id": "prearb-city"})
    service, method, (case_id, participants, plan), _ = action
    assert (service, method, case_id) == ("intake", "hold_consultation", "LD-1")
    assert set(participants) == {"arbitrator", "mediator", "lawyer"} and plan


PROCEEDING_DONE = {"panel": ["arbitrator-01"], "served": True, "answered": True,
                   "answer_passed_on": True, "hearing_on": "2026-03-30", "history": {},
                   "final_for_employer": False}


@pytest.mark.parametrize(("done", "method"), [
    ({"panel": []}, "name_panel"),
    ({"served": False}, "serve_respondent"),
    ({"answered": False}, "record_answer"),
    ({"answer_passed_on": False}, "pass_on_answer"),
    ({"hearing_on": None}, "schedule_hearing"),
    ({}, "record_award"),
])
def test_arbitration_staff_go_through_the_proceeding_before_the_award(done, method):
    case = {"case_id": "LD-1", "state": "in_arbitration", "purpose": "arbitration",
            **PROCEEDING_DONE, **done}
    assert staff_for("failed_award_performed").next_step("arbitration", case)[1] == method


def test_the_award_period_is_extended_once_on_the_litigated_path():
    staff = staff_for("failed_award_litigated")
    case = {"case_id": "LD-1", "state": "in_arbitration", "purpose": "arbitration", **PROCEEDING_DONE}
    assert staff.next_step("arbitration", case)[1:3] == ("extend_award_period", ("LD-1", 15, "commission chair"))
    case["history"] = {"award_period_extended": 15}
    assert staff.next_step("arbitration", case)[1] == "record_award"


@pytest.mark.parametrize(("final", "by"), [(True, "worker"), (False, "employer")])
def test_only_the_worker_sues_against_a_final_award(final, by):
    case = {"case_id": "LD-1", "state": "awarded", "purpose": "arbitration", **PROCEEDING_DONE,
            "final_for_employer": final}
    assert staff_for("failed_award_litigated").next_step("arbitration", case)[3] == {"by": by}


def test_staff_wait_when_a_case_is_not_theirs_to_move():
    staff = staff_for("mediated_paid")
    assert staff.next_step("mediation", {"case_id": "LD-1", "state": "mediation_requested"}) is None
    assert staff.next_step("intake", {"case_id": "LD-1", "state": "triaged"}) is None


def test_on_the_silent_path_arbitration_never_answers_and_the_worker_then_sues():
    staff = staff_for("arbitration_silent_sued")
    assert staff.answer_handoff("arbitration", handoff()) is None
    assert staff.next_step("mediation", {"case_id": "LD-1", "state": "in_mediation",
                                         "sessions": 1})[1] == "record_failure"
    assert staff.next_step("mediation", {"case_id": "LD-1", "state": "arbitration_refused"})[1] == "sue"


def test_on_the_overdue_path_the_worker_sues_once_the_award_period_has_run_out():
    staff = staff_for("award_overdue_sued")
    case = {"case_id": "LD-1", "state": "in_arbitration", "purpose": "arbitration",
            **PROCEEDING_DONE, "award_overdue": False}
    assert staff.next_step("arbitration", case) is None
    case["award_overdue"] = True
    assert staff.next_step("arbitration", case)[1:3] == (
        "refer_to_court", ("LD-1", "litigation", "no award within the period (art. 43)"))
