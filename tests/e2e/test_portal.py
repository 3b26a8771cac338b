"""End to end: the worker portal against a sandbox platform on the real broker, in Chromium on a
phone-sized screen: filing in Chinese and in English, the receipt, the status page's steps, form
errors with nothing filed, filing by keyboard alone, and axe-core finding nothing serious."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from disputes_cli.sandbox import sandbox_platform
from disputes_shared.contract.stations import stations
from tests.support.examples import claim_document

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tools" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}
EVIDENCE_LIMIT = 64 * 1024  # small, so the browser sends a file over it quickly
STATION = "ind-fooddelivery-wuhou"  # the workbench's station


@pytest.fixture(scope="module")
def seen():
    subprocess.run(["bash", str(ROOT / "scripts" / "browser.sh"), "ensure"], check=True)
    shots = Path(os.environ.get("DISPUTES_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="portal-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    limit_before = os.environ.get("DISPUTES_EVIDENCE_MAX_BYTES")
    os.environ["DISPUTES_EVIDENCE_MAX_BYTES"] = str(EVIDENCE_LIMIT)  # intake's and the portal's
    try:
        with sandbox_platform() as env:
            report = drive(env, shots)
    finally:
        if limit_before is None:
            os.environ.pop("DISPUTES_EVIDENCE_MAX_BYTES")
        else:
            os.environ["DISPUTES_EVIDENCE_MAX_BYTES"] = limit_before
    report["shots"] = sorted(p.name for p in shots.iterdir())
    return report


def drive(env: dict[str, str], shots: Path) -> dict:
    """Run the browser against the sandbox; what it saw, and what intake holds."""
    base = f"http://127.0.0.1:{env['DISPUTES_PORTAL_HTTP_PORT']}"
    assert requests.get(f"{base}/health/ready", timeout=5).status_code == 200
    intake = f"http://127.0.0.1:{env['DISPUTES_INTAKE_HTTP_PORT']}"
    (staff_case, staff_code), (returned_case, returned_code) = handed_to_the_station(env, intake, 2)
    # A clean interpreter: Playwright's driver hangs under this process's eventlet patching.
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("DISPUTES_")}
    run = subprocess.run([sys.executable, str(Path(__file__).with_name("portal_browser.py")),
                          base, str(shots), str(AXE), str(EVIDENCE_LIMIT), staff_case, returned_case,
                          STATION],
                         capture_output=True, text=True,
                         timeout=150, env=child_env)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    report["workbench"]["trail"] = trail_of(env, staff_case, "court.ruling_entered")
    report["workbench"]["returned_trail"] = trail_of(env, returned_case, "handoff.returned")
    report["workbench"]["worker_sees"] = worker_page(base, staff_case, staff_code, "The court ruled.")
    report["workbench"]["returned_worker_sees"] = worker_page(
        base, returned_case, returned_code, "The office sent your case back.")
    report["filed"] = {lang: requests.get(f"{intake}/v1/claims/{report[lang]['case_id']}",
                                          headers={"X-Access-Code": report[lang]["access_code"]},
                                          timeout=5).json() for lang in ("zh", "en")}
    report["accepted"] = accepted_case_page(env, base, intake)
    report["server"] = served_and_stopped(base)
    return report


def served_and_stopped(base: str) -> dict:
    """What serves the pages; a body far past the evidence limit; then SIGTERM."""
    from disputes_cli import local

    seen = {"server": requests.get(f"{base}/health/live", timeout=5).headers.get("Server")}
    huge = b"\0" * (4 * EVIDENCE_LIMIT + 64 * 1024)
    seen["huge_body"] = requests.post(f"{base}/case/LD-0/evidence", data=huge, timeout=10,
                                      headers={"Content-Type": "application/octet-stream"}).status_code
    pid = local.pid_of("portal")
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while local.pid_of("portal") and time.monotonic() < deadline:
        time.sleep(0.2)
    seen["stopped_on_sigterm"] = local.pid_of("portal") is None
    return seen


def handed_to_the_station(env: dict[str, str], intake: str, count: int) -> list[tuple[str, str]]:
    """Employees' claims for the station (case number, access code), once mediation holds
    their handoffs pending."""
    from disputes_cli.platform import Platform

    filed = [requests.post(f"{intake}/v1/claims", timeout=10, json=claim_document(
        relationship="employment", chosen_station_id=STATION)).json() for _ in range(count)]
    with Platform(amqp=env["DISPUTES_AMQP_URI"], timeout=10) as staff:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            waiting = {h["case_id"] for h in staff.call("mediation", "pending_handoffs")}
            if all(f["case_id"] in waiting for f in filed):
                return [(str(f["case_id"]), str(f["access_code"])) for f in filed]
            time.sleep(0.5)
    raise AssertionError("the claims never reached the mediation station")


def trail_of(env: dict[str, str], case_id: str, last: str) -> list[tuple[str, str | None]]:
    """(event type, acting person) of each entry on the case's trail, as an auditor reads it,
    once it has recorded an event of type ``last``."""
    from disputes_cli.platform import Platform

    with Platform(amqp=env["DISPUTES_AMQP_URI"], timeout=10) as auditor:
        deadline, entries = time.monotonic() + 30, []
        while time.monotonic() < deadline and not any(e["event_type"] == last for e in entries):
            entries = auditor.call("trail", "trail", case_id)["entries"]
            time.sleep(0.5)
    return [(e["event_type"], e["actor"]) for e in entries]


def worker_page(base: str, case_id: str, code: str, step: str) -> bool:
    """Whether the worker's case page (in English, as the worker's browser) shows ``step``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if step in requests.get(f"{base}/case/{case_id}?lang=en", timeout=10,
                                cookies={f"case-{case_id}": code}).text:
            return True
        time.sleep(0.5)
    return False


def accepted_case_page(env: dict[str, str], base: str, intake: str) -> str:
    """An employee's claim taken on by the station (as its staff would, by RPC): the case page,
    in English, once mediation's art. 14 clock shows (read through mediation's case_clocks) and
    the trail has recorded the acceptance (the two arrive separately)."""
    from disputes_cli.platform import Platform  # staff commands, signed in as the station's

    filed = requests.post(f"{intake}/v1/claims", json=claim_document(relationship="employment"),
                          timeout=10).json()
    case_id = filed["case_id"]
    with Platform(amqp=env["DISPUTES_AMQP_URI"], timeout=10) as staff:
        deadline = time.monotonic() + 30
        mine: list[dict] = []
        while not mine and time.monotonic() < deadline:
            mine = [h for h in staff.call("mediation", "pending_handoffs") if h["case_id"] == case_id]
            time.sleep(0.5)
        assert mine, "the claim never reached the mediation station"
        staff.call("mediation", "accept_handoff", mine[0]["handoff_id"])
    page = ""
    while not ("Mediation has until" in page and "The office took on your case." in page) \
            and time.monotonic() < deadline + 30:
        page = requests.get(f"{base}/case/{case_id}?lang=en", timeout=10,  # as the worker's browser
                            cookies={f"case-{case_id}": filed["access_code"]}).text
        time.sleep(0.5)
    return page


@pytest.mark.parametrize(("lang", "title", "first_step", "next_actor"), [
    ("zh", "在线申请调解", "已收到您的申请。", {"劳动争议调处中心：正在分派您的申请。", "调解站：将受理您的案件。"}),
    ("en", "File a claim", "Your claim was received.",
     {"The labor dispute service centre: it is sorting your claim.",
      "The mediation station: it is to take on your case."})])
def test_a_worker_files_on_a_phone_and_follows_the_case(seen, lang, title, first_step, next_actor) -> None:
    mine = seen[lang]
    assert mine["h1_file"] == title
    assert mine["station_preselected"] == "ind-fooddelivery-wuhou"
    assert mine["case_id"].startswith("LD-") and mine["receipt_has_qr"]
    filed = seen["filed"][lang]
    assert filed["case_id"] == mine["case_id"] and filed["legal_aid_requested"] is True
    assert filed["relationship"] == "incomplete_employment"
    assert len(mine["steps"]) >= 2 and first_step in mine["steps"][0]
    assert mine["next"] in next_actor  # the case is still being sorted or waits for the station
    assert mine["evidence_with_claim"] == (lang == "en")  # the English filing sends a photo with it


def test_form_errors_are_shown_at_the_fields_in_the_pages_language(seen) -> None:
    errors = seen["errors"]
    assert "/file" in errors["url"] and "/receipt/" not in errors["url"]
    assert errors["phone_error"] == "手机号为11位数字，以1开头。"
    assert errors["amount_error"] == "请填写被拖欠的金额（元）。"
    assert errors["name_kept"] == "李四" and errors["phone_invalid"] == "true"


def test_a_worker_can_file_by_keyboard_alone(seen) -> None:
    assert "/receipt/" in seen["keyboard"]["url"], seen["keyboard"]
    assert seen["keyboard"]["case_id"].startswith("LD-")


def test_no_serious_accessibility_violations(seen) -> None:
    found = {page: [v for v in seen[lang][page] if v["impact"] in SERIOUS]
             for lang in ("zh", "en") for page in ("axe_file", "axe_receipt", "axe_case")}
    found["errors"] = [v for v in seen["errors"]["axe_errors"] if v["impact"] in SERIOUS]
    assert not any(found.values()), found


def test_another_browser_needs_the_access_code_to_open_the_case(seen) -> None:
    opened = seen["open"]
    assert opened["asked"] and opened["state_hidden"]
    assert opened["wrong"] == "案件编号与查询码不匹配。"
    assert opened["opened"]
    assert not [v for v in opened["axe_asked"] if v["impact"] in SERIOUS]
    filed = seen["filed"]["zh"]
    assert filed["case_id"] == seen["zh"]["case_id"] and "access_code" not in filed


def test_a_worker_sends_evidence_and_a_file_too_large_or_of_the_wrong_type_is_refused(seen) -> None:
    sent = seen["evidence"]
    assert sent["added"] and len(sent["listed"]) == 1 and "工资条.png" in sent["listed"][0]
    assert sent["too_large"] == "文件太大：最大64 KB。"
    assert sent["wrong_type"] == "只能上传PDF文件或JPEG、PNG格式的照片。"
    assert sent["listed_after"] == sent["listed"]  # nothing refused was stored
    assert not [v for v in sent["axe_refused"] if v["impact"] in SERIOUS]


def test_the_case_page_explains_the_mediation_deadline_from_the_stations_clock(seen) -> None:
    page = seen["accepted"]
    assert re.search(r"Mediation has until \d{4}-\d{2}-\d{2} to reach an agreement", page), page[-3000:]
    assert "The mediation station: it is mediating between you and the employer." in page
    assert "劳动争议调解仲裁法 art. 14" in page
    assert "Ask for free legal aid" in page  # this worker did not ask for it


def test_stations_page_and_screenshots(seen) -> None:
    assert seen["stations_qr"] == len(stations())
    assert {"file-zh.png", "receipt-zh.png", "case-zh.png", "file-en.png", "file-errors-zh.png",
            "stations-zh.png"} <= set(seen["shots"])


def test_the_pages_are_served_by_a_production_server_that_stops_cleanly(seen) -> None:
    served = seen["server"]
    assert served["server"] == "portal"  # waitress, not werkzeug's development server
    assert served["huge_body"] == 413  # refused before it was read
    assert served["stopped_on_sigterm"]


def test_the_stations_desk_takes_on_a_case_and_a_mediator_records_an_agreement(seen) -> None:
    bench = seen["workbench"]
    assert "/staff/signin" in bench["signin_url"]  # no session: sign in first
    assert bench["waiting"] == 1 and bench["still_waiting"] == 0
    assert bench["desk_buttons_for_mediator"] == 0
    assert bench["amount_error"] == "请填写以元为单位的金额，例如 8200 或 8200.50。"
    assert bench["recorded"] and bench["case_state"].startswith("已达成调解协议")
    assert ("handoff.accepted", "wang.desk") in bench["trail"]  # each person recorded as actor
    assert ("mediation.agreement_reached", "li.mediator") in bench["trail"]
    assert not [v for page in ("axe_signin", "axe_queue", "axe_case", "axe_court_queue", "axe_court_case")
                for v in bench[page] if v["impact"] in SERIOUS]


def test_an_auditor_reads_a_verified_trail_and_the_operator_sees_the_pairs(seen) -> None:
    looked = seen["oversight"]
    assert looked["intact"] == "true" and looked["verification"].startswith("Verified")
    assert "zhao.audit" in looked["reading_recorded"]
    assert {"case.filed", "handoff.accepted", "mediation.agreement_reached"} <= set(looked["events"])
    assert ("trail.accessed", "zhao.audit") in seen["workbench"]["trail"]  # the page's reading, recorded
    assert "pair-intake-mediation" in looked["pairs"] and looked["chart_pairs"] == len(looked["pairs"])
    assert looked["chart_title"] == "各机构之间的移交等待时间（最慢的在前）"
    assert not [v for page in ("axe_audit", "axe_operator") for v in looked[page] if v["impact"] in SERIOUS]
    assert {"audit-case-en.png", "operator-zh.png"} <= set(seen["shots"])
    print(f"auditor and operator pages in the browser: {looked['seconds']} s")


def test_a_court_clerk_confirms_the_agreement_and_the_worker_sees_it(seen) -> None:
    bench = seen["workbench"]
    assert "调解协议司法确认" in bench["court_waiting"]  # the application's purpose, in the queue
    assert bench["court_case_state"].startswith("法院")  # ruled
    assert ("court.ruling_entered", "zhao.clerk") in bench["trail"]
    assert ("handoff.accepted", "zhao.clerk") in bench["trail"]
    assert bench["worker_sees"]  # "The court ruled." on the worker's status page
    assert {"staff-courts-queue-zh.png", "staff-courts-case-zh.png"} <= set(seen["shots"])


def test_a_handoff_sent_back_needs_a_reason_and_the_worker_is_told(seen) -> None:
    bench = seen["workbench"]
    assert bench["return_error"] == "请填写原因。"
    assert bench["returned_still_waiting"] == 0
    assert ("handoff.returned", "wang.desk") in bench["returned_trail"]
    assert bench["returned_worker_sees"]
