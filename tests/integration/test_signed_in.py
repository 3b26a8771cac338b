"""Staff sign in, against running services on the real broker: every forbidden call, over RPC and
over HTTP, is refused before it runs, logged without its token and counted; the right role is
let through, and what it does is recorded with who did it."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from typing import Any

import jwt
import pytest
from nameko.exceptions import IncorrectSignature, RemoteError

import intake.adapters
import mediation.adapters
import trail.adapters
from disputes_shared.identity.development import DevelopmentIssuer
from disputes_shared.identity.roles import Role
from disputes_shared.plumbing.access import ACTOR, AUTHORIZATION
from disputes_shared.plumbing.messaging import CallerRpcProxy
from intake.service import IntakeService
from mediation.service import MediationService
from trail.service import TrailService

from ..support.broker import uri_of
from ..support.examples import CLAIM
from ..support.metrics import metric_value
from ..support.signin import run_issuer, staff_rpc
from ..support.waiting import eventually

STATION = "ind-express-jinniu"


@pytest.fixture
def platform(start_service) -> dict[str, Any]:
    return {
        "trail": start_service(TrailService, trail.adapters.metadata),
        "mediation": start_service(MediationService, mediation.adapters.metadata),
        "intake": start_service(IntakeService, intake.adapters.metadata),
    }


def token(role: Role, **claims: Any) -> str:
    station = STATION if role in (Role.MEDIATOR, Role.STATION_ADMIN) else None
    return run_issuer().issue(role, subject=f"it-{role}", station=station, **claims)


def resigned(changes: dict[str, Any]) -> str:
    """An arbitrator's token with claims changed, signed again with the issuer's own key."""
    good = token(Role.ARBITRATOR)
    claims = {**jwt.decode(good, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, run_issuer()._private_key(), algorithm="ES256",
                      headers={"kid": jwt.get_unverified_header(good)["kid"]})


def call(config: dict[str, Any], service: str, method: str, *args: Any,
         context: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """One RPC call over the operator's broker user (the broker lets it send staff commands),
    with whatever sign-in ``context`` says: the services decide who it is."""
    operator = {**config, "AMQP_URI": uri_of(config["AMQP_URI"], "operator")}
    with CallerRpcProxy(operator, "operator", context_data=context or {}) as rpc:
        return getattr(getattr(rpc, service), method)(*args, **kwargs)


def bearer(value: str) -> dict[str, str]:
    return {AUTHORIZATION: f"Bearer {value}"}


def http(config: dict[str, Any], method: str, path: str, body: Any = None,
         token_: str | None = None) -> tuple[int, Any, Any]:
    headers = {"Content-Type": "application/json"}
    if token_:
        headers["Authorization"] = f"Bearer {token_}"
    request = urllib.request.Request(
        f"http://{config['WEB_SERVER_ADDRESS']}{path}", method=method, headers=headers,
        data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def refused_sample(service: str, reason: str) -> str:
    return f'disputes_access_refused_total{{reason="{reason}",service="{service}"}}'


EXPIRED = {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}


@pytest.mark.parametrize("context, reason", [
    ({}, "missing"),
    (bearer(resigned(EXPIRED)), "expired"),
    (bearer(resigned({"iss": "https://sso.elsewhere.example/realms/x"})), "issuer"),
    (bearer(resigned({"aud": "another-application"})), "audience"),
    (bearer(DevelopmentIssuer(run_issuer().directory.parent / "a-stranger")
            .issue(Role.ARBITRATOR)), "unknown_key"),
], ids=["no token", "expired", "other issuer", "other audience", "unknown key"])
def test_an_rpc_command_without_a_valid_token_is_refused_and_counted(platform, context, reason, caplog):
    before = metric_value(platform["mediation"], refused_sample("mediation", reason))
    with pytest.raises(RemoteError) as refusal, caplog.at_level(logging.WARNING):
        call(platform["mediation"], "mediation", "open_cases", context=context)
    assert refusal.value.exc_type == "Unauthenticated" and reason in refusal.value.value
    assert metric_value(platform["mediation"], refused_sample("mediation", reason)) == before + 1
    logged = [r.getMessage() for r in caplog.records if "refused mediation.open_cases" in r.getMessage()]
    assert logged and all(context.get(AUTHORIZATION, "-").split()[-1] not in m for m in logged)


def test_an_rpc_command_of_another_role_is_forbidden_and_never_runs(platform, amqp_uri):
    status, filed, _ = http(platform["intake"], "POST", "/v1/claims", CLAIM)  # open to workers
    assert status == 201
    with staff_rpc(platform["intake"]) as rpc:
        (handoff,) = eventually(lambda: rpc.mediation.pending_handoffs())
    # An arbitrator, a mediator (the desk answers handoffs) and an auditor may not accept it.
    for role in (Role.ARBITRATOR, Role.MEDIATOR, Role.AUDITOR):
        with pytest.raises(RemoteError) as refusal:
            call(platform["mediation"], "mediation", "accept_handoff", handoff["handoff_id"],
                 context=bearer(token(role)))
        assert refusal.value.exc_type == "Forbidden"
    assert metric_value(platform["mediation"], refused_sample("mediation", "role")) == 3
    assert [h["handoff_id"] for h in call(platform["mediation"], "mediation", "pending_handoffs",
                                          context=bearer(token(Role.STATION_ADMIN)))] \
        == [handoff["handoff_id"]]  # still pending: the refused calls changed nothing
    # Nobody may read a case's trail but an auditor.
    for role in (Role.OPERATOR, Role.MEDIATOR):
        with pytest.raises(RemoteError, match="Forbidden"):
            call(platform["trail"], "trail", "trail", filed["case_id"], context=bearer(token(role)))


def test_the_right_role_acts_and_the_events_and_trail_record_who(platform):
    _, filed, _ = http(platform["intake"], "POST", "/v1/claims", CLAIM)
    case_id = filed["case_id"]
    with staff_rpc(platform["intake"]) as rpc:
        (handoff,) = eventually(lambda: rpc.mediation.pending_handoffs())
    admin = bearer(token(Role.STATION_ADMIN))
    # Another station's desk may not answer it: mediation refuses, naming why.
    other_desk = bearer(run_issuer().issue(Role.STATION_ADMIN, subject="it-other", station="people-jinjiang"))
    with pytest.raises(RemoteError) as refusal:
        call(platform["mediation"], "mediation", "accept_handoff", handoff["handoff_id"], context=other_desk)
    assert refusal.value.exc_type == "Forbidden" and str(refusal.value.value).startswith("station:")
    # A caller-supplied actor is dropped: the token alone says who acts.
    forged = {**admin, ACTOR: {"subject": "someone-else", "role": "auditor"}}
    accepted = call(platform["mediation"], "mediation", "accept_handoff", handoff["handoff_id"],
                    context=forged)
    assert accepted["status"] == "accepted"
    call(platform["mediation"], "mediation", "record_session", case_id, "video",
         context=bearer(token(Role.MEDIATOR)))

    auditor = bearer(token(Role.AUDITOR))

    def entries() -> Any:
        found = call(platform["trail"], "trail", "case_states", [case_id], context=auditor)
        return found.get(case_id, {}).get("state") == "in_mediation" and \
            call(platform["trail"], "trail", "trail", case_id, context=auditor)["entries"]

    trail = eventually(lambda: (e := entries()) and any(
        x["event_type"] == "mediation.session_held" for x in e) and e)
    actor_of = {e["event_type"]: e["details"].get("actor") for e in trail}
    assert actor_of["handoff.accepted"] == {"subject": "it-station_admin", "role": "station_admin"}
    assert actor_of["mediation.session_held"] == {"subject": "it-mediator", "role": "mediator"}
    assert actor_of["case.filed"] is None  # the worker filed online, signed in as no one
    # Reading the trail is recorded with the reader the token names, not a string sent along.
    with pytest.raises(IncorrectSignature):  # the old caller-supplied name is no longer taken
        call(platform["trail"], "trail", "trail", case_id, accessed_by="nobody", context=auditor)
    final = call(platform["trail"], "trail", "trail", case_id, context=auditor)["entries"]
    readers = {(e["details"]["accessed_by"], e["details"]["role"])
               for e in final if e["event_type"] == "trail.accessed"}
    assert readers == {("it-auditor", "auditor")}


def test_http_endpoints_take_a_bearer_token_and_filing_needs_none(platform):
    intake = platform["intake"]
    status, filed, _ = http(intake, "POST", "/v1/claims", CLAIM)
    assert status == 201
    path = f"/v1/claims/{filed['case_id']}"
    # Without a token the claim is the worker's to read, with its access code (not sent here).
    status, answer, _ = http(intake, "GET", path)
    assert (status, answer["error"]) == (401, "access_code_required")
    status, answer, _ = http(intake, "GET", path, token_=resigned(EXPIRED))
    assert (status, answer["error"]) == (401, "unauthenticated") and "expired" in answer["detail"]
    status, answer, _ = http(intake, "GET", path, token_=resigned({"aud": "another-application"}))
    assert status == 401
    status, answer, _ = http(intake, "GET", path, token_=token(Role.MEDIATOR))
    assert (status, answer["error"]) == (403, "forbidden")
    status, answer, _ = http(intake, "GET", path, token_=token(Role.INTAKE_CLERK))
    assert status == 200 and answer["case_id"] == filed["case_id"]
    assert metric_value(intake, refused_sample("intake", "role")) == 1


def test_filing_over_rpc_needs_no_token_but_every_other_intake_command_does(platform):
    filed = call(platform["intake"], "intake", "file_claim", CLAIM)
    assert filed["case_id"]
    with pytest.raises(RemoteError, match="Unauthenticated"):
        call(platform["intake"], "intake", "claim", filed["case_id"])
    assert call(platform["intake"], "intake", "claim", filed["case_id"],
                context=bearer(token(Role.INTAKE_CLERK)))["case_id"] == filed["case_id"]
