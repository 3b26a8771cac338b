"""End to end: the worker portal against a sandbox platform on the real broker, in Chromium on a
phone-sized screen: filing in Chinese and in English, the receipt, the status page's steps, form
errors with nothing filed, filing by keyboard alone, and axe-core finding nothing serious."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

from disputes_cli.sandbox import sandbox_platform
from disputes_cli.signin import development_issuer
from disputes_shared.contract.stations import stations
from disputes_shared.identity.roles import Role

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tools" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="module")
def seen():
    subprocess.run(["bash", str(ROOT / "scripts" / "browser.sh"), "ensure"], check=True)
    shots = Path(os.environ.get("DISPUTES_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="portal-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    with sandbox_platform() as env:
        base = f"http://127.0.0.1:{env['DISPUTES_PORTAL_HTTP_PORT']}"
        assert requests.get(f"{base}/health/ready", timeout=5).status_code == 200
        # A clean interpreter: Playwright's driver hangs under this process's eventlet patching.
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("DISPUTES_")}
        run = subprocess.run([sys.executable, str(Path(__file__).with_name("portal_browser.py")),
                              base, str(shots), str(AXE)], capture_output=True, text=True,
                             timeout=100, env=child_env)
        assert run.returncode == 0, run.stderr[-3000:]
        report = json.loads(run.stdout)
        intake = f"http://127.0.0.1:{env['DISPUTES_INTAKE_HTTP_PORT']}"
        clerk = {"Authorization": f"Bearer {development_issuer().issue(Role.INTAKE_CLERK)}"}
        report["filed"] = {lang: requests.get(f"{intake}/v1/claims/{report[lang]['case_id']}",
                                              headers=clerk, timeout=5).json()
                           for lang in ("zh", "en")}
    report["shots"] = sorted(p.name for p in shots.iterdir())
    return report


@pytest.mark.parametrize(("lang", "title", "first_step"), [
    ("zh", "在线申请调解", "已收到您的申请。"), ("en", "File a claim", "Your claim was received.")])
def test_a_worker_files_on_a_phone_and_follows_the_case(seen, lang, title, first_step) -> None:
    mine = seen[lang]
    assert mine["h1_file"] == title
    assert mine["station_preselected"] == "ind-fooddelivery-wuhou"
    assert mine["case_id"].startswith("LD-") and mine["receipt_has_qr"]
    filed = seen["filed"][lang]
    assert filed["case_id"] == mine["case_id"] and filed["legal_aid_requested"] is True
    assert filed["relationship"] == "incomplete_employment"
    assert len(mine["steps"]) >= 2 and first_step in mine["steps"][0]


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


def test_stations_page_and_screenshots(seen) -> None:
    assert seen["stations_qr"] == len(stations())
    assert {"file-zh.png", "receipt-zh.png", "case-zh.png", "file-en.png", "file-errors-zh.png",
            "stations-zh.png"} <= set(seen["shots"])
