"""Arbitration: taking up a case, the final-award rule (一裁终局, art. 47), referral to court."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nameko.testing.services import worker_factory

from arbitration.domain import ARBITRATORS, final_for_employer
from arbitration.handlers import Arbitration
from arbitration.service import ArbitrationService
from disputes_shared.contract.lifecycle import IllegalTransition

from .helpers import receive, run, take_up

ARBITRATION = Arbitration()
WAGE = Decimal("2100")  # the local monthly minimum wage


@pytest.mark.parametrize(("claim_types", "amount", "final"), [
    (["unpaid_wages"], "25200.00", True),  # exactly 12 months of the minimum wage
    (["unpaid_wages"], "25200.01", False),  # one cent more
    (["unpaid_wages"], "0.00", True),
    (["work_injury"], "25200.00", True),
    (["termination_compensation"], "18000.00", True),
    (["unpaid_wages", "work_injury", "termination_compensation"], "25200.00", True),
    (["relationship_recognition"], "100.00", False),  # not a small-claim type
    (["penalties_deductions"], "100.00", False),
    (["unpaid_wages", "relationship_recognition"], "100.00", False),  # mixed: not final
])
def test_an_award_is_final_for_the_employer_only_for_a_small_claim(claim_types, amount, final):
    assert final_for_employer(claim_types, Decimal(amount), WAGE) is final


def test_the_limit_follows_the_local_minimum_wage():
    assert final_for_employer(["unpaid_wages"], Decimal("30000"), Decimal("2500")) is True
    assert final_for_employer(["unpaid_wages"], Decimal("30000"), WAGE) is False


def test_accepting_assigns_the_least_loaded_arbitrator(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration", "LD-1", arbitrator_id=ARBITRATORS[0])
    take_up(arbitration_db, ARBITRATION, "arbitration", "LD-2")
    with arbitration_db() as uow:
        assert [ARBITRATION.case(uow, c).arbitrator_id for c in ("LD-1", "LD-2")] == list(ARBITRATORS[:2])
        assert ARBITRATION.case(uow, "LD-2").state == "in_arbitration"


def test_a_refused_application_is_answered_to_the_requester_with_no_arbitrator(arbitration_db):
    handoff_id = receive(arbitration_db, ARBITRATION, "arbitration", from_agency="mediation")
    run(arbitration_db, ARBITRATION.desk.return_, handoff_id, "不予受理: beyond the one-year limitation")
    with arbitration_db() as uow:
        refused = ARBITRATION.case(uow, "LD-1")
    assert (refused.state, refused.arbitrator_id) == ("arbitration_refused", None)
    returned = arbitration_db.outbox()[-1]
    assert returned.event_type == "handoff.returned"
    assert returned.payload["from_agency"] == "mediation"  # the answer goes back to the requester


def test_an_award_records_whether_it_is_final(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    view = run(arbitration_db, ARBITRATION.record_award, "LD-1", "25200", "2100")
    assert (view["state"], view["amount_awarded"], view["final_for_employer"]) == ("awarded", "25200.00", True)
    awarded = arbitration_db.outbox()[-1]
    assert awarded.event_type == "arbitration.awarded"
    assert awarded.payload == {"amount_awarded": Decimal("25200.00"), "final_for_employer": True,
                               "arbitrator_id": ARBITRATORS[0]}


def test_an_award_before_acceptance_is_illegal(arbitration_db):
    receive(arbitration_db, ARBITRATION, "arbitration")
    with pytest.raises(IllegalTransition):
        run(arbitration_db, ARBITRATION.record_award, "LD-1", "1000", "2100")
    assert arbitration_db.outbox_rows() == []


def test_a_performed_award_closes_the_case(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.record_award, "LD-1", "3000", "2100")
    run(arbitration_db, ARBITRATION.record_award_performed, "LD-1", "3000")
    closed = arbitration_db.outbox()[-1]
    assert (closed.event_type, closed.payload["outcome"], closed.payload["amount_recovered"]) == (
        "case.closed", "award_performed", Decimal("3000.00"))


@pytest.mark.parametrize("purpose", ["litigation", "enforcement"])
def test_an_award_can_go_to_court_for_litigation_or_enforcement(arbitration_db, purpose):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.record_award, "LD-1", "3000", "2100")
    view = run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", purpose, "not performed")
    assert view["state"] == "court_requested"
    sent = arbitration_db.outbox()[-1]
    assert (sent.event_type, sent.payload["purpose"], sent.payload["to_agency"]) == (
        "handoff.dossier", purpose, "courts")
    assert sent.payload["dossier"]["history"] == {"award": "3000.00", "final_for_employer": True}


def test_arbitration_does_not_send_an_award_for_judicial_confirmation(arbitration_db):
    take_up(arbitration_db, ARBITRATION, "arbitration")
    run(arbitration_db, ARBITRATION.record_award, "LD-1", "3000", "2100")
    with pytest.raises(ValueError, match="judicial_confirmation"):
        run(arbitration_db, ARBITRATION.refer_to_court, "LD-1", "judicial_confirmation", "x")


def test_the_service_judges_finality_by_the_configured_minimum_wage(arbitration_db):
    service = worker_factory(ArbitrationService, storage=arbitration_db,
                             config={"MONTHLY_MINIMUM_WAGE": "2500"})
    take_up(arbitration_db, ARBITRATION, "arbitration")
    assert service.record_award("LD-1", "30000")["final_for_employer"] is True
