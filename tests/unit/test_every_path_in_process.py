"""Every planned path, through every agency's service layer, in one process.

The services' own databases are in memory and a hand-written post office delivers committed
events as the broker's bindings would (``inprocess.py``); the CLI's simulated staff act on each
case. One small case per path keeps this in the unit tier; ``tests/e2e`` runs hundreds over the
real broker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from disputes_cli.synthetic import PATHS, TIMED_PATHS, PlannedCase, planned_cases
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.purposes import ONWARD, allowed_fields, dossier_fields

from ..support.examples import AT
from .inprocess import RECEIVING, InProcessPlatform


def one_case_per_path() -> list[PlannedCase]:
    """The first planned case of each path, and cases whose legal aid is granted and refused."""
    chosen: dict[str, PlannedCase] = {}
    for plan in planned_cases(400, seed=2026):
        chosen.setdefault(plan.path, plan)
        if plan.claim["legal_aid_requested"]:
            chosen.setdefault(f"aid {plan.expected_aid_state}", plan)
        if plan.claim["worker_count"] >= 10:
            chosen.setdefault("group", plan)
    return list({id(plan): plan for plan in chosen.values()}.values())  # one may stand for two


def timed_cases() -> list[PlannedCase]:
    """A case for each path on which a statutory clock must run out."""
    claim = next(p for p in planned_cases(400, seed=2026)
                 if p.path == "failed_award_performed" and not p.claim["legal_aid_requested"])
    return [dataclasses.replace(claim, path=path) for path in TIMED_PATHS]


PLANS = one_case_per_path() + timed_cases()


@pytest.fixture(scope="module")
def platform() -> Iterator[dict[str, Any]]:
    platform = InProcessPlatform(ManualClock(AT))
    plans = platform.play(PLANS)
    yield {"platform": platform, "plans": plans,
           "states": platform.call("trail", "case_states", list(plans))}
    platform.close()


def case_of(world: dict[str, Any], plan: PlannedCase) -> str:
    (case_id,) = [cid for cid, p in world["plans"].items() if p is plan]
    return case_id


def test_the_cases_chosen_cover_every_path_both_aid_decisions_and_a_group():
    assert {plan.path for plan in PLANS} == set(PATHS) | set(TIMED_PATHS)
    aid = {plan.expected_aid_state for plan in PLANS if plan.claim["legal_aid_requested"]}
    assert aid == {"granted", "refused"}
    assert any(plan.claim["worker_count"] >= 10 for plan in PLANS)


@pytest.mark.parametrize("plan", PLANS, ids=lambda plan: plan.path)
def test_a_case_ends_as_its_path_says_with_a_clean_trail(platform, plan):
    state = platform["states"][case_of(platform, plan)]
    assert (state["state"], state["outcome"]) == ("closed", plan.expected_outcome)
    assert state["aid_state"] == plan.expected_aid_state
    assert state["anomalies"] == []
    assert state["returns"] == (1 if plan.path in ("station_returned_then_mediated",
                                                   "arbitration_refused_closed",
                                                   "arbitration_silent_sued") else 0)


@pytest.mark.parametrize(("path", "clock_kind"), [
    ("arbitration_silent_sued", "arbitration_acceptance"),  # art. 29
    ("award_overdue_sued", "award"),  # art. 43
])
def test_the_clock_that_opened_the_way_to_court_is_on_the_trail(platform, path, clock_kind):
    (plan,) = [p for p in PLANS if p.path == path]
    trail = platform["platform"].call("trail", "trail", case_of(platform, plan))
    elapsed = [e["details"]["kind"] for e in trail["entries"] if e["event_type"] == "clock.elapsed"]
    assert clock_kind in elapsed


def test_no_clock_is_left_running_on_a_closed_case(platform):
    world = platform["platform"]
    for service in RECEIVING:
        with world.db[service]() as uow:
            running = [c for cid in platform["plans"] for c in uow.clocks.running_for_case(cid)]
        assert running == [], service


@pytest.mark.parametrize("plan", PLANS, ids=lambda plan: plan.path)
def test_intake_learns_how_the_case_ended(platform, plan):
    view = platform["platform"].query("intake", lambda uow, cid: uow.claims.get(cid),
                                      case_of(platform, plan))
    assert (str(view.state), view.outcome) == ("closed", plan.expected_outcome)


def test_no_handoff_is_left_pending_anywhere(platform):
    world = platform["platform"]
    for service in RECEIVING:
        assert world.call(service, "pending_handoffs") == [], service
    assert world.call("trail", "handoff_summary")["backlog"] == []


def test_the_trail_holds_no_personal_data(platform):
    world = platform["platform"]
    for case_id in platform["plans"]:
        trail = str(world.call("trail", "trail", case_id))
        worker = platform["plans"][case_id].claim["worker"]
        assert not any(value in trail for value in worker.values()), case_id


def test_group_cases_had_their_joint_consultation_and_every_mediation_its_session(platform):
    world = platform["platform"]
    groups = [cid for cid, plan in platform["plans"].items() if plan.claim["worker_count"] >= 10]
    assert groups
    for case_id, plan in platform["plans"].items():
        kinds = [e["event_type"] for e in world.call("trail", "trail", case_id)["entries"]]
        if case_id in groups:
            assert kinds.count("consultation.convened") == kinds.count("consultation.held") == 1
        if "handoff.accepted" in kinds and plan.path != "withdrawn":
            assert "mediation.session_held" in kinds, case_id
        assert kinds.count("mediation.subsidy_assessed") == 1, case_id


def test_every_dossier_carries_only_its_purposes_fields_and_goes_on_only_where_foreseen(platform):
    """The cases above end as planned with dossiers cut to their purposes: no agency's code
    needs a field outside its purpose. A case is handed on only for the purposes ``ONWARD``
    foresees, which the purpose table covers (``onward_gaps``)."""
    handed: set[tuple[str, str]] = set()
    for db in platform["platform"].db.values():
        for sent in db.outbox():
            if sent.event_type == "handoff.dossier":
                purpose = sent.payload["purpose"]
                assert dossier_fields(sent.payload["dossier"]) <= allowed_fields(purpose)
                handed.add((str(sent.source_agency), purpose))
    onward = {(str(agency), str(p)) for agency, purposes in ONWARD.items() for p in purposes}
    assert {(a, p) for a, p in handed if a != Agency.INTAKE} <= onward
    assert {a for a, _ in handed} == {Agency.INTAKE, *ONWARD}
