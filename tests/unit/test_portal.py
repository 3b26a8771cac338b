"""The worker portal without a browser or broker: form checks, the claim it sends, languages, CSRF."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.test import Client

from disputes_shared.contract.consent import SENSITIVE_DATA_CONSENT_TEXTS, SENSITIVE_DATA_CONSENT_VERSION
from disputes_shared.contract.personal_numbers import with_check_character
from portal import forms, i18n, labels, status
from portal.app import Portal

ID_NUMBER = with_check_character("51010419900101110")  # its check character is X
GOOD = {
    "name": "张三", "id_number": ID_NUMBER.lower(), "phone": "138 0000 0000",
    "employer": "某某餐饮有限公司", "platform": "美团", "industry": "food_delivery",
    "relationship": "incomplete_employment", "amount": "3,200.50", "district": "wuhou",
    "station": "ind-fooddelivery-wuhou", "legal_aid": "1", "description": "",
    "sensitive_data_consent": "1", "sensitive_data_consent_version": SENSITIVE_DATA_CONSENT_VERSION,
}


def form(**changes: Any) -> MultiDict:
    data = MultiDict({**GOOD, **changes})
    data.setlist("claim_types", changes.get("claim_types", ["unpaid_wages", "social_insurance"]))
    return data


def test_a_good_form_becomes_the_claim_intake_takes() -> None:
    filing = forms.read_form(form())
    assert filing.valid, filing.errors
    assert forms.to_claim(filing) == {
        "channel": "online",
        "worker": {"name": "张三", "id_number": ID_NUMBER, "phone": "13800000000"},
        "employer": {"name": "某某餐饮有限公司", "platform": "美团"},
        "industry": "food_delivery", "relationship": "incomplete_employment",
        "claim_types": ["unpaid_wages", "social_insurance"], "amount_claimed": "3200.50",
        "district": "wuhou", "legal_aid_requested": True,
        "chosen_station_id": "ind-fooddelivery-wuhou", "description": None,
        "sensitive_data_consent": True, "sensitive_data_consent_version": SENSITIVE_DATA_CONSENT_VERSION,
    }


@pytest.mark.parametrize(("change", "field"), [
    ({"name": " "}, "name"), ({"id_number": "1234"}, "id_number"), ({"phone": "23800000000"}, "phone"),
    ({"employer": ""}, "employer"), ({"industry": "mining"}, "industry"),
    ({"relationship": ""}, "relationship"), ({"claim_types": []}, "claim_types"),
    ({"claim_types": ["free_lunch"]}, "claim_types"), ({"amount": "abc"}, "amount"),
    ({"amount": "0"}, "amount"), ({"amount": "1.234"}, "amount"), ({"district": "paris"}, "district"),
    ({"station": "no-such-station"}, "station"), ({"description": "x" * 5001}, "description"),
    ({"sensitive_data_consent": ""}, "sensitive_data_consent"),
    ({"sensitive_data_consent_version": "0"}, "sensitive_data_consent"),
])
def test_each_bad_field_gets_its_own_message(change: dict[str, Any], field: str) -> None:
    filing = forms.read_form(form(**change))
    assert list(filing.errors) == [field]


def test_intake_refusals_land_on_the_form_fields() -> None:
    errors = forms.intake_errors({"worker": {"phone": ["bad"]}, "amount_claimed": ["bad"], "limitation": ["x"]})
    assert set(errors) == {"phone", "amount", "form"}


def test_every_message_has_a_chinese_translation() -> None:
    zh = i18n.translations("zh")
    words = [*status.STEP_WORDS.values(), *status.STATE_WORDS.values(), status.OTHER_STEP, status.PASSED_TO,
             status.OTHER_STATE, *labels.INDUSTRY.values(), *labels.RELATIONSHIP.values(),
             *labels.CLAIM_TYPE.values(), *labels.DISTRICT.values(), *labels.AGENCY.values()]
    bad = forms.read_form(MultiDict({"claim_types": ["x"], "amount": "x", "station": "x",
                                     "name": "x" * 101, "platform": "x" * 201}))
    words += list(bad.errors.values())
    words += [forms.read_form(form(sensitive_data_consent="")).errors["sensitive_data_consent"],
              *SENSITIVE_DATA_CONSENT_TEXTS.values()]
    from portal.app import EVIDENCE_REFUSED
    words += list(EVIDENCE_REFUSED.values())
    missing = [w for w in words if zh.gettext(w) == w]
    assert not missing


@pytest.mark.parametrize(("query", "cookie", "accept", "chosen"), [
    (None, None, None, "zh"), (None, None, "en-GB,en;q=0.8", "en"), (None, None, "zh-CN,en", "zh"),
    (None, "en", "zh-CN", "en"), ("zh", "en", "en", "zh"), ("fr", None, None, "zh"),
])
def test_language_choice(query: str | None, cookie: str | None, accept: str | None, chosen: str) -> None:
    assert i18n.choose(query, cookie, accept) == chosen


def test_status_words_for_steps() -> None:
    trail = {"state": "in_mediation", "entries": [
        {"at": "2026-12-01T09:30:12.5+00:00", "agency": "intake", "event_type": "case.filed"},
        {"at": "2026-12-01T09:31:00+00:00", "agency": "mediation", "event_type": "new.kind"},
        {"at": "2026-12-01T09:32:00+00:00", "agency": "trail", "event_type": "trail.accessed"}]}
    assert status.steps(trail) == [
        {"at": "2026-12-01 09:30", "agency": "intake", "words": "Your claim was received.", "to": ""},
        {"at": "2026-12-01 09:31", "agency": "mediation", "words": "A step was recorded.", "to": ""}]
    assert status.now_words(trail) == "In mediation."


class FakeReply:
    def __init__(self, code: int, body: dict[str, Any]) -> None:
        self.status_code, self.body = code, body

    def json(self) -> dict[str, Any]:
        return self.body


CODE = "GQ7M2XK9PA"  # the access code intake gave at filing, in these tests


class FakeIntake:
    """Intake's HTTP API as the portal sees it: a claim is read with its access code only;
    records what was posted."""

    def __init__(self, answer: FakeReply | None = None) -> None:
        self.answer, self.posted = answer, []  # type: ignore[var-annotated]
        self.headers: list[dict[str, str]] = []  # of every call, in order

    def post(self, url: str, json: dict[str, Any], timeout: float,
             headers: dict[str, str] | None = None) -> FakeReply:
        self.posted.append(json)
        self.headers.append(headers or {})
        assert self.answer is not None
        return self.answer

    def get(self, url: str, timeout: float, headers: dict[str, str] | None = None) -> FakeReply:
        self.headers.append(headers or {})
        if (headers or {}).get("X-Access-Code") != CODE:
            return FakeReply(404, {"error": "not_found"})
        if url.endswith("/evidence"):
            return FakeReply(200, {"evidence": [{"name": "pay.png", "size_bytes": 2048,
                                                 "received_at": "2026-12-01T09:30:00+00:00"}]})
        return FakeReply(200, {"case_id": url.rsplit("/", 1)[1], "received_at": "2026-12-01T09:30:00",
                               "state": "received"})


def portal(answer: FakeReply) -> tuple[Client, FakeIntake]:
    intake = FakeIntake(answer)
    app = Portal("http://intake", trail=lambda case_id: None, secret=b"k" * 32, http=intake)  # type: ignore[arg-type]
    return Client(app), intake


def opened(client: Client, case_id: str, code: str = CODE) -> Client:
    """This browser holds the case's access code, as after filing or typing it in."""
    client.set_cookie(f"case-{case_id}", code)
    return client


def csrf_of(client: Client, path: str = "/file") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_filing_posts_to_intake_and_shows_the_receipt() -> None:
    client, intake = portal(FakeReply(201, {"case_id": "LD-20261201-ABC", "access_code": CODE}))
    reply = client.post("/file", data={**form(), "csrf": csrf_of(client)})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/receipt/LD-20261201-ABC")
    assert CODE not in reply.headers["Location"]  # never in a URL
    assert intake.posted[0]["amount_claimed"] == "3200.50"
    receipt = client.get("/receipt/LD-20261201-ABC?lang=en").get_data(as_text=True)
    assert "LD-20261201-ABC" in receipt and "<svg" in receipt and f'id="access-code">{CODE}<' in receipt
    assert CODE not in receipt.split('id="access-code"')[1].split("<svg")[1]  # not in the QR's link


def test_a_case_page_needs_the_access_code_and_opens_with_the_right_one() -> None:
    trail = {"case_id": "LD-7", "state": "in_mediation", "entries": []}
    app = Portal("http://intake", trail=lambda case_id: trail, secret=b"k" * 32, http=FakeIntake())  # type: ignore[arg-type]
    client = Client(app)
    asked = client.get("/case/LD-7?lang=en")
    assert asked.status_code == 401 and 'name="access_code"' in asked.get_data(as_text=True)
    assert "In mediation" not in asked.get_data(as_text=True)
    token = csrf_of(client, "/case/LD-7")
    wrong = client.post("/case/LD-7?lang=en", data={"csrf": token, "access_code": "2222222222"})
    assert wrong.status_code == 404 and "do not match" in wrong.get_data(as_text=True)
    assert client.get("/receipt/LD-7").status_code == 401
    right = client.post("/case/LD-7", data={"csrf": token, "access_code": CODE})
    assert right.status_code == 303 and CODE not in right.headers["Location"]
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/case/LD-7").status_code == 200
    forged = Client(app)
    assert forged.post("/case/LD-7", data={"csrf": "forged.0", "access_code": CODE}).status_code == 400


def test_a_bad_form_stores_nothing_and_speaks_the_pages_language() -> None:
    client, intake = portal(FakeReply(201, {"case_id": "never"}))
    reply = client.post("/file?lang=zh", data={**form(phone="12"), "csrf": csrf_of(client)})
    assert reply.status_code == 400 and not intake.posted
    page = reply.get_data(as_text=True)
    assert 'id="phone-error">手机号为11位数字，以1开头。' in page
    assert 'value="某某餐饮有限公司"' in page  # what was typed is kept


def test_the_form_asks_a_separate_consent_for_the_id_number_and_files_nothing_without_it() -> None:
    client, intake = portal(FakeReply(201, {"case_id": "never"}))
    page = client.get("/file?lang=zh").get_data(as_text=True)
    assert 'type="checkbox" name="sensitive_data_consent"' in page and "我单独同意" in page
    assert f'name="sensitive_data_consent_version" value="{SENSITIVE_DATA_CONSENT_VERSION}"' in page
    reply = client.post("/file?lang=zh", data={**form(sensitive_data_consent=""), "csrf": csrf_of(client)})
    assert reply.status_code == 400 and not intake.posted
    assert 'id="sensitive_data_consent-error">只有在您同意处理您的身份证号码后' in reply.get_data(as_text=True)


def test_a_form_without_the_csrf_token_is_refused() -> None:
    client, intake = portal(FakeReply(201, {"case_id": "never"}))
    client.get("/file")
    reply = client.post("/file", data={**form(), "csrf": "forged.0"})
    assert reply.status_code == 400 and not intake.posted


def test_intakes_refusal_is_shown_at_the_field() -> None:
    client, _ = portal(FakeReply(400, {"error": "invalid_claim", "fields": {"worker": {"phone": ["x"]}}}))
    page = client.post("/file?lang=en", data={**form(), "csrf": csrf_of(client)}).get_data(as_text=True)
    assert 'id="phone-error"' in page


def test_a_station_link_preselects_the_station_and_unknown_ones_are_ignored() -> None:
    client, _ = portal(FakeReply(201, {}))
    page = client.get("/file?station=ind-express-jinniu").get_data(as_text=True)
    assert '<option value="ind-express-jinniu" selected>' in page
    assert " selected>" not in client.get("/file?station=nope").get_data(as_text=True).split('id="station"')[1]


def test_the_stations_page_has_a_qr_per_station() -> None:
    from disputes_shared.contract.stations import stations
    page = Client(Portal("http://intake", trail=lambda c: None)).get("/stations").get_data(as_text=True)
    assert page.count("<svg") == len(stations())


def test_every_case_state_has_words() -> None:
    from disputes_shared.contract.lifecycle import CaseState
    assert not [s.value for s in CaseState if s.value not in status.STATE_WORDS]


def test_the_case_page_names_agencies_in_plain_words() -> None:
    trail = {"case_id": "LD-1", "state": "in_mediation", "entries": [
        {"at": "2026-12-01T09:30:00+00:00", "agency": "intake", "event_type": "case.filed"},
        {"at": "2026-12-01T09:31:00+00:00", "agency": "mediation", "event_type": "handoff.accepted"},
        {"at": "2026-12-01T09:32:00+00:00", "agency": "intake", "event_type": "handoff.requested",
         "details": {"to_agency": "legal_aid"}}]}
    app = Portal("http://intake", trail=lambda case_id: trail, secret=b"k" * 32, http=FakeIntake())  # type: ignore[arg-type]
    zh = opened(Client(app), "LD-1").get("/case/LD-1?lang=zh").get_data(as_text=True)
    en = opened(Client(app), "LD-1").get("/case/LD-1?lang=en").get_data(as_text=True)
    assert "(劳动争议调处中心)" in zh and "(调解站)" in zh
    assert "案件已移交：法律援助中心。" in zh
    assert "(Mediation station)" in en and "(mediation)" not in en and "(intake)" not in en


def test_the_case_page_explains_deadlines_and_what_the_worker_may_do() -> None:
    trail = {"case_id": "LD-2", "state": "awarded", "aid_state": "granted", "entries": []}
    clocks = [{"kind": "suit_after_award", "status": "running", "last_day": "2026-12-19",
               "citation": "劳动争议调解仲裁法 art. 50"}]
    app = Portal("http://intake", trail=lambda case_id: trail, secret=b"k" * 32,
                 clocks=lambda case_id: (clocks, False), http=FakeIntake())  # type: ignore[arg-type]
    en = opened(Client(app), "LD-2").get("/case/LD-2?lang=en").get_data(as_text=True)
    assert "you may sue in court until 2026-12-19 (15 days from receiving it)" in en
    assert "Sue in court by 2026-12-19 if you do not accept the award." in en
    assert "Some deadlines could not be read just now" in en
    zh = opened(Client(app), "LD-2").get("/case/LD-2?lang=zh").get_data(as_text=True)
    assert "不服裁决的，在2026-12-19前向人民法院起诉。" in zh and "下一步由谁办理" in zh


class FakeEvidenceIntake(FakeIntake):
    """Intake's evidence endpoints as the portal sees them: refuses as intake would."""

    def __init__(self, answer: FakeReply) -> None:
        super().__init__(answer)
        self.sent: list[Any] = []

    def post(self, url: str, params: dict[str, str], data: Any, timeout: float,  # type: ignore[override]
             headers: dict[str, str] | None = None) -> FakeReply:
        assert (headers or {}).get("X-Access-Code") == CODE  # the worker's code goes along
        self.sent.append((url, params["name"], data.read()))
        assert self.answer is not None
        return self.answer


class JsonReply(FakeReply):
    headers = {"Content-Type": "application/json"}


def evidence_portal(answer: FakeReply, max_bytes: int = 1024) -> tuple[Client, FakeEvidenceIntake]:
    intake = FakeEvidenceIntake(answer)
    trail = {"case_id": "LD-3", "state": "in_mediation", "entries": []}
    app = Portal("http://intake", trail=lambda case_id: trail, secret=b"k" * 32,
                 http=intake, evidence_max_bytes=max_bytes)  # type: ignore[arg-type]
    return opened(Client(app), "LD-3"), intake


def send_file(client: Client, content: bytes, name: str = "pay.png", lang: str = "en") -> Any:
    from io import BytesIO
    token = csrf_of(client, "/case/LD-3")
    return client.post(f"/case/LD-3/evidence?lang={lang}",
                       data={"csrf": token, "file": (BytesIO(content), name)})


def test_a_file_goes_to_intake_as_sent_and_the_page_says_it_was_received() -> None:
    client, intake = evidence_portal(JsonReply(201, {"evidence_id": "e1"}))
    reply = send_file(client, b"\x89PNG\r\n\x1a\nrest")
    assert reply.status_code == 303 and reply.headers["Location"] == "/case/LD-3?added=1#evidence"
    assert intake.sent == [("http://intake/v1/claims/LD-3/evidence", "pay.png", b"\x89PNG\r\n\x1a\nrest")]
    page = client.get("/case/LD-3?added=1&lang=en").get_data(as_text=True)
    assert "Your file was received." in page and "pay.png" in page


def test_a_file_larger_than_the_limit_is_refused_without_reaching_intake() -> None:
    client, intake = evidence_portal(JsonReply(201, {}), max_bytes=1024)
    reply = send_file(client, b"%PDF-" + b"x" * (1024 + 70 * 1024), lang="zh")
    assert reply.status_code == 413 and not intake.sent
    assert 'id="file-error">文件太大：最大1 KB。' in reply.get_data(as_text=True)


@pytest.mark.parametrize(("size", "words"), [
    (8 * 1024 * 1024, "8 MB"), (1536 * 1024, "1.5 MB"), (200 * 1024, "200 KB"), (100, "1 KB")])
def test_file_sizes_in_plain_words(size: int, words: str) -> None:
    from portal.app import size_words
    assert size_words(size) == words


@pytest.mark.parametrize(("code", "words"), [
    ("unsupported_type", "只能上传PDF文件或JPEG、PNG格式的照片。"), ("too_large", "文件太大"),
    ("too_many_files", "您的案件上传的文件已达上限。")])
def test_intakes_refusal_of_a_file_is_shown_at_the_field_in_the_pages_language(code: str, words: str) -> None:
    client, _ = evidence_portal(JsonReply(415, {"error": code}), max_bytes=8 * 1024 * 1024)
    reply = send_file(client, b"<html>", name="photo.png", lang="zh")
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    assert words in page and 'aria-invalid="true"' in page


def test_a_file_without_the_csrf_token_is_refused() -> None:
    from io import BytesIO
    client, intake = evidence_portal(JsonReply(201, {}))
    client.get("/case/LD-3")
    reply = client.post("/case/LD-3/evidence", data={"csrf": "forged.0", "file": (BytesIO(b"%PDF-1"), "a.pdf")})
    assert reply.status_code == 400 and not intake.sent


def test_every_message_of_the_templates_has_a_chinese_translation() -> None:
    from portal.app import TEMPLATES
    zh = i18n.translations("zh")
    found = {m for page in TEMPLATES.glob("*.html")
             for m in re.findall(r'_\("((?:[^"\\]|\\.)+)"', page.read_text())}
    assert found and not [m for m in found if zh.gettext(m) == m]


class FilingIntake(FakeIntake):
    """Intake taking a claim, then the file sent with it (refused with ``file_answer``'s code)."""

    def __init__(self, file_answer: FakeReply) -> None:
        super().__init__(FakeReply(201, {"case_id": "LD-9", "access_code": CODE}))
        self.file_answer, self.files = file_answer, []  # type: ignore[var-annotated]

    def post(self, url: str, json: Any = None, timeout: float = 0, params: Any = None,  # type: ignore[override]
             data: Any = None, headers: dict[str, str] | None = None) -> FakeReply:
        if json is not None:
            return super().post(url, json, timeout, headers)
        self.headers.append(headers or {})
        assert self.posted and (headers or {}).get("X-Access-Code") == CODE  # filed first, then sent
        self.files.append((url, params["name"], data.read()))
        return self.file_answer


def file_with_evidence(file_answer: FakeReply, content: bytes, lang: str = "en") -> tuple[Any, FilingIntake, Client]:
    from io import BytesIO
    intake = FilingIntake(file_answer)
    client = Client(Portal("http://intake", trail=lambda case_id: None, secret=b"k" * 32,
                           http=intake, evidence_max_bytes=1024))  # type: ignore[arg-type]
    reply = client.post(f"/file?lang={lang}", data={**form(), "csrf": csrf_of(client),
                                                    "evidence": (BytesIO(content), "pay.png")})
    return reply, intake, client


def test_a_file_sent_with_the_form_follows_the_claim_and_the_receipt_says_so() -> None:
    reply, intake, client = file_with_evidence(JsonReply(201, {"evidence_id": "e1"}), b"\x89PNG\r\n\x1a\n")
    assert reply.status_code == 303 and reply.headers["Location"] == "/receipt/LD-9?evidence=added"
    assert intake.files == [("http://intake/v1/claims/LD-9/evidence", "pay.png", b"\x89PNG\r\n\x1a\n")]
    assert "Your file was received." in client.get("/receipt/LD-9?evidence=added&lang=en").get_data(as_text=True)


def test_a_file_over_the_limit_on_the_form_files_nothing_and_keeps_what_was_typed() -> None:
    reply, intake, _ = file_with_evidence(JsonReply(201, {}), b"%PDF-" + b"x" * 2048, lang="zh")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and not intake.posted and not intake.files
    assert 'id="evidence-error">文件太大：最大1 KB。' in page and 'value="某某餐饮有限公司"' in page


def test_a_file_intake_refuses_after_filing_leaves_the_claim_filed_and_says_what_to_do() -> None:
    reply, intake, client = file_with_evidence(JsonReply(400, {"error": "unsupported_type"}), b"<html>")
    assert reply.headers["Location"] == "/receipt/LD-9?evidence=unsupported_type" and intake.posted
    receipt = client.get("/receipt/LD-9?evidence=unsupported_type&lang=en").get_data(as_text=True)
    assert "Only PDF files and JPEG or PNG photos can be sent." in receipt
    assert "Your claim was filed all the same" in receipt


def test_every_call_to_intake_names_the_worker_behind_the_portal() -> None:
    """Intake limits filing and code checks per client: through the portal, the client is the
    worker (the address the portal was reached from, after any hops before it), not the portal."""
    intake = FilingIntake(JsonReply(201, {"evidence_id": "EV-1"}))
    client = Client(Portal("http://intake", trail=lambda case_id: None, secret=b"k" * 32,
                           http=intake, evidence_max_bytes=1024))  # type: ignore[arg-type]
    from io import BytesIO
    worker = {"REMOTE_ADDR": "198.51.100.9"}
    client.post("/file", data={**form(), "csrf": csrf_of(client), "evidence": (BytesIO(b"\x89PNG\r\n\x1a\n"), "pay.png")},
                environ_base=worker, headers={"X-Forwarded-For": "203.0.113.5"})
    client.get("/receipt/LD-9", environ_base=worker)
    assert [h.get("X-Forwarded-For") for h in intake.headers] == [
        "203.0.113.5, 198.51.100.9", "203.0.113.5, 198.51.100.9", "198.51.100.9"]
