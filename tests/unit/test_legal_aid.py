"""Legal aid (法律援助): the means test with the art. 42 exemption, the decision, the lawyer."""

from __future__ import annotations

import pytest

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.lifecycle import IllegalTransition
from legal_aid.domain import LAWYERS, choose_lawyer, means_test
from legal_aid.handlers import LegalAid

from ..support.examples import delivered, envelope
from .helpers import receive, run, take_up

LEGAL_AID = LegalAid()


@pytest.mark.parametrize(("migrant", "claims", "hardship", "result"), [
    # 法律援助法 art. 42: migrant workers claiming pay or work-injury compensation are exempt.
    (True, ["unpaid_wages"], False, "exempt"),
    (True, ["work_injury"], False, "exempt"),
    (True, ["penalties_deductions", "unpaid_wages"], False, "exempt"),
    (True, ["unpaid_wages"], True, "exempt"),
    # Otherwise the economic-hardship check decides.
    (True, ["termination_compensation"], False, "failed"),
    (True, ["social_insurance"], True, "passed"),
    (False, ["unpaid_wages"], False, "failed"),
    (False, ["work_injury"], True, "passed"),
])
def test_the_means_test(migrant, claims, hardship, result):
    assert means_test({"migrant_worker": migrant, "claim_types": claims}, hardship) == result


def test_a_dossier_that_does_not_say_migrant_is_not_exempt():
    assert means_test({"claim_types": ["unpaid_wages"]}, hardship_shown=False) == "failed"


def test_choose_lawyer_takes_the_lawyer_with_fewest_cases_then_the_roster_order():
    assert choose_lawyer([]) == LAWYERS[0]
    assert choose_lawyer([LAWYERS[0]]) == LAWYERS[1]
    assert choose_lawyer([None, "someone-else"]) == LAWYERS[0]
    assert choose_lawyer([*LAWYERS, LAWYERS[0]]) == LAWYERS[1]


def test_a_received_application_waits_on_the_aid_track(legal_aid_db):
    receive(legal_aid_db, LEGAL_AID, "legal_aid")
    with legal_aid_db() as uow:
        assert LEGAL_AID.case(uow, "LD-1").state == "requested"
        assert [v["case_id"] for v in LEGAL_AID.open_cases(uow)] == ["LD-1"]


def test_accepting_puts_the_application_under_review(legal_aid_db, clock):
    handoff_id = receive(legal_aid_db, LEGAL_AID, "legal_aid")
    clock.advance(minutes=30)
    run(legal_aid_db, LEGAL_AID.accept_handoff, handoff_id)
    (accepted,) = legal_aid_db.outbox()
    assert (accepted.event_type, accepted.payload["wait_seconds"]) == ("handoff.accepted", 1800.0)
    with legal_aid_db() as uow:
        assert LEGAL_AID.case(uow, "LD-1").state == "under_review"


def test_an_exempt_migrant_worker_is_granted_aid_and_a_lawyer(legal_aid_db):
    take_up(legal_aid_db, LEGAL_AID, "legal_aid")
    view = run(legal_aid_db, LEGAL_AID.decide, "LD-1", hardship_shown=False)
    assert (view["state"], view["means_test"], view["lawyer_id"]) == ("granted", "exempt", LAWYERS[0])
    granted = legal_aid_db.outbox()[-1]
    assert granted.event_type == "legal_aid.granted"
    assert granted.payload == {"lawyer_id": LAWYERS[0], "means_test": "exempt", "worked_seconds": 0.0}


def test_a_worker_who_is_not_exempt_and_shows_no_hardship_is_refused(legal_aid_db):
    run(legal_aid_db, LEGAL_AID.accept_handoff,
        receive(legal_aid_db, LEGAL_AID, "legal_aid", migrant_worker=False))
    view = run(legal_aid_db, LEGAL_AID.decide, "LD-1", hardship_shown=False)
    assert (view["state"], view["means_test"], view["lawyer_id"]) == ("refused", "failed", None)
    refused = legal_aid_db.outbox()[-1]
    assert (refused.event_type, refused.payload) == ("legal_aid.refused",
                                                     {"reason": "economic hardship not shown",
                                                      "worked_seconds": 0.0})


def test_a_refusal_reason_refuses_even_an_exempt_worker(legal_aid_db):
    take_up(legal_aid_db, LEGAL_AID, "legal_aid")
    view = run(legal_aid_db, LEGAL_AID.decide, "LD-1", refusal_reason="already represented")
    assert view["state"] == "refused"
    assert legal_aid_db.outbox()[-1].payload == {"reason": "already represented", "worked_seconds": 0.0}


def test_lawyers_are_spread_over_the_applications_granted(legal_aid_db):
    for case_id in ("LD-1", "LD-2", "LD-3"):
        take_up(legal_aid_db, LEGAL_AID, "legal_aid", case_id)
        run(legal_aid_db, LEGAL_AID.decide, case_id)
    granted = [e.payload["lawyer_id"] for e in legal_aid_db.outbox() if e.event_type == "legal_aid.granted"]
    assert granted == list(LAWYERS[:3])


def test_a_closed_case_ends_the_representation_and_frees_the_lawyer(legal_aid_db):
    take_up(legal_aid_db, LEGAL_AID, "legal_aid", "LD-1")
    run(legal_aid_db, LEGAL_AID.decide, "LD-1")
    closed = delivered(envelope("case.closed", case_id="LD-1", source_agency=Agency.MEDIATION))
    assert run(legal_aid_db, LEGAL_AID.handle, closed) == "handled"
    with legal_aid_db() as uow:
        application = LEGAL_AID.case(uow, "LD-1")
    assert (application.representing, application.history) == (False, {"case_outcome": "mediated"})
    assert application.state == "granted"  # the aid track is done; the case closed elsewhere
    take_up(legal_aid_db, LEGAL_AID, "legal_aid", "LD-2")
    assert run(legal_aid_db, LEGAL_AID.decide, "LD-2")["lawyer_id"] == LAWYERS[0]


def test_a_closed_case_legal_aid_never_saw_is_ignored(legal_aid_db):
    closed = delivered(envelope("case.closed", case_id="LD-elsewhere"))
    assert run(legal_aid_db, LEGAL_AID.handle, closed) == "ignored"


def test_a_decision_before_the_application_was_accepted_is_illegal(legal_aid_db):
    receive(legal_aid_db, LEGAL_AID, "legal_aid")
    with pytest.raises(IllegalTransition):
        run(legal_aid_db, LEGAL_AID.decide, "LD-1")
    assert legal_aid_db.outbox_rows() == []


def test_an_application_is_decided_once(legal_aid_db):
    take_up(legal_aid_db, LEGAL_AID, "legal_aid")
    run(legal_aid_db, LEGAL_AID.decide, "LD-1")
    with pytest.raises(IllegalTransition):
        run(legal_aid_db, LEGAL_AID.decide, "LD-1", refusal_reason="second thoughts")
    assert [e.event_type for e in legal_aid_db.outbox()].count("legal_aid.granted") == 1


def test_decided_applications_leave_the_work_list(legal_aid_db):
    take_up(legal_aid_db, LEGAL_AID, "legal_aid", "LD-1")
    take_up(legal_aid_db, LEGAL_AID, "legal_aid", "LD-2")
    run(legal_aid_db, LEGAL_AID.decide, "LD-1")
    with legal_aid_db() as uow:
        assert [v["case_id"] for v in LEGAL_AID.open_cases(uow)] == ["LD-2"]
        assert [v["case_id"] for v in LEGAL_AID.open_cases(uow, "granted")] == ["LD-1"]
