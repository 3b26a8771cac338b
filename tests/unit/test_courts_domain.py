"""CourtMatter's own rules, without a database: ruling, the payment order, compliance,
enforcement, a late application for confirmation, periods running out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from courts_bridge.domain import CourtMatter, CourtRuleBroken
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.statute.periods import ChineseStatutoryCalendar

from ..support.examples import AT, dossier

CALENDAR = ChineseStatutoryCalendar()


def matter(purpose: str = "litigation", state: CaseState = CaseState.IN_COURT,
           **history) -> CourtMatter:
    held = CourtMatter(case_id="LD-1", correlation_id="c", handoff_id="h", purpose=purpose,
                       dossier=dossier(history=history), state=state, received_at=AT)
    held.start_afresh(purpose)
    return held


def test_a_matter_is_ruled_on_unless_it_is_a_payment_order():
    suit = matter("litigation")
    suit.rule("judgment", Decimal("2560.00"))
    assert (suit.ruling, suit.amount_ruled, suit.history) == (
        "judgment", Decimal("2560.00"), {"ruling": "judgment", "amount_ruled": "2560.00"})
    order = matter("payment_order")
    with pytest.raises(CourtRuleBroken, match="not ruled on"):
        order.rule("judgment", Decimal("1"))
    assert order.ruling is None


def test_a_payment_order_is_issued_once_while_before_the_court():
    order = matter("payment_order")
    order.issue_payment_order(Decimal("3200.00"))
    assert order.payment_order_amount == Decimal("3200.00")
    order.respond_by = date(2026, 3, 17)  # the response clock's last day, as the handler records it
    with pytest.raises(CourtRuleBroken, match="already issued"):
        order.issue_payment_order(Decimal("3200.00"))
    with pytest.raises(CourtRuleBroken, match="not a payment order"):
        matter("litigation").issue_payment_order(Decimal("1"))
    with pytest.raises(CourtRuleBroken, match="not a payment order"):
        matter("payment_order", CaseState.COURT_REQUESTED).issue_payment_order(Decimal("1"))


@pytest.mark.parametrize(("applicant_sues", "proceeding"), [(True, "litigation"),
                                                            (False, "payment_order")])
def test_an_objection_in_time_ends_the_payment_order(applicant_sues, proceeding):
    order = matter("payment_order")
    order.object_to_payment_order(in_time=True, applicant_sues=applicant_sues)
    assert (order.proceeding, order.history) == (proceeding, {"payment_order_objected": True})


def test_a_late_objection_is_refused():
    order = matter("payment_order")
    with pytest.raises(CourtRuleBroken, match="within 15 days"):
        order.object_to_payment_order(in_time=False, applicant_sues=True)
    assert (order.proceeding, order.history) == ("payment_order", {})


def test_a_payment_order_let_stand_unpaid_becomes_enforceable():
    order = matter("payment_order")
    with pytest.raises(CourtRuleBroken, match="enforced only once"):
        order.check_enforceable()
    order.period_ran_out(ClockKind.PAYMENT_ORDER_RESPONSE)
    assert order.enforceable and order.history == {"payment_order_unanswered": True}
    order.check_enforceable()
    matter("enforcement").check_enforceable()  # an award in effect is enforced as it comes


def test_another_period_run_out_is_recorded_as_late():
    order = matter("payment_order", CaseState.COURT_REQUESTED)
    order.period_ran_out(ClockKind.PAYMENT_ORDER_RESPONSE)  # not before the court (yet)
    order.period_ran_out(ClockKind.PAYMENT_ORDER_ISSUE)
    assert not order.enforceable
    assert order.history == {"late": ["payment_order_issue", "payment_order_response"]}


@pytest.mark.parametrize(("purpose", "outcome"), [
    ("judicial_confirmation", "confirmed_and_paid"), ("litigation", "judgment_performed"),
    ("enforcement", "enforced"), ("payment_order", "payment_order_paid"),
])
def test_compliance_ends_the_case_by_its_proceeding(purpose, outcome):
    held = matter(purpose)
    assert held.comply(Decimal("100.00")) == outcome
    assert held.amount_recovered == Decimal("100.00")


def test_a_payment_order_turned_into_a_suit_ends_as_a_judgment_performed():
    order = matter("payment_order")
    order.object_to_payment_order(in_time=True, applicant_sues=True)
    assert order.comply(Decimal("1.00")) == "judgment_performed"


@pytest.mark.parametrize(("purpose", "effective_on", "refused"), [
    ("judicial_confirmation", "2026-01-30", False),  # the period runs to Mon 2 Mar
    ("judicial_confirmation", "2026-01-29", True),  # it ended Sat 28 Feb, a make-up working day
    ("judicial_confirmation", None, False),  # nothing to count from: the court decides
    ("litigation", "2026-01-01", False),  # a suit has no such period
])
def test_a_late_application_for_judicial_confirmation_is_refused_as_it_arrives(
        purpose, effective_on, refused):
    history = {"agreement_effective_on": effective_on} if effective_on else {}
    refusal = matter(purpose, CaseState.COURT_REQUESTED, **history).confirmation_refusal(
        date(2026, 3, 2), CALENDAR)
    assert (refusal is not None) is refused
    if refused:
        assert refusal is not None and "art. 33" in refusal and effective_on in refusal


def test_a_new_application_starts_afresh():
    order = matter("payment_order")
    order.issue_payment_order(Decimal("5.00"))
    order.period_ran_out(ClockKind.PAYMENT_ORDER_RESPONSE)
    order.start_afresh("enforcement")
    assert (order.proceeding, order.payment_order_amount, order.enforceable) == ("enforcement", None, False)
