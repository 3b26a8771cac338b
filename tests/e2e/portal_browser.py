"""Drives the worker portal in Debian's Chromium and reports what a person saw, as JSON on stdout.

Run by tests/e2e/test_portal.py in an interpreter of its own: Playwright's driver does not run
under the eventlet monkey patching the test process has. The test makes the assertions.

    python portal_browser.py PORTAL_URL SCREENSHOT_DIR AXE_JS EVIDENCE_MAX_BYTES STAFF_CASE_ID STATION
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from disputes_shared.contract.personal_numbers import with_check_character

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 1024  # a pay slip's photo, as far as intake looks
WORKER = {"name": "张三", "id_number": with_check_character("51010419900101110"), "phone": "13800000000",
          "employer": "某某餐饮有限公司", "amount": "3200"}


def axe(page: Page, axe_js: str) -> list[dict[str, Any]]:
    page.add_script_tag(path=axe_js)
    found = page.evaluate("async () => (await axe.run()).violations"
                          ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))")
    return list(found)


def fill_by_mouse(page: Page, relationship: str, claim: str) -> None:
    for field, value in WORKER.items():
        page.fill(f"#{field}", value)
    page.check("input[name=sensitive_data_consent]")
    page.select_option("#industry", "food_delivery")
    page.check(f"input[name=relationship][value={relationship}]")
    page.check(f"input[name=claim_types][value={claim}]")
    page.select_option("#district", "wuhou")
    page.check("input[name=legal_aid]")


def steps_of(page: Page, wanted: int, timeout: float = 30.0) -> list[str]:
    """The status page's steps, reloaded until the trail has recorded ``wanted`` of them."""
    deadline = time.monotonic() + timeout
    while True:
        items = page.locator("#steps li").all_inner_texts() if page.locator("#steps").count() else []
        if len(items) >= wanted or time.monotonic() > deadline:
            return items
        time.sleep(0.5)
        page.reload()


def file_and_follow(page: Page, base: str, lang: str, shots: Path, axe_js: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    page.goto(f"{base}/file?lang={lang}&station=ind-fooddelivery-wuhou")
    seen["station_preselected"] = page.input_value("#station")
    seen["h1_file"] = page.inner_text("h1")
    seen["axe_file"] = axe(page, axe_js)
    page.screenshot(path=str(shots / f"file-{lang}.png"), full_page=True)
    fill_by_mouse(page, "incomplete_employment", "unpaid_wages")
    if lang == "en":  # a photo of a pay slip sent with the claim itself
        page.set_input_files("#evidence", files=[{"name": "payslip.png", "mimeType": "image/png",
                                                  "buffer": PNG}])
    page.click("button[type=submit]")
    page.wait_for_url("**/receipt/**")
    seen["evidence_with_claim"] = page.locator("#evidence-added").count() == 1
    seen["case_id"] = page.inner_text("#case-number")
    seen["access_code"] = page.inner_text("#access-code")
    seen["receipt_has_qr"] = page.locator("svg").count() > 0
    seen["axe_receipt"] = axe(page, axe_js)
    page.screenshot(path=str(shots / f"receipt-{lang}.png"), full_page=True)
    page.click(f"a[href^='/case/{seen['case_id']}']")
    seen["steps"] = steps_of(page, 2)
    seen["next"] = page.inner_text("#next")
    seen["now"] = page.inner_text("#now")
    seen["axe_case"] = axe(page, axe_js)
    page.screenshot(path=str(shots / f"case-{lang}.png"), full_page=True)
    return seen


def send_evidence(page: Page, name: str, mime: str, content: bytes) -> None:
    page.set_input_files("#file", files=[{"name": name, "mimeType": mime, "buffer": content}])
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")


def open_case(page: Page, base: str, case_id: str, code: str, shots: Path, axe_js: str) -> dict[str, Any]:
    """Another browser (a relative's phone): the case page asks for the access code; a wrong
    one is refused at the field, the right one opens the page."""
    page.goto(f"{base}/case/{case_id}?lang=zh")
    seen: dict[str, Any] = {"asked": page.locator("#access-code").count() == 1,
                            "state_hidden": page.locator("#evidence").count() == 0,
                            "axe_asked": axe(page, axe_js)}
    page.fill("#access-code", "2222222222")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    seen["wrong"] = page.inner_text("#access-code-error")
    page.screenshot(path=str(shots / "open-case-zh.png"), full_page=True)
    page.fill("#access-code", code.lower())  # typed as it comes
    with page.expect_navigation():
        page.click("form button[type=submit]")
    seen["opened"] = page.locator("#evidence").count() == 1
    return seen


def evidence(page: Page, base: str, case_id: str, limit: int, shots: Path, axe_js: str) -> dict[str, Any]:
    """A photo of a pay slip is sent; then one too large and a web page dressed as a photo."""
    page.goto(f"{base}/case/{case_id}?lang=zh")
    png = PNG
    send_evidence(page, "工资条.png", "image/png", png)
    seen: dict[str, Any] = {"added": page.locator("#evidence-added").count() == 1,
                            "listed": page.locator("#evidence-list li").all_inner_texts()}
    send_evidence(page, "big.png", "image/png", png + b"\x00" * limit)
    seen["too_large"] = page.inner_text("#file-error")
    seen["axe_refused"] = axe(page, axe_js)
    page.screenshot(path=str(shots / "evidence-too-large-zh.png"), full_page=True)
    send_evidence(page, "photo.png", "image/png", b"<html><script>alert(1)</script></html>")
    seen["wrong_type"] = page.inner_text("#file-error")
    page.goto(f"{base}/case/{case_id}?lang=zh")
    seen["listed_after"] = page.locator("#evidence-list li").all_inner_texts()
    return seen


def errors(page: Page, base: str, shots: Path, axe_js: str) -> dict[str, Any]:
    page.goto(f"{base}/file?lang=zh")
    page.fill("#name", "李四")
    page.fill("#phone", "12345")
    with page.expect_navigation():
        page.click("button[type=submit]")
    seen = {"url": page.url, "alert": page.inner_text("[role=alert]"),
            "phone_error": page.inner_text("#phone-error"),
            "amount_error": page.inner_text("#amount-error"),
            "name_kept": page.input_value("#name"),
            "phone_invalid": page.get_attribute("#phone", "aria-invalid"),
            "axe_errors": axe(page, axe_js)}
    page.screenshot(path=str(shots / "file-errors-zh.png"), full_page=True)
    return seen


def by_keyboard(page: Page, base: str) -> dict[str, Any]:
    page.goto(f"{base}/file?lang=en")
    kb = page.keyboard
    for _ in range(5):  # past the language switch to the first field
        kb.press("Tab")
        if page.evaluate("document.activeElement.id") == "name":
            break
    for field in ("name", "id_number", "phone"):
        kb.type(WORKER[field])
        kb.press("Tab")
    kb.press("Space")  # the consent to the ID number's processing
    kb.press("Tab")
    kb.type(WORKER["employer"])
    kb.press("Tab")
    kb.press("Tab")  # platform left empty
    kb.press("ArrowDown")  # kind of work: the first, food delivery
    kb.press("Tab")
    kb.press("Space")  # relationship: the first radio, employee
    kb.press("Tab")
    kb.press("Space")  # claim: the first box, unpaid wages
    for _ in range(6):  # past the other five boxes to the amount
        kb.press("Tab")
        if page.evaluate("document.activeElement.id") == "amount":
            break
    kb.type(WORKER["amount"])
    kb.press("Tab")
    kb.press("ArrowDown")  # district: the first
    kb.press("Tab")  # station: left to the service
    kb.press("Tab")  # legal aid: not asked
    kb.press("Tab")  # description
    kb.press("Tab")  # evidence: none with the claim
    kb.press("Tab")  # the Send button
    with page.expect_navigation():
        kb.press("Enter")
    return {"url": page.url, "case_id": page.inner_text("#case-number") if "/receipt/" in page.url else None,
            "errors": page.locator("p.error").evaluate_all("ps => ps.map(p => p.id)")}


def sign_in(page: Page, base: str, name: str, role: str, station: str | None) -> None:
    page.goto(f"{base}/staff?lang=zh")  # no session yet: the sign-in page
    page.fill("#name", name)
    page.select_option("#role", role)
    if station:  # a mediation station's staff
        page.select_option("#station", station)
    page.click("form button[type=submit]")
    page.wait_for_url("**/staff?*")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/staff/signin*")


def waiting_for(page: Page, case_id: str, timeout: float = 20.0) -> Any:
    """The queue's entry of a handoff of ``case_id``, once it has reached the desk."""
    deadline = time.monotonic() + timeout
    waiting = page.locator("#waiting li", has_text=case_id)
    while not waiting.count() and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    return waiting


def workbench(page: Page, base: str, case_id: str, returned_case: str, station: str, shots: Path,
              axe_js: str) -> dict[str, Any]:
    """The station's desk takes on a case handed to it and sends another back with a reason; a
    mediator records an agreement, first with a bad amount, and the parties apply for judicial
    confirmation; a court clerk takes the application on and confirms the agreement."""
    seen: dict[str, Any] = {"signin_url": None}
    page.goto(f"{base}/staff?lang=zh")
    seen["signin_url"] = page.url
    page.screenshot(path=str(shots / "staff-signin-zh.png"), full_page=True)
    seen["axe_signin"] = axe(page, axe_js)
    sign_in(page, base, "wang.desk", "station_admin", station)
    waiting = page.locator("#waiting li", has_text=case_id)
    waiting.first.wait_for(timeout=10_000)
    seen["waiting"] = waiting.count()
    page.screenshot(path=str(shots / "staff-queue-zh.png"), full_page=True)
    seen["axe_queue"] = axe(page, axe_js)
    waiting.get_by_role("button", name="受理案件").click()
    page.wait_for_url("**done=accept*")
    seen["still_waiting"] = page.locator("#waiting li", has_text=case_id).count()
    # Sent back: "another reason" needs words, said at the field; then it goes.
    back = waiting_for(page, returned_case)
    back.locator("summary").click()
    back.locator("input[name=reason][value=other]").check()
    back.locator("button[value=return]").click()
    seen["return_error"] = page.locator("#waiting li", has_text=returned_case).locator("p.error").inner_text()
    back = page.locator("#waiting li", has_text=returned_case)
    back.locator("textarea[name=detail]").fill("申请人的工作地点不在本站辖区")
    back.locator("button[value=return]").click()
    page.wait_for_url("**done=return*")
    seen["returned_still_waiting"] = page.locator("#waiting li", has_text=returned_case).count()
    sign_out(page)
    sign_in(page, base, "li.mediator", "mediator", station)
    seen["desk_buttons_for_mediator"] = page.get_by_role("button", name="受理案件").count()
    page.locator("#cases a", has_text=case_id).click()
    page.fill("#agreement-amount", "三千")
    page.fill("#agreement-pay_by", time.strftime("%Y-%m-%d", time.localtime(time.time() + 14 * 86400)))
    page.click("#agreement-form button[type=submit]")
    seen["amount_error"] = page.inner_text("#agreement-amount-error")
    page.fill("#agreement-amount", "3000")
    page.click("#agreement-form button[type=submit]")
    page.wait_for_url("**done=agreement*")
    seen["recorded"] = page.locator("#done").count() == 1
    seen["case_state"] = page.inner_text("#case-state")
    page.screenshot(path=str(shots / "staff-case-zh.png"), full_page=True)
    seen["axe_case"] = axe(page, axe_js)
    page.locator("#unpaid-form input[value=judicial_confirmation]").check()
    page.click("#unpaid-form button[type=submit]")
    page.wait_for_url("**done=unpaid*")
    sign_out(page)
    # The courts' workbench: the application for judicial confirmation, taken on and granted.
    sign_in(page, base, "zhao.clerk", "court_clerk", None)
    application = waiting_for(page, case_id)
    seen["court_waiting"] = application.count() and application.first.inner_text()
    page.screenshot(path=str(shots / "staff-courts-queue-zh.png"), full_page=True)
    seen["axe_court_queue"] = axe(page, axe_js)
    application.get_by_role("button", name="受理案件").click()
    page.wait_for_url("**done=accept*")
    page.locator("#cases a", has_text=case_id).click()
    page.locator("#ruling-form input[value=confirmed]").check()
    page.fill("#ruling-amount", "3000")
    page.click("#ruling-form button[type=submit]")
    page.wait_for_url("**done=ruling*")
    seen["court_case_state"] = page.inner_text("#case-state")
    page.screenshot(path=str(shots / "staff-courts-case-zh.png"), full_page=True)
    seen["axe_court_case"] = axe(page, axe_js)
    return seen


def oversight(page: Page, base: str, case_id: str, shots: Path, axe_js: str) -> dict[str, Any]:
    """An auditor opens the workbench's case's trail and its verification; the platform's
    operator sees the waits by agency pair."""
    seen: dict[str, Any] = {"started": time.monotonic()}
    page.goto(f"{base}/staff/signin?lang=en")
    page.fill("#name", "zhao.audit")
    page.select_option("#role", "auditor")
    page.click("form button[type=submit]")
    page.wait_for_url("**/staff/audit?*")
    page.fill("#case-id", case_id)
    page.click("form[action='/staff/audit'] button[type=submit]")
    page.wait_for_url(f"**/staff/audit/cases/{case_id}*")
    seen["verification"] = page.inner_text("#verification-status")
    seen["intact"] = page.get_attribute("#verification-status", "data-intact")
    seen["reading_recorded"] = page.inner_text("#reading-recorded")
    seen["events"] = page.locator("#entries tbody tr td:nth-child(5)").all_inner_texts()
    seen["axe_audit"] = axe(page, axe_js)
    page.screenshot(path=str(shots / "audit-case-en.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/staff/signin*")
    page.goto(f"{base}/staff/signin?lang=zh")
    page.fill("#name", "qian.ops")
    page.select_option("#role", "operator")
    page.click("form button[type=submit]")
    page.wait_for_url("**/staff/operator?*")
    seen["pairs"] = page.locator("#pairs tbody tr").evaluate_all("rows => rows.map(r => r.id)")
    seen["chart_pairs"] = page.locator("#wait-chart g.pair").count()
    seen["chart_title"] = page.locator("#wait-chart title").text_content()
    seen["axe_operator"] = axe(page, axe_js)
    page.screenshot(path=str(shots / "operator-zh.png"), full_page=True)
    seen["seconds"] = round(time.monotonic() - seen.pop("started"), 1)
    return seen


def main(base: str, shots_dir: str, axe_js: str, evidence_limit: str, staff_case: str,
         returned_case: str, station: str) -> None:
    shots = Path(shots_dir)
    report: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for lang, locale in (("zh", "zh-CN"), ("en", "en-GB")):
                # bypass_csp: the page's own policy would refuse the injected axe-core script.
                context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                              locale=locale, bypass_csp=True)
                report[lang] = file_and_follow(context.new_page(), base, lang, shots, axe_js)
                context.close()
            context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)
            report["open"] = open_case(context.new_page(), base, report["zh"]["case_id"],
                                       report["zh"]["access_code"], shots, axe_js)
            report["evidence"] = evidence(context.new_page(), base, report["zh"]["case_id"],
                                          int(evidence_limit), shots, axe_js)
            context.close()
            context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)
            report["errors"] = errors(context.new_page(), base, shots, axe_js)
            context.close()
            context = browser.new_context(viewport=PHONE, locale="en-GB")
            report["keyboard"] = by_keyboard(context.new_page(), base)
            context.close()
            context = browser.new_context(locale="zh-CN", bypass_csp=True)  # a desk's screen
            report["workbench"] = workbench(context.new_page(), base, staff_case, returned_case, station,
                                            shots, axe_js)
            context.close()
            context = browser.new_context(locale="en-GB", bypass_csp=True)  # an auditor's screen
            report["oversight"] = oversight(context.new_page(), base, staff_case, shots, axe_js)
            context.close()
            page = browser.new_page(viewport=PHONE)
            page.goto(f"{base}/stations?lang=zh")
            page.screenshot(path=str(shots / "stations-zh.png"))
            report["stations_qr"] = page.locator(".qr svg").count()
        finally:
            browser.close()
    json.dump(report, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:8])
