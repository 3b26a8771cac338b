"""The handoff record: one arrow between two agencies, its answer and its wait."""

from __future__ import annotations

from datetime import timedelta

import pytest

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.handoff import (
    Handoff,
    HandoffAlreadyAnswered,
    HandoffPurpose,
    HandoffStatus,
)

from ..support.examples import AT


def requested(purpose: HandoffPurpose = HandoffPurpose.MEDIATION) -> Handoff:
    return Handoff.request("LD-1", Agency.INTAKE, purpose, AT, reason="industry:food_delivery",
                           to_unit="ind-fooddelivery-wuhou")


@pytest.mark.parametrize(("purpose", "receiver"), [
    ("mediation", Agency.MEDIATION),
    ("legal_aid", Agency.LEGAL_AID),
    ("arbitration", Agency.ARBITRATION),
    ("judicial_confirmation", Agency.COURTS),
    ("litigation", Agency.COURTS),
    ("enforcement", Agency.COURTS),
])
def test_a_request_goes_to_the_agency_that_serves_its_purpose(purpose, receiver):
    handoff = Handoff.request("LD-1", "intake", purpose, AT)
    assert handoff.to_agency is receiver
    assert handoff.purpose is HandoffPurpose(purpose)
    assert handoff.from_agency is Agency.INTAKE


def test_a_new_request_is_pending_with_no_wait_yet():
    handoff = requested()
    assert handoff.status is HandoffStatus.PENDING
    assert handoff.answered_at is None and handoff.wait_seconds is None


def test_each_request_has_its_own_id():
    assert requested().handoff_id != requested().handoff_id


def test_accepting_records_the_answer_and_the_wait():
    handoff = requested()
    handoff.accept(AT + timedelta(hours=2, seconds=30))
    assert handoff.status is HandoffStatus.ACCEPTED
    assert handoff.answered_at == AT + timedelta(hours=2, seconds=30)
    assert handoff.wait_seconds == 7230.0


def test_returning_records_the_reason_and_the_wait():
    handoff = requested()
    handoff.return_(AT + timedelta(days=1), "station at capacity")
    assert handoff.status is HandoffStatus.RETURNED
    assert handoff.reason == "station at capacity"
    assert handoff.wait_seconds == 86400.0


def test_an_answer_at_the_moment_of_the_request_waited_zero_seconds():
    handoff = requested()
    handoff.accept(AT)
    assert handoff.wait_seconds == 0.0


@pytest.mark.parametrize(("first", "second"), [
    ("accept", "accept"), ("accept", "return"), ("return", "accept"), ("return", "return"),
])
def test_a_handoff_cannot_be_answered_twice(first, second):
    def answer(handoff: Handoff, how: str, at) -> None:
        handoff.accept(at) if how == "accept" else handoff.return_(at, "not ours")

    handoff = requested()
    answer(handoff, first, AT + timedelta(hours=1))
    with pytest.raises(HandoffAlreadyAnswered):
        answer(handoff, second, AT + timedelta(hours=2))
    assert handoff.answered_at == AT + timedelta(hours=1)
    assert handoff.status is (HandoffStatus.ACCEPTED if first == "accept" else HandoffStatus.RETURNED)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_return_needs_a_reason(reason):
    handoff = requested()
    with pytest.raises(ValueError, match="reason"):
        handoff.return_(AT + timedelta(hours=1), reason)
    assert handoff.status is HandoffStatus.PENDING
    assert handoff.reason == "industry:food_delivery"


@pytest.mark.parametrize("answer", ["accept", "return"])
def test_a_handoff_cannot_be_answered_before_it_was_requested(answer):
    handoff = requested()
    before = AT - timedelta(seconds=1)
    with pytest.raises(ValueError, match="before"):
        handoff.accept(before) if answer == "accept" else handoff.return_(before, "not ours")
    assert handoff.status is HandoffStatus.PENDING and handoff.answered_at is None
