"""A legal-aid application's own rules, on the plain object (no database): aid before review,
the decision, and the lawyer following the case."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import AidState, IllegalTransition
from legal_aid.domain import AidApplication, AidDecision

from ..support.examples import AT, dossier

TODAY = date(2026, 3, 2)


def application(state: AidState = AidState.UNDER_REVIEW, **dossier_changes: Any) -> AidApplication:
    return AidApplication(case_id="LD-1", correlation_id="c", handoff_id="h", purpose="legal_aid",
                          dossier=dossier(**dossier_changes), state=state, received_at=AT)


def running_until(ends_on: date) -> dict[str, Any]:
    return {"status": "running", "runs_from": ends_on - timedelta(days=365), "ends_on": ends_on,
            "rule": "劳动争议调解仲裁法 art. 27 para. 1"}


class Lawyers:
    """Hands out one lawyer, counting how often it was asked."""

    def __init__(self, lawyer_id: str = "lawyer-03") -> None:
        self.lawyer_id = lawyer_id
        self.asked = 0

    def __call__(self) -> str:
        self.asked += 1
        return self.lawyer_id


def test_the_state_is_the_aid_tracks_enum_even_from_a_stored_string():
    found = application(state="under_review")  # type: ignore[arg-type]
    assert found.state is AidState.UNDER_REVIEW and found.under_review


# -- art. 44: aid before review ------------------------------------------------------------------

def test_a_limitation_running_out_within_days_gets_a_lawyer_before_review():
    found = application(limitation=running_until(TODAY + timedelta(days=3)))
    started = found.start_provisional_aid(TODAY, Lawyers())
    assert started is not None
    assert (started.lawyer_id, started.limitation_ends_on) == ("lawyer-03", TODAY + timedelta(days=3))
    assert (found.lawyer_id, found.representing, found.provisional) == ("lawyer-03", True, True)


@pytest.mark.parametrize(("state", "days_left"), [
    (AidState.UNDER_REVIEW, 7),  # seven days or more: the review comes first
    (AidState.UNDER_REVIEW, None),  # no limitation given
    (AidState.GRANTED, 3),  # decided already
])
def test_no_aid_before_review_otherwise_and_no_lawyer_asked_for(state, days_left):
    limitation = None if days_left is None else running_until(TODAY + timedelta(days=days_left))
    found, lawyers = application(state, limitation=limitation), Lawyers()
    assert found.start_provisional_aid(TODAY, lawyers) is None
    assert (found.lawyer_id, found.representing, lawyers.asked) == (None, False, 0)


# -- the decision --------------------------------------------------------------------------------

def test_aid_is_granted_with_a_lawyer_when_exempt():
    found = application(migrant_worker=True, claim_types=["unpaid_wages"])
    decision = found.decide(False, None, None, Lawyers())
    assert decision == AidDecision(True, "exempt", lawyer_id="lawyer-03")
    assert (found.state, found.representing, found.lawyer_id) == (AidState.GRANTED, True, "lawyer-03")


def test_the_lawyer_already_acting_keeps_the_case_when_aid_is_granted():
    found = application(limitation=running_until(TODAY + timedelta(days=2)))
    found.start_provisional_aid(TODAY, Lawyers("lawyer-05"))
    lawyers = Lawyers("lawyer-01")
    assert found.decide(True, None, None, lawyers).lawyer_id == "lawyer-05"
    assert lawyers.asked == 0


@pytest.mark.parametrize(("hardship", "refusal", "reason"), [
    (False, None, "economic hardship not shown"),
    (True, "the claim has no prospect", "the claim has no prospect"),
])
def test_aid_is_refused_and_a_provisional_representation_ends(hardship, refusal, reason):
    found = application(migrant_worker=False, claim_types=["social_insurance"],
                        limitation=running_until(TODAY + timedelta(days=2)))
    found.start_provisional_aid(TODAY, Lawyers())
    decision = found.decide(hardship, refusal, None, Lawyers())
    assert (decision.granted, decision.reason) == (False, reason)
    assert (found.state, found.representing) == (AidState.REFUSED, False)


def test_a_decision_on_an_application_not_under_review_is_an_illegal_move():
    found, lawyers = application(AidState.REQUESTED, migrant_worker=True), Lawyers()
    with pytest.raises(IllegalTransition):
        found.decide(True, None, None, lawyers)
    assert (found.state, found.means_test, found.lawyer_id, found.representing, lawyers.asked) == (
        AidState.REQUESTED, None, None, False, 0)


# -- following the case -------------------------------------------------------------------------

@pytest.mark.parametrize(("representing", "purpose", "followed"), [
    (True, HandoffPurpose.ARBITRATION, True),
    (True, HandoffPurpose.ENFORCEMENT, True),
    (True, HandoffPurpose.MEDIATION, False),  # no lawyer goes to a people's station
    (False, HandoffPurpose.LITIGATION, False),  # no one acts for the worker
])
def test_an_acting_lawyer_follows_the_case_into_arbitration_and_court(representing, purpose, followed):
    found = application(AidState.GRANTED)
    found.representing = representing
    assert found.follow("courts", purpose) is followed
    assert found.forums == ([f"courts:{purpose}"] if followed else [])


def test_representation_ends_with_the_case():
    found = application(AidState.GRANTED)
    found.representing = True
    found.end_representation("mediated")
    assert (found.representing, found.history) == (False, {"case_outcome": "mediated"})
