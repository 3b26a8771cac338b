"""Mediation's service layer on its own database: the handoff desk and the receiving agency
as every agency runs them, and the mediation a station does."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from nameko.testing.services import worker_factory

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.handoff import HandoffAlreadyAnswered, HandoffStatus
from disputes_shared.contract.lifecycle import NEUTRAL_EVENTS, IllegalTransition, UnknownCase
from disputes_shared.identity.refusals import Forbidden
from disputes_shared.plumbing.handoff_desk import HandoffRefused, UnknownHandoff
from disputes_shared.ports import apply_once
from mediation.adapters import mediation_cases
from mediation.domain import MediationCase, Mediator, choose_mediator
from mediation.handlers import Mediation
from mediation.reference import load_roster
from mediation.service import MediationService

from ..support.examples import AT, WORKER, delivered, dossier_envelope, envelope
from . import helpers
from .helpers import run

MEDIATION = Mediation()
STATION = "people-wuhou"


def receive(db, case_id: str = "LD-1", station: str = STATION, **changes) -> str:
    """Deliver a dossier for ``case_id`` to mediation; return the handoff id."""
    return helpers.receive(db, MEDIATION, "mediation", case_id, to_unit=station, **changes)


def announced(db) -> list:
    """The events that move cases (clock steps and recorded facts have tests of their own)."""
    return [e for e in db.outbox() if e.event_type not in NEUTRAL_EVENTS]


def case(db, case_id: str = "LD-1") -> MediationCase:
    with db() as uow:
        return MEDIATION.case(uow, case_id)


def accepted_case(db, case_id: str = "LD-1", **details) -> MediationCase:
    run(db, MEDIATION.accept_handoff, receive(db, case_id), **details)
    return case(db, case_id)


def as_person(db, role: str, station: str | None):
    """A unit of work of a command a signed-in person runs (as ``Storage`` gives it)."""
    def unit_of_work():
        uow = db()
        uow.actor = {"subject": "li.ming", "role": role, **({"station": station} if station else {})}
        return uow
    return unit_of_work


# -- a station's staff act for their station alone ---------------------------------------------

def test_a_mediator_of_another_station_is_refused_and_nothing_changes(mediation_db):
    accepted_case(mediation_db)
    elsewhere = as_person(mediation_db, "mediator", "ind-fooddelivery-wuhou")
    for command, args in ((MEDIATION.record_session, ("LD-1", "video")),
                          (MEDIATION.record_agreement, ("LD-1", "3000", "2026-12-31")),
                          (MEDIATION.record_failure, ("LD-1", "no show")),
                          (MEDIATION.close, ("LD-1",))):
        with pytest.raises(Forbidden, match="not at the station") as refused:
            run(elsewhere, command, *args)
        assert refused.value.reason == "station"
    assert case(mediation_db).sessions == [] and case(mediation_db).state == "in_mediation"
    run(as_person(mediation_db, "mediator", STATION), MEDIATION.record_session, "LD-1", "video")
    assert len(case(mediation_db).sessions) == 1  # the case's own station's mediator may


def test_a_station_desk_answers_only_its_own_stations_handoffs(mediation_db):
    handoff_id = receive(mediation_db)
    with pytest.raises(Forbidden):
        run(as_person(mediation_db, "station_admin", "people-jinjiang"), MEDIATION.accept_handoff, handoff_id)
    assert case(mediation_db).state == "mediation_requested"
    run(as_person(mediation_db, "station_admin", STATION), MEDIATION.accept_handoff, handoff_id)
    assert case(mediation_db).state == "in_mediation"


def test_the_system_and_other_agencies_roles_are_not_held_to_a_station(mediation_db):
    accepted_case(mediation_db)  # the system (no actor)
    run(as_person(mediation_db, "operator", None), MEDIATION.record_session, "LD-1")
    assert len(case(mediation_db).sessions) == 1


def test_a_stations_staff_list_their_stations_cases_and_handoffs_alone(mediation_db):
    accepted_case(mediation_db, "LD-1")
    receive(mediation_db, "LD-2")
    other_station = "people-jinjiang"
    receive(mediation_db, "LD-3", station=other_station)
    run(mediation_db, MEDIATION.accept_handoff, receive(mediation_db, "LD-4", station=other_station))

    def listed(role: str, station: str | None, state: str | None = None) -> tuple[list[str], list[str]]:
        with as_person(mediation_db, role, station)() as uow:
            return ([c["case_id"] for c in MEDIATION.open_cases(uow, state)],
                    [h.case_id for h in MEDIATION.pending(uow)])

    assert listed("mediator", STATION) == (["LD-1", "LD-2"], ["LD-2"])
    assert listed("station_admin", other_station) == (["LD-3", "LD-4"], ["LD-3"])
    assert listed("station_admin", other_station, "in_mediation") == (["LD-4"], ["LD-3"])
    assert listed("mediator", None) == ([], [])  # a station's role with no station: none is theirs
    # The agency's other staff, and the system, see every station's.
    assert listed("operator", None) == (["LD-1", "LD-2", "LD-3", "LD-4"], ["LD-2", "LD-3"])
    with mediation_db() as uow:
        assert [c["case_id"] for c in MEDIATION.open_cases(uow)] == ["LD-1", "LD-2", "LD-3", "LD-4"]


# -- receiving ---------------------------------------------------------------------------------

def test_a_received_dossier_is_stored_as_a_case_waiting_for_the_station(mediation_db):
    handoff_id = receive(mediation_db)
    stored = case(mediation_db)
    assert stored.state == "mediation_requested"
    assert (stored.station_id, stored.mediator_id, stored.handoff_id) == (STATION, None, handoff_id)
    assert stored.dossier["worker"] == WORKER  # personal data stays in the receiving agency
    with mediation_db() as uow:
        (pending,) = MEDIATION.desk.pending(uow)
    assert (pending.handoff_id, pending.from_agency, pending.status) == (
        handoff_id, Agency.INTAKE, HandoffStatus.PENDING)
    assert mediation_db.outbox_rows() == []  # receiving announces nothing


def test_a_redelivered_dossier_is_applied_once(mediation_db):
    message = dossier_envelope(to_unit=STATION)
    assert apply_once(mediation_db, "mediation", message, MEDIATION.handle) == "handled"
    assert apply_once(mediation_db, "mediation", message, MEDIATION.handle) == "duplicate"
    assert mediation_db.count(mediation_cases) == 1
    assert mediation_db.count("handoffs") == 1


def test_a_dossier_for_another_agency_is_refused(mediation_db):
    with mediation_db() as uow, pytest.raises(ValueError, match="legal_aid"):
        MEDIATION.handle(uow, dossier_envelope(purpose="legal_aid"))


def test_broadcasts_mediation_does_not_act_on_are_ignored(mediation_db):
    with mediation_db() as uow:
        assert MEDIATION.handle(uow, delivered(envelope("case.filed"))) == "ignored"


# -- accepting and returning ---------------------------------------------------------------------

def test_accepting_announces_the_wait_and_puts_the_case_in_mediation(mediation_db, clock):
    handoff_id = receive(mediation_db)
    clock.advance(hours=3, minutes=20)
    handoff = run(mediation_db, MEDIATION.accept_handoff, handoff_id)
    assert handoff.status is HandoffStatus.ACCEPTED
    (accepted,) = announced(mediation_db)
    assert accepted.event_type == "handoff.accepted"
    assert accepted.payload["wait_seconds"] == 12000.0
    assert accepted.payload["accepted_at"] == AT + timedelta(hours=3, minutes=20)
    assert (accepted.payload["from_agency"], accepted.source_agency) == ("intake", Agency.MEDIATION)
    assert accepted.correlation_id == "corr-1"
    stored = case(mediation_db)
    assert (stored.state, stored.accepted_at) == ("in_mediation", AT + timedelta(hours=3, minutes=20))
    with mediation_db() as uow:
        assert MEDIATION.desk.pending(uow) == []


def accepted_with(db, case_id: str, claim_types: list[str], **details) -> MediationCase:
    run(db, MEDIATION.accept_handoff, receive(db, case_id, claim_types=claim_types), **details)
    return case(db, case_id)


def test_accepting_assigns_the_least_loaded_mediator_of_the_station(mediation_db):
    m1, m2, m3 = (m.mediator_id for m in load_roster().of_station(STATION))
    other = ["social_insurance"]  # no one at the station specialises in it: everyone is a candidate
    assert accepted_with(mediation_db, "LD-1", other, mediator_id=m1).mediator_id == m1
    assert accepted_with(mediation_db, "LD-2", other, mediator_id=m1).mediator_id == m1
    assert accepted_with(mediation_db, "LD-3", other).mediator_id == m2
    assert accepted_with(mediation_db, "LD-4", other).mediator_id == m3
    assert accepted_with(mediation_db, "LD-5", other).mediator_id == m2


def test_accepting_prefers_a_specialist_in_the_claim_even_if_busier(mediation_db):
    # people-wuhou: m1 handles wages, m2 terminations and deductions, m3 is a generalist.
    assert accepted_with(mediation_db, "LD-1", ["unpaid_wages"]).mediator_id == f"{STATION}-m1"
    assert accepted_with(mediation_db, "LD-2", ["unpaid_wages"]).mediator_id == f"{STATION}-m1"
    assert accepted_with(mediation_db, "LD-3", ["termination_compensation"]).mediator_id == f"{STATION}-m2"
    assert accepted_with(mediation_db, "LD-4", ["social_insurance"]).mediator_id == f"{STATION}-m3"


def test_cases_at_other_stations_do_not_count_towards_a_mediators_load(mediation_db):
    run(mediation_db, MEDIATION.accept_handoff, receive(mediation_db, "LD-1", station="people-jinjiang"))
    assert accepted_case(mediation_db, "LD-2").mediator_id == f"{STATION}-m1"


def test_accepting_with_details_mediation_does_not_know_is_refused(mediation_db):
    handoff_id = receive(mediation_db)
    with pytest.raises(TypeError, match="court_case_number"):
        run(mediation_db, MEDIATION.accept_handoff, handoff_id, court_case_number="x")
    assert case(mediation_db).state == "mediation_requested"
    assert mediation_db.outbox_rows() == []


def test_returning_announces_the_reason_and_the_wait(mediation_db, clock):
    handoff_id = receive(mediation_db)
    clock.advance(minutes=45)
    run(mediation_db, MEDIATION.return_handoff, handoff_id, "station at capacity")
    (returned,) = announced(mediation_db)
    assert returned.event_type == "handoff.returned"
    assert (returned.payload["reason"], returned.payload["wait_seconds"]) == ("station at capacity", 2700.0)
    assert case(mediation_db).state == "triaged"  # intake routes it again
    assert case(mediation_db).mediator_id is None


def test_a_return_without_a_reason_is_refused_and_nothing_is_announced(mediation_db):
    handoff_id = receive(mediation_db)
    with pytest.raises(ValueError, match="reason"):
        run(mediation_db, MEDIATION.return_handoff, handoff_id, " ")
    assert mediation_db.outbox_rows() == []
    with mediation_db() as uow:
        assert uow.handoffs.get(handoff_id).status is HandoffStatus.PENDING


def test_a_handoff_cannot_be_answered_twice_at_the_desk(mediation_db):
    handoff_id = receive(mediation_db)
    run(mediation_db, MEDIATION.accept_handoff, handoff_id)
    with pytest.raises(HandoffAlreadyAnswered):
        run(mediation_db, MEDIATION.return_handoff, handoff_id, "changed our mind")
    assert [e.event_type for e in announced(mediation_db)] == ["handoff.accepted"]


def test_an_unknown_handoff_cannot_be_answered(mediation_db):
    with pytest.raises(UnknownHandoff):
        run(mediation_db, MEDIATION.accept_handoff, "no-such-handoff")


def test_a_case_returned_and_handed_back_starts_a_new_stay(mediation_db):
    run(mediation_db, MEDIATION.return_handoff, receive(mediation_db, station="people-jinjiang"), "full")
    second = receive(mediation_db, station=STATION)
    stored = case(mediation_db)
    assert (stored.state, stored.station_id, stored.handoff_id) == ("mediation_requested", STATION, second)


# -- mediating ---------------------------------------------------------------------------------

def test_an_agreement_before_the_case_was_accepted_is_illegal(mediation_db):
    receive(mediation_db)
    with pytest.raises(IllegalTransition):
        run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-17")
    assert mediation_db.outbox_rows() == []
    assert case(mediation_db).amount_agreed is None


def test_an_agreement_is_announced_and_kept(mediation_db):
    accepted_case(mediation_db)
    view = run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-17")
    assert (view["state"], view["amount_agreed"], view["pay_by"]) == ("agreement_reached", "2560.00", "2026-03-17")
    agreement = announced(mediation_db)[-1]
    assert agreement.event_type == "mediation.agreement_reached"
    assert agreement.payload == {"amount_agreed": Decimal("2560.00"), "pay_by": date(2026, 3, 17),
                                 "mediator_id": f"{STATION}-m1"}
    stored = case(mediation_db)
    assert (stored.amount_agreed, stored.pay_by) == (Decimal("2560.00"), date(2026, 3, 17))


def test_a_paid_agreement_closes_the_case_as_mediated(mediation_db, clock):
    accepted_case(mediation_db)
    run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-17")
    clock.advance(days=10)
    run(mediation_db, MEDIATION.record_payment, "LD-1", "2560")
    closed = announced(mediation_db)[-1]
    assert closed.event_type == "case.closed"
    assert closed.payload == {"outcome": "mediated", "amount_recovered": Decimal("2560.00"),
                              "days_open": 10, "worked_seconds": 10 * 86400.0}
    assert case(mediation_db).state == "closed"


def test_an_unpaid_agreement_goes_to_a_court_for_judicial_confirmation(mediation_db):
    accepted_case(mediation_db)
    run(mediation_db, MEDIATION.record_agreement, "LD-1", "2560", "2026-03-17")
    run(mediation_db, MEDIATION.refer_unpaid_agreement, "LD-1")
    requested, sent = announced(mediation_db)[-2:]
    assert (requested.event_type, sent.event_type) == ("handoff.requested", "handoff.dossier")
    assert (sent.payload["purpose"], sent.payload["to_agency"]) == ("judicial_confirmation", "courts")
    assert sent.payload["dossier"]["history"] == {"mediation_agreement": "2560.00",
                                                  "agreement_effective_on": "2026-03-02"}
    assert case(mediation_db).state == "court_requested"


def test_a_failure_is_announced_then_the_case_is_handed_to_arbitration(mediation_db):
    accepted_case(mediation_db)
    run(mediation_db, MEDIATION.record_failure, "LD-1", "employer disputes the amount")
    failed, requested, sent = announced(mediation_db)[-3:]
    assert failed.event_type == "mediation.failed"
    assert failed.payload == {"reason": "employer disputes the amount", "mediator_id": f"{STATION}-m1"}
    assert (requested.payload["purpose"], requested.payload["from_agency"]) == ("arbitration", "mediation")
    assert sent.payload["dossier"]["history"] == {"mediation_failed": "employer disputes the amount"}
    assert sent.payload["dossier"]["worker"] == WORKER
    assert all(value not in row["body"] for row in mediation_db.outbox_rows()
               if row["event_type"] != "handoff.dossier" for value in WORKER.values())
    assert case(mediation_db).state == "arbitration_requested"


def test_a_failure_the_worker_does_not_take_further_stays_failed(mediation_db):
    accepted_case(mediation_db)
    run(mediation_db, MEDIATION.record_failure, "LD-1", "no contact", refer_to_arbitration=False)
    assert [e.event_type for e in announced(mediation_db)][-1] == "mediation.failed"
    assert case(mediation_db).state == "mediation_failed"


def test_the_arbitration_answer_moves_the_case_that_mediation_handed_on(mediation_db, clock):
    accepted_case(mediation_db)
    run(mediation_db, MEDIATION.record_failure, "LD-1", "employer disputes the amount")
    request = announced(mediation_db)[-1]
    clock.advance(days=1)
    refused = {**{k: request.payload[k] for k in ("handoff_id", "from_agency", "to_agency",
                                                   "purpose", "requested_at", "to_unit")},
               "returned_at": clock.now(), "wait_seconds": 86400.0, "reason": "不予受理"}
    answer = delivered(envelope("handoff.returned", refused, case_id="LD-1",
                                source_agency=Agency.ARBITRATION))
    assert apply_once(mediation_db, "mediation", answer, MEDIATION.handle) == "handled"
    assert case(mediation_db).state == "arbitration_refused"
    run(mediation_db, MEDIATION.close, "LD-1", "abandoned")
    assert case(mediation_db).state == "closed"


def test_a_withdrawn_case_is_closed_from_mediation(mediation_db):
    accepted_case(mediation_db)
    run(mediation_db, MEDIATION.close, "LD-1", "withdrawn")
    assert announced(mediation_db)[-1].payload["outcome"] == "withdrawn"


def test_commands_on_a_case_mediation_does_not_hold_raise(mediation_db):
    with pytest.raises(UnknownCase):
        run(mediation_db, MEDIATION.record_failure, "LD-nope", "no such case")


def test_open_cases_lists_the_work_without_personal_data(mediation_db):
    accepted_case(mediation_db, "LD-1")
    receive(mediation_db, "LD-2")
    with mediation_db() as uow:
        views = MEDIATION.open_cases(uow)
        waiting = MEDIATION.open_cases(uow, "mediation_requested")
    assert [v["case_id"] for v in views] == ["LD-1", "LD-2"]
    assert [v["case_id"] for v in waiting] == ["LD-2"]
    assert all("dossier" not in v and "worker" not in v for v in views)


ROSTER = (Mediator("s-m1", ("unpaid_wages",)), Mediator("s-m2", ("unpaid_wages", "work_injury")),
          Mediator("s-m3", ()))


@pytest.mark.parametrize(("claim_types", "loads", "chosen"), [
    (["social_insurance"], {}, "s-m1"),
    (["social_insurance"], {"s-m1": 1}, "s-m2"),
    (["social_insurance"], {"s-m1": 1, "s-m2": 1}, "s-m3"),
    (["social_insurance"], {"s-m1": 2, "s-m2": 1, "s-m3": 1}, "s-m2"),
    (["social_insurance"], {"s-m1": 0, "other-m1": 5}, "s-m1"),
    (["unpaid_wages"], {"s-m1": 1}, "s-m2"),  # both specialists: the less loaded
    (["unpaid_wages"], {"s-m1": 3, "s-m2": 3}, "s-m1"),  # the generalist is free, but not a specialist
    (["work_injury"], {"s-m2": 9}, "s-m2"),  # the only specialist, however busy
    (["work_injury", "unpaid_wages"], {"s-m2": 2}, "s-m1"),  # a specialist in one of the claims
])
def test_choose_mediator_takes_a_specialist_with_the_fewest_cases_then_the_roster_order(
        claim_types, loads, chosen):
    assigned = [m for m, count in loads.items() for _ in range(count)]
    assert choose_mediator(ROSTER, claim_types, assigned) == chosen


# -- the nameko service --------------------------------------------------------------------------

def test_the_service_applies_each_delivered_event_once(mediation_db):
    service = worker_factory(MediationService, storage=mediation_db, agency_logic=MEDIATION)
    message = dossier_envelope(to_unit=STATION)
    assert service.on_events([message]) == ["handled"]
    assert service.on_events([message]) == ["duplicate"]
    (pending,) = service.pending_handoffs()
    assert pending["handoff_id"] == message.payload["handoff_id"] and pending["pending"] is True


def test_the_service_commits_each_staff_command(mediation_db, clock):
    service = worker_factory(MediationService, storage=mediation_db, agency_logic=MEDIATION)
    service.on_events([dossier_envelope(to_unit=STATION)])
    (pending,) = service.pending_handoffs()
    clock.advance(hours=1)
    answered = service.accept_handoff(pending["handoff_id"])
    assert (answered["status"], answered["wait_seconds"]) == ("accepted", 3600.0)
    agreed = service.record_agreement("LD-20260302-0000000001", "1000", "2026-03-20")
    assert agreed["state"] == "agreement_reached"
    assert [e.event_type for e in announced(mediation_db)] == ["handoff.accepted", "mediation.agreement_reached"]
    assert service.open_cases("agreement_reached")[0]["mediator_id"] == f"{STATION}-m1"


def test_an_event_applied_after_a_later_one_of_its_case_from_its_publisher_is_reported(mediation_db):
    overtaken: list[tuple[int | None, int]] = []

    def deliver_placed(place: int | None, case_id: str) -> str:
        message = replace(dossier_envelope(to_unit=STATION, case_id=case_id), case_sequence=place)
        return apply_once(mediation_db, "mediation", message, MEDIATION.handle,
                          overtaken=lambda event, later: overtaken.append((event.case_sequence, later)))

    assert deliver_placed(4, "LD-1") == "handled"
    assert deliver_placed(7, "LD-2") == "handled"  # another case's later place
    assert deliver_placed(None, "LD-3") == "handled"  # unstamped (an outside kit's): not compared
    assert overtaken == []
    with pytest.raises(HandoffRefused):  # the case is held already: refused, and reported
        deliver_placed(2, "LD-1")
    assert overtaken == [(2, 4)]
