"""Every read of personal data reaches the trail, on the real broker: a dossier read by a role not
allowed is refused, counted and returns nothing; an allowed read is announced through the
reading service's outbox and recorded by the trail, where an auditor lists it by case and by
worker, and the listing is itself on the trail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from nameko.exceptions import RemoteError

from disputes_shared.identity.roles import Role

from ..support.examples import CLAIM
from ..support.metrics import metric_value
from ..support.signin import run_issuer
from ..support.waiting import eventually
from . import test_signed_in
from .test_signed_in import bearer, call, http, refused_sample, token

platform = test_signed_in.platform  # the same three services, signed in


def test_a_dossier_read_is_refused_to_other_roles_and_an_allowed_one_reaches_the_trail(platform):
    status, filed, _ = http(platform["intake"], "POST", "/v1/claims", CLAIM)
    assert status == 201
    case_id = filed["case_id"]
    admin, mediator, auditor = (bearer(token(r)) for r in (Role.STATION_ADMIN, Role.MEDIATOR, Role.AUDITOR))
    (handoff,) = eventually(lambda: call(platform["mediation"], "mediation", "pending_handoffs", context=admin))
    call(platform["mediation"], "mediation", "accept_handoff", handoff["handoff_id"], context=admin)

    for role in (Role.OPERATOR, Role.AUDITOR, Role.STATION_ADMIN):
        with pytest.raises(RemoteError) as refusal:
            call(platform["mediation"], "mediation", "dossier", case_id, "case_work", context=bearer(token(role)))
        assert refusal.value.exc_type == "Forbidden" and CLAIM["worker"]["id_number"] not in str(refusal.value)
    assert metric_value(platform["mediation"], refused_sample("mediation", "role")) == 3

    # A mediator of another station is refused the case's dossier, and no read is recorded.
    other_station = bearer(run_issuer().issue(Role.MEDIATOR, subject="it-other", station="people-jinjiang"))
    with pytest.raises(RemoteError) as refusal:
        call(platform["mediation"], "mediation", "dossier", case_id, "case_work", context=other_station)
    assert refusal.value.exc_type == "Forbidden" and str(refusal.value.value).startswith("station:")

    found = call(platform["mediation"], "mediation", "dossier", case_id, "case_work", context=mediator)
    assert found["dossier"]["worker"]["id_number"] == CLAIM["worker"]["id_number"]

    def recorded() -> list[dict[str, Any]]:
        return call(platform["trail"], "trail", "personal_data_reads", case_id=case_id, context=auditor)

    (read,) = eventually(recorded)  # the allowed read alone, sent after the refused one
    assert (read["agency"], read["reader"], read["role"], read["purpose"], read["via"]) == (
        "mediation", "it-mediator", "mediator", "case_work", "rpc")
    assert "worker.id_number" in read["fields"] and read["worker_ref"]
    assert not any(value in json.dumps(read, ensure_ascii=False) for value in CLAIM["worker"].values())
    by_worker = call(platform["trail"], "trail", "personal_data_reads", case_id=case_id, whole_worker=True,
                     context=auditor)
    assert [r["event_id"] for r in by_worker] == [read["event_id"]]
    entries = call(platform["trail"], "trail", "trail", case_id, context=auditor)["entries"]
    listings = [e["details"] for e in entries if e["event_type"] == "trail.accessed"
                and e["details"].get("listed") == "personal_data_reads"]
    # The two listings that showed the read (an empty one showed no case, and is on no trail).
    assert len(listings) == 2 and {x["accessed_by"] for x in listings} == {"it-auditor"}
