"""Intake's side of triage: the limitation on filing (art. 27), the history of employers,
urgent cases and their joint consultation (特事急诊), civil disputes, the regional figures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from disputes_shared.regional import InvalidRegionalFigures, parse_regional_figures, regional_figures
from intake.api import validate_submission
from intake.domain import ConsultationNotConvened
from intake.handlers import Intake

from ..support.examples import claim_document

INTAKE = Intake()
PARTICIPANTS = {"arbitrator": "arbitrator-03", "mediator": "prearb-city-m1", "lawyer": "lawyer-05"}


def file(intake_db, **changes: Any):
    with intake_db() as uow:
        claim = INTAKE.file_claim(uow, validate_submission(claim_document(**changes)))
        uow.commit()
    return claim


def events(intake_db, event_type: str):
    return [e for e in intake_db.outbox() if e.event_type == event_type]


def test_a_claim_beyond_the_limitation_is_flagged_on_the_trail_and_in_the_dossier(intake_db):
    # Filed 2 March 2026; knew of the dismissal on 1 March 2025: the year ended on 2 March 2026
    # (1 March 2026 is a Sunday), so the claim is in time on the 2nd.
    in_time = file(intake_db, claim_types=["termination_compensation"],
                   limitation={"known_on": "2025-03-01"})
    late = file(intake_db, claim_types=["termination_compensation"],
                limitation={"known_on": "2025-02-27"})
    assert in_time.limitation["status"] == "running" and in_time.limitation["ends_on"] == "2026-03-02"
    assert late.limitation["status"] == "expired"
    triaged = {e.case_id: e.payload for e in events(intake_db, "case.triaged")}
    assert "limitation_expired" in triaged[late.case_id]["rules_fired"]
    assert "limitation_expired" not in triaged[in_time.case_id]["rules_fired"]
    assert "art. 27" in triaged[late.case_id]["rule_reasons"]["limitation_expired"]
    dossiers = {e.case_id: e.payload["dossier"] for e in events(intake_db, "handoff.dossier")}
    assert dossiers[late.case_id]["limitation"]["status"] == "expired"


def test_an_interruption_brings_a_late_claim_back_in_time(intake_db):
    claim = file(intake_db, claim_types=["termination_compensation"], limitation={
        "known_on": "2024-12-01", "interruptions": [{"on": "2025-10-10", "kind": "help_sought"}]})
    assert claim.limitation["status"] == "running"
    assert claim.limitation["runs_from"] == "2025-10-10"


def test_wage_arrears_while_still_employed_are_not_limited(intake_db):
    claim = file(intake_db, claim_types=["unpaid_wages"],
                 limitation={"known_on": "2023-01-01", "still_employed": True})
    assert claim.limitation["status"] == "not_running"


def test_without_the_dates_the_limitation_is_not_assessed(intake_db):
    assert file(intake_db).limitation is None


def test_the_third_claim_against_one_employer_within_the_window_is_urgent(intake_db, clock):
    first = file(intake_db, employer={"name": "成都迅达配送服务有限公司"})
    clock.advance(days=30)
    second = file(intake_db, employer={"name": " 成都迅达配送服务有限公司 "})  # spaces do not count
    clock.advance(days=30)
    third = file(intake_db, employer={"name": "成都迅达配送服务有限公司"})
    other = file(intake_db, employer={"name": "四川安顺物流有限公司"})
    assert (first.urgent, second.urgent, third.urgent, other.urgent) == (False, False, True, False)
    assert "repeat_employer" in third.rules_fired and third.station_id == "prearb-city"


def test_claims_outside_the_window_do_not_count(intake_db, clock):
    file(intake_db)
    file(intake_db)
    clock.advance(days=regional_figures().repeat_employer_window_days + 1)
    assert not file(intake_db).urgent


def test_an_urgent_case_gets_a_joint_consultation_convened_then_held(intake_db):
    claim = file(intake_db, worker_count=25)
    (convened,) = events(intake_db, "consultation.convened")
    assert convened.payload == {"reasons": ["collective_dispute", "group_dispute"],
                                "roles": ["arbitrator", "mediator", "lawyer"]}
    with intake_db() as uow:
        assert [c["case_id"] for c in INTAKE.consultations_pending(uow)] == [claim.case_id]
        INTAKE.hold_consultation(uow, claim.case_id, PARTICIPANTS, "先行调解，三日内核对工资表")
        uow.commit()
    (held,) = events(intake_db, "consultation.held")
    assert held.payload == {"participants": PARTICIPANTS, "plan": "先行调解，三日内核对工资表"}
    with intake_db() as uow:
        assert INTAKE.consultations_pending(uow) == []
        assert uow.claims.get(claim.case_id).consultation["participants"] == PARTICIPANTS


@pytest.mark.parametrize(("participants", "plan", "message"), [
    ({"arbitrator": "a", "mediator": "m"}, "plan", "missing lawyer"),
    ({**PARTICIPANTS, "judge": "j"}, "plan", "no role judge"),
    (PARTICIPANTS, "  ", "ends with a plan"),
])
def test_a_joint_consultation_needs_all_three_roles_and_a_plan(intake_db, participants, plan, message):
    claim = file(intake_db, worker_count=25)
    with intake_db() as uow, pytest.raises(ValueError, match=message):
        INTAKE.hold_consultation(uow, claim.case_id, participants, plan)
    assert events(intake_db, "consultation.held") == []


def test_a_case_that_is_not_urgent_has_no_consultation_to_hold(intake_db):
    claim = file(intake_db)
    assert events(intake_db, "consultation.convened") == []
    with intake_db() as uow, pytest.raises(ConsultationNotConvened):
        INTAKE.hold_consultation(uow, claim.case_id, PARTICIPANTS, "plan")


def test_a_civil_dispute_goes_to_peoples_mediation_and_records_why(intake_db):
    claim = file(intake_db, relationship="civil")
    (triaged,) = events(intake_db, "case.triaged")
    assert claim.station_id == "people-wuhou"
    assert triaged.payload["relationship"] == "civil"
    assert triaged.payload["rules_fired"] == ["not_a_labor_dispute", "civil_to_people"]


def test_a_regions_figures_file_is_checked_naming_every_fault(tmp_path):
    document = json.loads(json.dumps(regional_figures().__dict__, default=str))
    document["large_amount_yuan"] = "lots"
    document["mediation_subsidy_yuan"] = {"simple": "200"}
    document["colour"] = "red"
    with pytest.raises(InvalidRegionalFigures) as raised:
        parse_regional_figures(document, "figures.json")
    message = str(raised.value)
    for fault in ("large_amount_yuan: must be a yuan amount", "mediation_subsidy_yuan: must give",
                  "colour: not a known figure"):
        assert fault in message


def test_intake_refuses_to_start_with_a_bad_figures_file(tmp_path):
    from intake.bootstrap import bootstrap

    bad = tmp_path / "figures.json"
    bad.write_text("{}", "utf-8")
    with pytest.raises(InvalidRegionalFigures, match="large_amount_yuan: missing"):
        bootstrap({"REGIONAL_FIGURES_FILE": str(bad)})
