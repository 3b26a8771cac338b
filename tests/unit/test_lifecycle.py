"""The case lifecycle: the transition table, both tracks, and where a handoff leaves a case."""

from __future__ import annotations

import pytest

from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import (
    AID_TRANSITIONS,
    CASE_TRANSITIONS,
    AidState,
    CaseProgress,
    CaseState,
    IllegalTransition,
    InspectionState,
    is_aid_move,
    move_of,
    next_aid_state,
    next_case_state,
    next_state,
    state_when_requested,
)

S, A = CaseState, AidState

CASE_MOVES = [(state, move, target) for state, row in CASE_TRANSITIONS.items()
              for move, target in row.items()]
AID_MOVES = [(state, move, target) for state, row in AID_TRANSITIONS.items()
             for move, target in row.items()]
ALL_CASE_MOVES = sorted({move for _, move, _ in CASE_MOVES})
ALL_AID_MOVES = sorted({move for _, move, _ in AID_MOVES})


def _id(value: object) -> str:
    return str(value)


@pytest.mark.parametrize(("state", "move", "target"), CASE_MOVES, ids=_id)
def test_every_legal_case_move_lands_where_the_table_says(state, move, target):
    assert next_case_state(state, move) is target
    assert next_state(str(state), move) == target

    progress = CaseProgress(state=state)
    progress.apply(move)
    assert (progress.state, progress.aid) == (target, A.NONE)


@pytest.mark.parametrize(("state", "move", "target"), AID_MOVES, ids=_id)
def test_every_legal_aid_move_lands_where_the_table_says(state, move, target):
    assert next_aid_state(state, move) is target
    assert next_state(str(state), move) == target

    progress = CaseProgress(state=S.IN_MEDIATION, aid=state)
    progress.apply(move)
    assert (progress.state, progress.aid) == (S.IN_MEDIATION, target)


def test_the_table_has_a_row_for_every_state_of_both_tracks():
    assert set(CASE_TRANSITIONS) == set(CaseState)
    assert set(AID_TRANSITIONS) == set(AidState)


def test_every_case_state_can_still_reach_closed():
    for start in CaseState:
        reached, frontier = {start}, [start]
        while frontier:
            for target in CASE_TRANSITIONS[frontier.pop()].values():
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        assert S.CLOSED in reached, start


def test_no_move_of_the_main_track_is_filed_under_the_aid_track():
    assert not any(is_aid_move(move) for move in ALL_CASE_MOVES)
    assert all(is_aid_move(move) for move in ALL_AID_MOVES)


@pytest.mark.parametrize(("state", "move"), [
    (S.MEDIATION_REQUESTED, "mediation.agreement_reached"),  # agreement before acceptance
    (S.MEDIATION_REQUESTED, "mediation.failed"),
    (S.FILED, "handoff.requested:mediation"),  # handed on before triage
    (S.TRIAGED, "arbitration.awarded"),
    (S.IN_MEDIATION, "handoff.requested:arbitration"),  # arbitration only after mediation fails
    (S.ARBITRATION_REQUESTED, "handoff.accepted:mediation"),  # answer to another purpose
    (S.ARBITRATION_REQUESTED, "arbitration.awarded"),  # award before acceptance
    (S.COURT_REQUESTED, "court.ruling_entered"),
    (S.COURT_REQUESTED, "case.closed"),
    (S.MEDIATION_FAILED, "mediation.agreement_reached"),
    (S.ENFORCING, "court.ruling_entered"),
    (S.TRIAGED, "case.triaged"),  # triaged twice
], ids=_id)
def test_an_illegal_case_move_raises(state, move):
    with pytest.raises(IllegalTransition) as raised:
        next_case_state(state, move)
    assert (raised.value.state, raised.value.move) == (state, move)
    assert move in str(raised.value) and str(state) in str(raised.value)


@pytest.mark.parametrize("move", ALL_CASE_MOVES)
def test_nothing_moves_a_closed_case(move):
    with pytest.raises(IllegalTransition):
        next_case_state(S.CLOSED, move)


@pytest.mark.parametrize(("state", "move"), [
    (A.NONE, "legal_aid.granted"),  # granted without being asked
    (A.REQUESTED, "legal_aid.granted"),  # decided before the centre accepted the application
    (A.GRANTED, "legal_aid.refused"),
    (A.REFUSED, "handoff.requested:legal_aid"),
    (A.RETURNED, "handoff.accepted:legal_aid"),
], ids=_id)
def test_an_illegal_aid_move_raises(state, move):
    with pytest.raises(IllegalTransition):
        next_aid_state(state, move)


def test_an_illegal_move_leaves_the_progress_where_it_was():
    progress = CaseProgress(state=S.MEDIATION_REQUESTED)
    with pytest.raises(IllegalTransition):
        progress.apply("mediation.agreement_reached")
    assert progress.state is S.MEDIATION_REQUESTED


def test_aid_moves_advance_the_aid_track_and_leave_the_main_track_alone():
    progress = CaseProgress(state=S.MEDIATION_REQUESTED)
    for move in ("handoff.requested:legal_aid", "handoff.accepted:legal_aid", "legal_aid.granted"):
        progress.apply(move)
        assert progress.state is S.MEDIATION_REQUESTED
    assert progress.aid is A.GRANTED


def test_main_moves_leave_the_aid_track_alone():
    progress = CaseProgress(state=S.MEDIATION_REQUESTED, aid=A.UNDER_REVIEW)
    progress.apply("handoff.accepted:mediation")
    assert (progress.state, progress.aid) == (S.IN_MEDIATION, A.UNDER_REVIEW)


def test_a_case_goes_from_filing_to_closure_through_mediation_and_aid():
    progress = CaseProgress()
    for move in ["case.filed", "case.triaged", "handoff.requested:mediation",
                 "handoff.requested:legal_aid", "handoff.returned:mediation",
                 "handoff.requested:mediation", "handoff.accepted:mediation",
                 "handoff.accepted:legal_aid", "legal_aid.refused",
                 "mediation.agreement_reached", "case.closed"]:
        progress.apply(move)
    assert (progress.state, progress.aid, progress.closed) == (S.CLOSED, A.REFUSED, True)


def test_neutral_events_move_neither_track():
    progress = CaseProgress(state=S.IN_ARBITRATION, aid=A.GRANTED)
    progress.apply("case.filed")
    progress.apply("trail.accessed")
    for clock_event in ("clock.started", "clock.extended", "clock.stopped", "clock.elapsed"):
        progress.apply(clock_event)
    assert (progress.state, progress.aid, progress.closed) == (S.IN_ARBITRATION, A.GRANTED, False)


STATE_WHEN_REQUESTED = {
    HandoffPurpose.MEDIATION: S.MEDIATION_REQUESTED,
    HandoffPurpose.ARBITRATION: S.ARBITRATION_REQUESTED,
    HandoffPurpose.JUDICIAL_CONFIRMATION: S.COURT_REQUESTED,
    HandoffPurpose.LITIGATION: S.COURT_REQUESTED,
    HandoffPurpose.ENFORCEMENT: S.COURT_REQUESTED,
    HandoffPurpose.PAYMENT_ORDER: S.COURT_REQUESTED,
    HandoffPurpose.LEGAL_AID: A.REQUESTED,
    HandoffPurpose.LABOR_INSPECTION: InspectionState.REFERRED,
}


@pytest.mark.parametrize(("purpose", "state"), STATE_WHEN_REQUESTED.items(), ids=_id)
def test_a_handoff_request_leaves_the_case_waiting_for_its_receiver(purpose, state):
    assert state_when_requested(purpose) == state


def test_the_waiting_states_above_cover_every_purpose():
    assert set(STATE_WHEN_REQUESTED) == set(HandoffPurpose)


def test_handoff_moves_are_qualified_by_purpose_and_others_are_not():
    assert move_of("handoff.accepted", "mediation") == "handoff.accepted:mediation"
    assert move_of("case.closed") == "case.closed"


@pytest.mark.parametrize(("state", "move"), [
    (S.AGREEMENT_REACHED, "handoff.requested:enforcement"),
    (S.AWARDED, "handoff.requested:judicial_confirmation"),
], ids=_id)
def test_a_court_proceeding_must_fit_what_the_case_holds(state, move):
    with pytest.raises(IllegalTransition):
        next_case_state(state, move)


@pytest.mark.parametrize(("state", "move"), [
    ("under_review", "case.closed"),
    ("in_mediation", "legal_aid.granted"),
], ids=_id)
def test_a_move_of_the_other_track_is_an_illegal_transition(state, move):
    with pytest.raises(IllegalTransition):
        next_state(state, move)


def test_a_wage_arrears_referral_runs_on_its_own_track_beside_mediation():
    progress = CaseProgress()
    for move in ("case.triaged", "handoff.requested:mediation", "handoff.requested:labor_inspection",
                 "handoff.accepted:labor_inspection", "handoff.accepted:mediation",
                 "inspection.concluded", "mediation.agreement_reached", "case.closed"):
        progress.apply(move)
    assert progress.inspection is InspectionState.CONCLUDED and progress.closed


@pytest.mark.parametrize(("state", "move"), [
    (InspectionState.NONE, "inspection.concluded"),  # a report on a referral never made
    (InspectionState.RETURNED, "inspection.concluded"),
    (InspectionState.CONCLUDED, "handoff.accepted:labor_inspection"),
], ids=_id)
def test_the_inspection_track_refuses_moves_out_of_order(state, move):
    with pytest.raises(IllegalTransition):
        next_state(state, move)
