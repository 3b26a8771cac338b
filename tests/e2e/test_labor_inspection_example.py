"""The example labor-inspection bureau (examples/labor_inspection), a separate process built on
the client kit alone, against the whole platform: intake refers wage arrears to it, it answers
and reports back, the trail follows the referral track without anomalies, and the conformance
check passes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from disputes_cli.sandbox import sandbox_platform
from disputes_cli.signin import development_issuer
from disputes_shared.identity.roles import Role
from disputes_shared.kit.conformance import Observation, check

from ..support.examples import claim_document

ROOT = Path(__file__).resolve().parents[2]
BUREAU = ROOT / "examples" / "labor_inspection" / "bureau.py"


def until(check_: Any, timeout: float = 180.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check_()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout}s")
        time.sleep(0.25)
    return result


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    saved = os.environ.get("DISPUTES_LABOR_INSPECTION_REFERRALS")
    os.environ["DISPUTES_LABOR_INSPECTION_REFERRALS"] = "on"  # the bureau's system is connected
    try:
        with sandbox_platform() as env:
            yield env
    finally:
        if saved is None:
            os.environ.pop("DISPUTES_LABOR_INSPECTION_REFERRALS", None)
        else:
            os.environ["DISPUTES_LABOR_INSPECTION_REFERRALS"] = saved


def bureau(env: dict[str, str], database: Path, *args: str,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BUREAU), "--database", str(database), *args],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=timeout)


def disputes(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "disputes_cli.main", *args],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_the_example_bureau_takes_a_referral_reports_back_and_conforms(platform, tmp_path):
    env, database = platform, tmp_path / "bureau.db"
    observation = Observation(env["DISPUTES_AMQP_URI"], "labor_inspection").start()
    intake_watch = Observation(env["DISPUTES_AMQP_URI"], "intake").start()
    running = subprocess.Popen([sys.executable, str(BUREAU), "--database", str(database), "run"],
                               env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        port = env["DISPUTES_INTAKE_HTTP_PORT"]
        wages = requests.post(f"http://127.0.0.1:{port}/v1/claims", timeout=30,
                              json=claim_document(claim_types=["unpaid_wages"], worker_count=12,
                                                  amount_claimed="38400"))
        injury = requests.post(f"http://127.0.0.1:{port}/v1/claims", timeout=30,
                               json=claim_document(claim_types=["work_injury"]))
        assert wages.status_code == injury.status_code == 201, wages.text
        case_id = wages.json()["case_id"]

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
    assert report.sent == 2  # the acceptance and the report; nothing for the injury claim
    platform_side = check("intake", intake_messages)  # the platform keeps its own contract
    assert platform_side.passed, platform_side.render()
    clerk = development_issuer().issue(Role.INTAKE_CLERK)
    claim = requests.get(f"http://127.0.0.1:{env['DISPUTES_INTAKE_HTTP_PORT']}/v1/claims/{case_id}",
                         headers={"Authorization": f"Bearer {clerk}"}, timeout=30).json()
    assert claim["state"] == "mediation_requested"  # the referral did not move the claim
