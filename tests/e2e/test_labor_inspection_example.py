"""A labor-inspection bureau's system joining a running platform from outside (issue 20).

First the plain-pika bureau of docs/joining.md is onboarded with ``disputes agency add``,
receives wage-arrears referrals, accepts them and reports back, all on each case's trail and in
``disputes handoffs``; once suspended, new claims are not referred; no service is restarted.
Then the example bureau built on the client kit (examples/labor_inspection), routed to again
with ``disputes agency resume``: intake refers wage arrears to it, it answers and reports back,
the trail follows the referral track without anomalies; the case closed and erased on the
worker's request, the bureau erases its copy and announces it; the conformance check passes it.
Both share one platform (its start is most of the time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from nameko.exceptions import RemoteError

from disputes_cli.platform import Platform
from disputes_cli.sandbox import sandbox_platform
from disputes_shared.contract.agencies import broker_user
from disputes_shared.kit.conformance import Observation, check

from ..support.examples import claim_document

ROOT = Path(__file__).resolve().parents[2]
BUREAU = ROOT / "examples" / "labor_inspection" / "bureau.py"
PLAIN_BUREAU = ROOT / "examples" / "plain_pika_agency" / "bureau.py"
REFERRAL = ["handoff.requested:labor_inspection", "handoff.accepted:labor_inspection",
            "inspection.concluded"]


def until(check_: Any, timeout: float = 180.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check_()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout}s")
        time.sleep(0.25)
    return result


@pytest.fixture(scope="module")
def platform():
    with sandbox_platform() as env, Platform() as client:  # the client made once the platform is up
        yield env, client


def as_bureau(env: dict[str, str]) -> dict[str, str]:
    """The environment of the bureau's system: the broker as labor inspection's own user."""
    return {**os.environ, **env,
            "DISPUTES_AMQP_USERNAME": broker_user("labor_inspection", env["DISPUTES_BROKER_NAMESPACE"]),
            "DISPUTES_AMQP_PASSWORD_FILE": str(Path(env["DISPUTES_STATE_DIR"], "broker-users",
                                                    "labor_inspection"))}


def bureau(env: dict[str, str], database: Path, *args: str,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BUREAU), "--database", str(database), *args],
                          env=as_bureau(env), capture_output=True, text=True, timeout=timeout)


def disputes(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "disputes_cli.main", *args],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def service_pids(env: dict[str, str]) -> dict[str, str]:
    return {p.name: p.read_text() for p in Path(env["DISPUTES_STATE_DIR"], "run").glob("*.pid")}


def file_claims(env: dict[str, str], count: int, claim_types: list[str]) -> list[str]:
    url = f"http://127.0.0.1:{env['DISPUTES_INTAKE_HTTP_PORT']}/v1/claims"
    filed = [requests.post(url, json=claim_document(claim_types=claim_types), timeout=30)
             for _ in range(count)]
    assert all(r.status_code == 201 for r in filed), [r.text for r in filed]
    return [r.json()["case_id"] for r in filed]


def moves(client: Platform, case_id: str) -> list[str]:
    try:
        return [e["move"] for e in client.call("trail", "trail", case_id)["entries"]]
    except RemoteError:  # not on the trail yet
        return []


def inspection_moves(client: Platform, case_id: str) -> list[str] | None:
    """The case's referral track once intake's routing has reached the trail (the mediation
    handoff is in the same transaction as any referral); None before."""
    found = moves(client, case_id)
    return [m for m in found if "inspection" in m] if "handoff.requested:mediation" in found else None


def routed(client: Platform, case_id: str) -> list[str]:
    """The case's referral track, once intake has routed it."""
    until(lambda: inspection_moves(client, case_id) is not None, timeout=30)
    return inspection_moves(client, case_id) or []


def routing_to_the_bureau(env: dict[str, str]) -> None:
    """Labor inspection registered and active, whatever the test before left."""
    listed = {e["name"]: e["status"] for e in json.loads(disputes(env, "agency", "list", "--json").stdout)}
    action = {"active": None, "suspended": "resume"}.get(listed.get("labor_inspection", ""), "add")
    if action:
        done = disputes(env, "agency", action, "labor_inspection")
        assert done.returncode == 0, done.stderr


def plain_bureau_uri(env: dict[str, str], added: dict[str, Any]) -> str:
    """The broker as the bureau's own user, written as any AMQP client writes it."""
    broker = urlsplit(env["DISPUTES_AMQP_URI"])
    password = Path(added["password_file"]).read_text().strip()
    return (f"amqp://{quote(added['broker_user'], safe='')}:{quote(password, safe='')}"
            f"@{broker.hostname}:{broker.port}{broker.path}")


def test_a_plain_pika_bureau_is_onboarded_referred_to_and_suspended_without_a_restart(platform):
    env, client = platform
    pids = service_pids(env)
    (before,) = file_claims(env, 1, ["unpaid_wages"])  # nobody registered: not referred

    added = disputes(env, "agency", "add", "labor_inspection", "--purpose", "wage_arrears_referrals",
                     "--json")
    assert added.returncode == 0, added.stderr
    entry = json.loads(added.stdout)
    assert (entry["status"], entry["inbox"]) == ("active", "disputes.labor_inspection.inbox")
    assert oct(Path(entry["password_file"]).stat().st_mode & 0o777) == "0o600"
    again = disputes(env, "agency", "add", "labor_inspection")
    assert again.returncode == 1 and "registered already" in again.stderr

    bureau = subprocess.Popen([sys.executable, str(PLAIN_BUREAU), "--amqp-uri", plain_bureau_uri(env, entry),
                               "--seconds", "40", "--conclude", "arrears_paid"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        referred = file_claims(env, 3, ["unpaid_wages"])
        (injury,) = file_claims(env, 1, ["work_injury"])
        for case_id in referred:
            until(lambda c=case_id: inspection_moves(client, c) == REFERRAL, timeout=30)
        assert routed(client, injury) == routed(client, before) == []

        suspended = disputes(env, "agency", "suspend", "labor_inspection")
        assert suspended.returncode == 0, suspended.stderr
        assert "0 referral(s) it holds unanswered stay pending" in suspended.stdout
        after = file_claims(env, 2, ["unpaid_wages"])
        for case_id in after:
            assert routed(client, case_id) == []
    finally:
        bureau.terminate()
        out, _ = bureau.communicate(timeout=30)

    published = [json.loads(line) for line in out.splitlines()]
    assert sorted(p["published"] for p in published) == ["handoff.accepted"] * 3 + ["inspection.concluded"] * 3
    shown = disputes(env, "handoffs", "--json")
    (pair,) = [p for p in json.loads(shown.stdout)["pairs"] if p["to_agency"] == "labor_inspection"]
    assert (pair["from_agency"], pair["handoffs"], pair["accepted"], pair["pending"]) == ("intake", 3, 3, 0)
    listed = disputes(env, "agency", "list", "--json")
    (registered,) = json.loads(listed.stdout)
    assert (registered["name"], registered["status"], registered["pending_handoffs"]) == (
        "labor_inspection", "suspended", 0)
    assert service_pids(env) == pids  # nothing was restarted


def test_the_example_bureau_takes_a_referral_reports_back_erases_on_request_and_conforms(platform, tmp_path):
    (env, client), database = platform, tmp_path / "bureau.db"
    routing_to_the_bureau(env)
    observation = Observation(env["DISPUTES_AMQP_URI"], "labor_inspection").start()
    intake_watch = Observation(env["DISPUTES_AMQP_URI"], "intake").start()
    running = subprocess.Popen([sys.executable, str(BUREAU), "--database", str(database), "run"],
                               env=as_bureau(env), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        port = env["DISPUTES_INTAKE_HTTP_PORT"]
        wages = requests.post(f"http://127.0.0.1:{port}/v1/claims", timeout=30,
                              json=claim_document(claim_types=["unpaid_wages"], worker_count=12,
                                                  amount_claimed="38400"))
        injury = requests.post(f"http://127.0.0.1:{port}/v1/claims", timeout=30,
                               json=claim_document(claim_types=["work_injury"]))
        assert wages.status_code == injury.status_code == 201, wages.text
        case_id, access_code = wages.json()["case_id"], wages.json()["access_code"]

        def referrals() -> list[dict[str, Any]]:
            listed = bureau(env, database, "list", "--json")
            return json.loads(listed.stdout) if listed.returncode == 0 and listed.stdout else []

        (referral,) = until(referrals)
        assert (referral["case_id"], referral["status"], referral["workers"]) == (case_id, "accepted", 12)
        concluded = bureau(env, database, "conclude", referral["handoff_id"], "--finding",
                           "arrears_paid", "--amount", "38400", "--workers-paid", "12")
        assert concluded.returncode == 0, concluded.stderr

        def trail() -> dict[str, Any] | None:
            shown = disputes(env, "trail", case_id, "--json")
            read = json.loads(shown.stdout) if shown.returncode == 0 else {}
            moves = [e["move"] for e in read.get("entries", [])]
            return read if "inspection.concluded" in moves else None

        read = until(trail)
        claim = requests.get(f"http://127.0.0.1:{port}/v1/claims/{case_id}",
                             headers={"X-Access-Code": access_code}, timeout=30).json()
        assert claim["state"] == "mediation_requested"  # the referral did not move the claim

        # The case withdrawn and its data erased on the worker's request: the bureau erases
        # its copy and says so, with intake's request id.
        (handoff,) = until(lambda: [h for h in client.call("mediation", "pending_handoffs")
                                    if h["case_id"] == case_id])
        client.call("mediation", "accept_handoff", handoff["handoff_id"])
        client.call("mediation", "close", case_id, "withdrawn")
        until(lambda: requests.get(f"http://127.0.0.1:{port}/v1/claims/{case_id}", timeout=30,
                                   headers={"X-Access-Code": access_code}).json()["state"] == "closed")
        erased = disputes(env, "erase", case_id, "--reason", "request 2026-0042")
        assert erased.returncode == 0, erased.stderr

        def erasures() -> dict[str, str] | None:
            shown = disputes(env, "trail", case_id, "--json")
            entries = json.loads(shown.stdout)["entries"] if shown.returncode == 0 else []
            found = {e["agency"]: e["details"]["request_id"] for e in entries
                     if e["event_type"] == "case.personal_data_erased"}
            return found if "labor_inspection" in found else None

        by_agency = until(erasures)
        (kept,) = referrals()
    finally:
        running.terminate()
        running.wait(timeout=30)
        messages = observation.watch(1.0)
        observation.stop()
        intake_messages = intake_watch.watch(1.0)
        intake_watch.stop()

    moves = [e["move"] for e in read["entries"]]
    inspection = [m for m in moves if "inspection" in m]
    assert inspection == ["handoff.requested:labor_inspection", "handoff.accepted:labor_inspection",
                          "inspection.concluded"]
    assert read["anomalies"] == []
    (handoff,) = [h for h in read["handoffs"] if h["to_agency"] == "labor_inspection"]
    assert handoff["status"] == "accepted" and handoff["from_agency"] == "intake"
    report = check("labor_inspection", messages)
    assert report.passed, report.render()
    assert report.sent == 3  # the acceptance, the report and the erasure; nothing for the injury claim
    platform_side = check("intake", intake_messages)  # the platform keeps its own contract
    assert platform_side.passed, platform_side.render()
    assert by_agency["labor_inspection"] == by_agency["intake"]  # intake's request, acted on
    assert (kept["case_id"], kept["status"], kept["employer"]) == (case_id, "concluded", "erased")
