"""The courts bridge: judicial confirmation, litigation and enforcement as a court reports them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from courts_bridge.court_system import SimulatedCourt, court_system
from courts_bridge.domain import CourtRuleBroken
from courts_bridge.handlers import CourtsBridge
from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.lifecycle import IllegalTransition

from ..support.examples import AT, dossier_envelope
from .helpers import CalendarCoveringUpTo, deliver, receive, run, take_up

COURTS = CourtsBridge()
NUMBER = "(2026)川0107民初1234号"


def last_event(db):
    return db.outbox()[-1]


def closing(db):
    (closed,) = [e for e in db.outbox() if e.event_type == "case.closed"]
    return closed


@pytest.mark.parametrize(("proceeding", "requester", "ruling", "outcome"), [
    ("judicial_confirmation", "mediation", "confirmed", "confirmed_and_paid"),
    ("litigation", "arbitration", "judgment", "judgment_performed"),
])
def test_a_ruling_complied_with_closes_the_case_by_its_proceeding(courts_db, clock, proceeding,
                                                                  requester, ruling, outcome):
    handoff_id = receive(courts_db, COURTS, proceeding, from_agency=requester)
    run(courts_db, COURTS.accept_handoff, handoff_id, court_case_number=NUMBER)
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
    run(courts_db, COURTS.return_handoff, handoff_id, "agreement not within the court's jurisdiction")
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


# -- the payment order (支付令, 劳动争议调解仲裁法 art. 16; 民事诉讼法 督促程序) ---------------------

def fire(db) -> int:
    return COURTS.clocks.fire_due(db, COURTS.on_clock_elapsed)


def running_clocks(db, case_id="LD-1"):
    with db() as uow:
        return {str(c.kind): c for c in uow.clocks.running_for_case(case_id)}


def payment_order(db, **changes):
    handoff_id = receive(db, COURTS, "payment_order", from_agency="mediation", **changes)
    run(db, COURTS.accept_handoff, handoff_id, court_case_number="(2026)川0107民督1001号")
    return handoff_id


def test_an_accepted_payment_order_is_due_within_15_days(courts_db):
    """Issued within 15 days of acceptance: accepted Mon 2 Mar 2026, by Tue 17 Mar."""
    payment_order(courts_db)
    assert running_clocks(courts_db)["payment_order_issue"].last_day == date(2026, 3, 17)


def test_an_issued_order_gives_the_debtor_15_days_to_pay_or_object(courts_db, clock):
    payment_order(courts_db)
    clock.advance(days=3)
    view = run(courts_db, COURTS.issue_payment_order, "LD-1", "2560")
    assert view["respond_by"] == "2026-03-20"
    assert list(running_clocks(courts_db)) == ["payment_order_response"]
    issued = last_event(courts_db)
    assert (issued.event_type, issued.payload) == ("court.payment_order_issued", {
        "amount": Decimal("2560.00"), "respond_by": date(2026, 3, 20)})
    with pytest.raises(CourtRuleBroken, match="already issued"):
        run(courts_db, COURTS.issue_payment_order, "LD-1", "2560")


def test_a_paid_order_closes_the_case(courts_db):
    payment_order(courts_db)
    run(courts_db, COURTS.issue_payment_order, "LD-1", "2560")
    run(courts_db, COURTS.record_compliance, "LD-1", "2560")
    assert closing(courts_db).payload["outcome"] == "payment_order_paid"
    assert running_clocks(courts_db) == {}


@pytest.mark.parametrize(("applicant_sues", "state", "proceeding"), [
    (True, "in_court", "litigation"),  # the procedure ends and the matter goes on as a suit
    (False, "closed", "payment_order"),  # the applicant declines to sue
])
def test_an_objection_ends_the_payment_order(courts_db, applicant_sues, state, proceeding):
    payment_order(courts_db)
    run(courts_db, COURTS.issue_payment_order, "LD-1", "2560")
    view = run(courts_db, COURTS.record_objection, "LD-1", applicant_sues)
    assert (view["state"], view["proceeding"]) == (state, proceeding)
    assert running_clocks(courts_db) == {}
    if applicant_sues:
        ruled = run(courts_db, COURTS.enter_ruling, "LD-1", "judgment", "2000")
        assert ruled["state"] == "ruled"


@pytest.mark.parametrize(("days", "may_object"), [(15, True), (16, False)])
def test_the_debtor_may_object_on_day_15_not_day_16(courts_db, clock, days, may_object):
    payment_order(courts_db)
    run(courts_db, COURTS.issue_payment_order, "LD-1", "2560")  # 2 Mar: respond by 17 Mar
    clock.advance(days=days)
    fire(courts_db)
    if may_object:
        assert run(courts_db, COURTS.record_objection, "LD-1")["proceeding"] == "litigation"
    else:
        with pytest.raises(CourtRuleBroken, match="within 15 days"):
            run(courts_db, COURTS.record_objection, "LD-1")


def test_an_order_left_unanswered_may_be_enforced_and_not_before(courts_db, clock):
    payment_order(courts_db)
    run(courts_db, COURTS.issue_payment_order, "LD-1", "2560")
    with pytest.raises(CourtRuleBroken, match="enforced only once"):
        run(courts_db, COURTS.start_enforcement, "LD-1", "2560")
    clock.advance(days=16)
    assert fire(courts_db) == 1
    assert run(courts_db, COURTS.start_enforcement, "LD-1", "2560")["state"] == "enforcing"


def test_a_payment_order_is_not_ruled_on(courts_db):
    payment_order(courts_db)
    with pytest.raises(CourtRuleBroken, match="not ruled on"):
        run(courts_db, COURTS.enter_ruling, "LD-1", "judgment", "2560")


# -- the court system port and the simulated court ----------------------------------------

def consult(db) -> int:
    return COURTS.consult_court(db, SimulatedCourt())


def states(db, case_id="LD-1"):
    with db() as uow:
        return COURTS.case(uow, case_id).state


def test_the_simulated_court_answers_only_after_realistic_delays(courts_db, clock):
    """A judicial confirmation: registered after 3 days, confirmed 15 days later."""
    receive(courts_db, COURTS, "judicial_confirmation", from_agency="mediation")
    clock.advance(days=2, hours=23)
    assert consult(courts_db) == 0
    clock.advance(hours=1)
    assert consult(courts_db) == 1
    assert states(courts_db) == "in_court"
    with courts_db() as uow:
        assert COURTS.case(uow, "LD-1").court_case_number.startswith("(2026)川0107民特")
    clock.advance(days=14)
    assert consult(courts_db) == 0
    clock.advance(days=1)
    assert consult(courts_db) == 1
    assert states(courts_db) == "ruled"


@pytest.mark.parametrize("storage", ["courts_db", "courts_sql_db"])
def test_only_matters_quiet_for_the_courts_quickest_step_are_asked_about(request, clock, storage):
    db = request.getfixturevalue(storage)
    receive(db, COURTS, "judicial_confirmation", from_agency="mediation")
    asked: list[str] = []

    class WatchedCourt(SimulatedCourt):
        def answer(self, matter, now):
            asked.append(matter.case_id)
            return super().answer(matter, now)

    clock.advance(hours=23)
    COURTS.consult_court(db, WatchedCourt())
    assert asked == []  # received less than a day ago: no court answers that soon
    clock.advance(hours=1)
    COURTS.consult_court(db, WatchedCourt())
    assert asked == ["LD-1"]


def test_a_step_a_clerk_already_recorded_is_not_recorded_again(courts_db, clock):
    run(courts_db, COURTS.accept_handoff, receive(courts_db, COURTS, "litigation", from_agency="arbitration"))
    clock.advance(days=61)
    run(courts_db, COURTS.enter_ruling, "LD-1", "judgment", "2000")  # the clerk was first
    assert consult(courts_db) == 0
    assert [e.event_type for e in courts_db.outbox()].count("court.ruling_entered") == 1


@pytest.mark.parametrize(("debtor", "outcome"), [
    ("pays", "payment_order_paid"),
    ("objects", "judgment_performed"),
    ("silent", "enforced"),
])
def test_the_simulated_court_takes_a_payment_order_to_its_end(courts_db, clock, debtor, outcome):
    handoff_id = next(h for h in (f"h-{n}" for n in range(100))
                      if SimulatedCourt.debtor(_matter(h)) == debtor)
    message = dossier_envelope(purpose="payment_order", case_id="LD-1", from_agency="mediation",
                               requested_at=clock.now())
    message.payload["handoff_id"] = handoff_id
    deliver(courts_db, COURTS, message)
    for _ in range(40):
        clock.advance(days=5)
        fire(courts_db)
        consult(courts_db)
        if states(courts_db) == "closed":
            break
    assert closing(courts_db).payload["outcome"] == outcome


def _matter(handoff_id: str):
    from courts_bridge.domain import CourtMatter
    return CourtMatter(case_id="x", correlation_id="x", handoff_id=handoff_id, purpose="payment_order",
                       dossier={}, state="in_court", received_at=AT)


def test_an_unknown_court_system_is_refused_by_name():
    with pytest.raises(ValueError, match="no court system adapter 'e-court'"):
        court_system("e-court")
    assert court_system("none").answer(_matter("h"), AT) is None


@pytest.mark.parametrize(("effective_on", "accepted"), [
    ("2026-01-30", True),  # the 30th day is Sun 1 Mar: the period runs to Mon 2 Mar
    ("2026-01-29", False),  # the 30th day is Sat 28 Feb, a make-up working day: it ended then
])
def test_judicial_confirmation_is_applied_for_within_30_days_of_the_agreement(courts_db, effective_on,
                                                                               accepted):
    """人民调解法 art. 33, applied for on Mon 2 Mar 2026."""
    receive(courts_db, COURTS, "judicial_confirmation", from_agency="mediation",
            history={"agreement_effective_on": effective_on})
    pending = run(courts_db, COURTS.desk.pending)
    assert bool(pending) is accepted
    if not accepted:
        returned = last_event(courts_db)
        assert returned.event_type == "handoff.returned" and "art. 33" in returned.payload["reason"]


def test_an_application_is_not_refused_on_a_last_day_the_calendar_cannot_tell_yet(courts_db):
    """The same late application as above, before the 2026 schedule was published: the last day
    is only an estimate, so the court receives it and decides, rather than the estimate."""
    courts = CourtsBridge(ClockKeeper(Agency.COURTS, CalendarCoveringUpTo(2025)))
    receive(courts_db, courts, "judicial_confirmation", from_agency="mediation",
            history={"agreement_effective_on": "2026-01-29"})
    assert run(courts_db, courts.desk.pending)
