"""Intake's registry of outside agencies: who may be registered, for what, and that routing
follows it at filing time, read in the filing's own unit of work."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from analytics.handlers import Analytics
from disputes_cli import main as cli
from disputes_shared.contract.registry import REGISTRY_CASE_ID
from intake.api import validate_submission
from intake.handlers import Intake
from intake.registry import RegistryRefused
from trail.handlers import Trail

from ..support.examples import AT, claim_document, delivered, envelope
from .helpers import deliver

INTAKE = Intake()
OPERATOR = {"subject": "ops-li", "role": "operator"}


def act(intake_db, command: str, name: str, *args):
    with intake_db() as uow:
        uow.actor = OPERATOR
        result = getattr(INTAKE, command)(uow, name, *args)
        uow.commit()
    return result


def file_wage_arrears(intake_db):
    with intake_db() as uow:
        claim = INTAKE.file_claim(uow, validate_submission(claim_document(claim_types=["unpaid_wages"])))
        uow.commit()
    return claim


def referrals(intake_db) -> list[str]:
    return [e.case_id for e in intake_db.outbox() if e.event_type == "handoff.requested"
            and e.payload["to_agency"] == "labor_inspection"]


def registry_events(intake_db) -> list[tuple[str, str]]:
    return [(e.payload["agency"], e.payload["status"]) for e in intake_db.outbox()
            if e.event_type == "agency.changed"]


def test_a_registered_agency_is_recorded_with_who_and_when_and_announced(intake_db, clock):
    entry = act(intake_db, "register_agency", "labor_inspection", None)
    assert (entry.purpose, str(entry.status), entry.changed_by) == ("wage_arrears_referrals", "active", "ops-li")
    assert entry.registered_at == clock.now()
    (announced,) = [e for e in intake_db.outbox() if e.event_type == "agency.changed"]
    assert announced.case_id == REGISTRY_CASE_ID
    assert announced.payload["actor"] == OPERATOR
    assert delivered(announced).payload["status"] == "active"  # valid against the contract


def test_registering_an_agency_twice_is_refused(intake_db):
    act(intake_db, "register_agency", "labor_inspection", None)
    with pytest.raises(RegistryRefused, match="registered already"):
        act(intake_db, "register_agency", "labor_inspection", None)
    assert registry_events(intake_db) == [("labor_inspection", "active")]


@pytest.mark.parametrize(("name", "purpose", "why"), [
    ("city_court", None, "no agency 'city_court'"),
    ("mediation", None, "a service of the platform"),
    ("labor_inspection", "identity_only", "wage_arrears_referrals, not 'identity_only'"),
])
def test_only_an_outside_agency_of_the_contract_is_registered_for_its_own_purpose(
        intake_db, name, purpose, why):
    with pytest.raises(RegistryRefused, match=why):
        act(intake_db, "register_agency", name, purpose)
    assert intake_db.outbox() == []


@pytest.mark.parametrize("command", ["suspend_agency", "resume_agency", "remove_agency"])
def test_changing_an_agency_that_is_not_registered_is_refused(intake_db, command):
    with pytest.raises(RegistryRefused, match="trade_union is not registered"):
        act(intake_db, command, "trade_union")
    with pytest.raises(RegistryRefused, match="no agency 'nobody'"):
        act(intake_db, command, "nobody")


def test_wage_arrears_are_referred_only_while_labor_inspection_is_active(intake_db):
    unregistered = file_wage_arrears(intake_db)
    act(intake_db, "register_agency", "labor_inspection", None)
    active = file_wage_arrears(intake_db)
    act(intake_db, "suspend_agency", "labor_inspection")
    suspended = file_wage_arrears(intake_db)
    act(intake_db, "resume_agency", "labor_inspection")
    resumed = file_wage_arrears(intake_db)
    act(intake_db, "remove_agency", "labor_inspection")
    file_wage_arrears(intake_db)
    assert referrals(intake_db) == [active.case_id, resumed.case_id]
    assert unregistered.case_id not in referrals(intake_db) and suspended.case_id not in referrals(intake_db)
    assert registry_events(intake_db) == [("labor_inspection", s) for s in
                                          ("active", "suspended", "active", "removed")]


def test_a_suspended_agency_keeps_its_pending_referrals_and_the_list_shows_them(intake_db):
    act(intake_db, "register_agency", "labor_inspection", None)
    file_wage_arrears(intake_db)
    act(intake_db, "suspend_agency", "labor_inspection")
    with intake_db() as uow:
        (listed,) = INTAKE.agencies(uow)
    assert (listed["name"], listed["status"], listed["pending_handoffs"]) == ("labor_inspection", "suspended", 1)


def test_suspending_twice_is_refused_and_a_removed_agency_may_be_registered_again(intake_db):
    act(intake_db, "register_agency", "hotline_12345", None)
    act(intake_db, "suspend_agency", "hotline_12345")
    with pytest.raises(RegistryRefused, match="hotline_12345 is suspended; it cannot be made suspended"):
        act(intake_db, "suspend_agency", "hotline_12345")
    act(intake_db, "remove_agency", "hotline_12345")
    assert str(act(intake_db, "register_agency", "hotline_12345", "identity_only").status) == "active"


def registry_change(status: str = "suspended"):
    return delivered(envelope("agency.changed", case_id=REGISTRY_CASE_ID, payload={
        "agency": "labor_inspection", "status": status, "purpose": "wage_arrears_referrals",
        "changed_at": AT}))


def test_the_trail_records_a_registry_change_and_keeps_no_case_for_it(trail_db):
    assert deliver(trail_db, Trail(Ed25519PrivateKey.generate().sign), registry_change()) == "handled"
    with trail_db() as uow:
        (entry,) = uow.entries.every()
        assert (entry.case_id, entry.event_type) == (REGISTRY_CASE_ID, "agency.changed")
        assert uow.summaries.get(REGISTRY_CASE_ID) is None


def test_analytics_ignores_a_registry_change_live_and_in_a_rebuild(analytics_db):
    analytics = Analytics()
    assert deliver(analytics_db, analytics, registry_change()) == "ignored"
    entry = {"event_id": "e-1", "case_id": REGISTRY_CASE_ID, "event_type": "agency.changed",
             "source_agency": "intake", "payload": {}, "occurred_at": AT.isoformat()}
    with analytics_db() as uow:
        assert analytics.rebuild(uow, [entry]) == 0
        assert uow.facts.get(REGISTRY_CASE_ID) is None


@pytest.mark.parametrize(("args", "said"), [
    (["add", "city_court"], "no agency 'city_court' in the contract; outside agencies: labor_inspection"),
    (["add", "mediation"], "mediation is a service of the platform, not an outside agency"),
    (["add", "trade_union", "--purpose", "wage_arrears_referrals"],
     "trade_union may be registered for identity_only, not 'wage_arrears_referrals'"),
    (["remove", "arbitration"], "arbitration is a service of the platform"),
])
def test_the_agency_command_refuses_a_wrong_name_or_purpose_before_touching_anything(args, said, capsys):
    assert cli.main(["agency", *args]) == 1
    assert said in capsys.readouterr().err
