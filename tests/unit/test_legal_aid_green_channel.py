"""Legal aid beyond the means test: the other art. 42 exemptions, the green channel (绿色通道),
aid before review when the limitation runs out within days (法律援助法 art. 44), and the lawyer
following the case into arbitration and court."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from disputes_shared.contract.agencies import Agency
from legal_aid.domain import LAWYERS, green_channel_reasons, means_test, needs_provisional_aid
from legal_aid.handlers import LegalAid

from ..support.examples import delivered, dossier, envelope, handoff_payload
from .helpers import receive, run

LEGAL_AID = LegalAid()
TODAY = date(2026, 3, 2)


def taken(db, case_id: str = "LD-1", **dossier_changes: Any) -> None:
    """An application received (with these dossier changes) and accepted for review."""
    run(db, LEGAL_AID.accept_handoff, receive(db, LEGAL_AID, "legal_aid", case_id, **dossier_changes))


def running_until(ends_on: date) -> dict[str, Any]:
    return {"status": "running", "runs_from": ends_on - timedelta(days=365), "ends_on": ends_on,
            "rule": "劳动争议调解仲裁法 art. 27 para. 1"}


@pytest.mark.parametrize(("group", "result"), [
    ("specific_group", "exempt"),  # art. 42 (1): minors, the elderly, the disabled without income
    ("assistance_recipient", "exempt"),  # art. 42 (2): recipients of social or judicial assistance
    (None, "failed"),
])
def test_proof_of_an_exempt_group_skips_the_means_test(group, result):
    assert means_test({"migrant_worker": False, "claim_types": ["social_insurance"]}, False, group) == result


def test_an_unknown_exemption_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="specific_group, assistance_recipient"):
        means_test({}, False, "friend_of_the_court")


@pytest.mark.parametrize(("ends_on", "provisional"), [
    (TODAY + timedelta(days=6), True),  # art. 44 (1): fewer than seven days left
    (TODAY + timedelta(days=7), False),  # seven days are enough to go through review
    (TODAY, True),  # the last day itself
    (TODAY - timedelta(days=1), False),  # already past: nothing to save by hurrying
])
def test_aid_before_review_when_fewer_than_seven_days_are_left(ends_on, provisional):
    assert needs_provisional_aid(dossier(limitation=running_until(ends_on)), TODAY) is provisional


def test_no_limitation_dates_no_aid_before_review():
    assert not needs_provisional_aid(dossier(limitation=None), TODAY)
    assert not needs_provisional_aid(dossier(limitation={**running_until(TODAY), "status": "not_running"}), TODAY)


@pytest.mark.parametrize(("changes", "reasons"), [
    (dict(), ["migrant_worker_pay_or_injury"]),
    (dict(migrant_worker=False), []),
    (dict(migrant_worker=False, worker_count=12), ["group_or_urgent"]),
    (dict(migrant_worker=False, urgent=True), ["group_or_urgent"]),
    (dict(migrant_worker=False, limitation=running_until(TODAY + timedelta(days=3))),
     ["limitation_running_out"]),
])
def test_the_green_channel_takes_those_who_must_not_wait(changes, reasons):
    assert green_channel_reasons(dossier(**changes), TODAY) == reasons


def test_green_channel_applications_are_taken_up_and_listed_first(legal_aid_db, clock):
    receive(legal_aid_db, LEGAL_AID, "legal_aid", "LD-ordinary", migrant_worker=False)
    clock.advance(hours=1)
    receive(legal_aid_db, LEGAL_AID, "legal_aid", "LD-group", migrant_worker=False, worker_count=20)
    with legal_aid_db() as uow:
        assert [h.case_id for h in LEGAL_AID.pending(uow)] == ["LD-group", "LD-ordinary"]
        assert [v["case_id"] for v in LEGAL_AID.open_cases(uow)] == ["LD-group", "LD-ordinary"]
        assert LEGAL_AID.open_cases(uow)[0]["green_channel"] == ["group_or_urgent"]


def test_accepting_an_application_whose_limitation_runs_out_in_days_starts_aid_at_once(legal_aid_db):
    taken(legal_aid_db, limitation=running_until(TODAY + timedelta(days=4)))
    started = [e for e in legal_aid_db.outbox() if e.event_type == "legal_aid.provisional_aid_started"]
    assert [(e.payload["lawyer_id"], e.payload["limitation_ends_on"]) for e in started] == [
        (LAWYERS[0], TODAY + timedelta(days=4))]
    with legal_aid_db() as uow:
        application = LEGAL_AID.case(uow, "LD-1")
    assert (application.state, application.representing, application.provisional) == (
        "under_review", True, True)


def test_after_provisional_aid_a_grant_keeps_the_lawyer_and_a_refusal_ends_the_representation(legal_aid_db):
    soon = running_until(TODAY + timedelta(days=2))
    taken(legal_aid_db, "LD-1", limitation=soon)
    taken(legal_aid_db, "LD-2", limitation=soon, migrant_worker=False)
    assert run(legal_aid_db, LEGAL_AID.decide, "LD-1")["lawyer_id"] == LAWYERS[0]
    refused = run(legal_aid_db, LEGAL_AID.decide, "LD-2", hardship_shown=False)
    assert (refused["state"], refused["representing"]) == ("refused", False)


def followed(case_id: str, purpose: str, from_agency: str = "mediation"):
    payload = {**handoff_payload(purpose, from_agency), "reason": "mediation failed"}
    return delivered(envelope("handoff.requested", payload, case_id=case_id,
                              source_agency=Agency(from_agency)))


def test_the_lawyer_follows_the_case_into_arbitration_and_court(legal_aid_db):
    taken(legal_aid_db, "LD-1")
    run(legal_aid_db, LEGAL_AID.decide, "LD-1")
    assert run(legal_aid_db, LEGAL_AID.handle, followed("LD-1", "arbitration")) == "handled"
    assert run(legal_aid_db, LEGAL_AID.handle, followed("LD-1", "litigation", "arbitration")) == "handled"
    continued = [e for e in legal_aid_db.outbox() if e.event_type == "legal_aid.representation_continued"]
    assert [(e.payload["to_agency"], e.payload["purpose"], e.payload["lawyer_id"]) for e in continued] == [
        ("arbitration", "arbitration", LAWYERS[0]), ("courts", "litigation", LAWYERS[0])]
    with legal_aid_db() as uow:
        assert LEGAL_AID.case(uow, "LD-1").forums == ["arbitration:arbitration", "courts:litigation"]


def test_no_representation_follows_a_refused_or_unknown_case(legal_aid_db):
    taken(legal_aid_db, "LD-1", migrant_worker=False)
    run(legal_aid_db, LEGAL_AID.decide, "LD-1", hardship_shown=False)
    assert run(legal_aid_db, LEGAL_AID.handle, followed("LD-1", "arbitration")) == "ignored"
    assert run(legal_aid_db, LEGAL_AID.handle, followed("LD-elsewhere", "arbitration")) == "ignored"
