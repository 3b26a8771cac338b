"""The staff workbench without a browser or broker: the queue's order, each form's checks, the
person's own token on every call, refusals and ended sessions, CSRF."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from werkzeug.test import Client

from disputes_shared.identity.development import DevelopmentIssuer
from portal import i18n, labels, workbench
from portal.app import Portal
from portal.staff import STAFF_COOKIE, DevelopmentSignIn, SignInRefused, StaffCalls, member_of
from portal.workbench_pages import EXPIRED, UNREACHABLE

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
STATION = "ind-fooddelivery-wuhou"


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def handoff(handoff_id: str, case_id: str, hours_ago: float, to_unit: str = STATION) -> dict[str, Any]:
    return {"handoff_id": handoff_id, "case_id": case_id, "requested_at": at(-hours_ago),
            "to_unit": to_unit, "purpose": "mediation", "pending": True}


def case(case_id: str, hours_ago: float, station: str = STATION, state: str = "in_mediation") -> dict[str, Any]:
    return {"case_id": case_id, "state": state, "received_at": at(-hours_ago), "station_id": station,
            "sessions": 1, "pay_by": None}


def clock(case_id: str, due_in_hours: float, status: str = "running") -> dict[str, Any]:
    return {"case_id": case_id, "kind": "mediation_without_agreement", "status": status,
            "due_at": at(due_in_hours), "last_day": at(due_in_hours)[:10],
            "citation": "劳动争议调解仲裁法 art. 14"}


# --- the queue's order ----------------------------------------------------------------------

def test_handoffs_wait_oldest_first_and_only_the_stations_own() -> None:
    found = workbench.waiting_handoffs(
        [handoff("h1", "LD-1", 1), handoff("h2", "LD-2", 30), handoff("h3", "LD-3", 5, "elsewhere"),
         {**handoff("h4", "LD-4", 50), "pending": False}], STATION)
    assert [w.handoff_id for w in found] == ["h2", "h1"]


def test_cases_by_soonest_deadline_breached_first_then_those_without_one() -> None:
    cases = [case("LD-1", 10), case("LD-2", 20), case("LD-3", 30), case("LD-4", 5, "elsewhere"),
             case("LD-5", 40)]
    clocks = [clock("LD-1", 48), clock("LD-1", 5), clock("LD-2", -2), clock("LD-3", 100, "satisfied"),
              clock("LD-4", -50)]
    found = workbench.open_cases(cases, clocks, STATION, NOW)
    assert [c.case_id for c in found] == ["LD-2", "LD-1", "LD-5", "LD-3"]
    assert [c.breaching for c in found] == [True, False, False, False]
    assert found[1].due_at == NOW + timedelta(hours=5)  # its soonest running clock


# --- forms ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "errors"), [
    ({"reason": "not_this_station"}, []), ({"reason": "other", "detail": "wrong city"}, []),
    ({"reason": "other"}, ["detail"]), ({"reason": "because"}, ["reason"]), ({}, ["reason"]),
    ({"reason": "missing_facts", "detail": "x" * 501}, ["detail"]),
])
def test_a_return_needs_a_reason_from_the_list_and_text_for_another(data: dict, errors: list) -> None:
    assert list(workbench.read_return(data).errors) == errors


def test_the_reason_sent_starts_with_its_code() -> None:
    assert workbench.read_return({"reason": "other", "detail": " wrong city "}).values["reason"] == "other: wrong city"


@pytest.mark.parametrize(("data", "errors"), [
    ({"amount": "8200", "pay_by": "2026-12-31"}, []), ({"amount": "8200.50", "pay_by": "2026-12-04"}, []),
    ({"amount": "abc", "pay_by": "2026-12-31"}, ["amount"]), ({"amount": "-1", "pay_by": "2026-12-31"}, ["amount"]),
    ({"amount": "1.234", "pay_by": "2026-12-31"}, ["amount"]), ({"amount": "NaN", "pay_by": "2026-12-31"}, ["amount"]),
    ({"amount": "1e12", "pay_by": "2026-12-31"}, ["amount"]), ({"amount": "100", "pay_by": "31/12"}, ["pay_by"]),
    ({"amount": "100", "pay_by": "2026-12-03"}, ["pay_by"]),
])
def test_an_agreement_needs_an_amount_in_yuan_and_a_day_not_past(data: dict, errors: list) -> None:
    assert list(workbench.read_agreement(data, date(2026, 12, 4)).errors) == errors


def test_a_session_has_a_mode_and_a_failure_a_reason() -> None:
    assert workbench.read_session({"mode": "video"}).valid
    assert list(workbench.read_session({"mode": "by pigeon"}).errors) == ["mode"]
    assert list(workbench.read_failure({"reason": " "}).errors) == ["reason"]
    failed = workbench.read_failure({"reason": "employer absent", "refer": "yes"})
    assert failed.valid and failed.values["refer_to_arbitration"] is True
    assert workbench.read_failure({"reason": "x"}).values["refer_to_arbitration"] is False


# --- sign-in --------------------------------------------------------------------------------

def test_development_sign_in_refuses_bad_fields_and_signs_a_workbench_role(tmp_path: Path) -> None:
    sign_in = DevelopmentSignIn(DevelopmentIssuer(tmp_path))
    for name, role, station, field in [("x", "mediator", STATION, "name"), ("li.ming", "worker_portal", None, "role"),
                                       ("li.ming", "mediator", None, "station")]:
        with pytest.raises(SignInRefused) as refused:
            sign_in(name, role, station)
        assert refused.value.field == field
    member = member_of(sign_in("li.ming", "mediator", STATION))
    assert member is not None and (member.subject, member.role, member.station) == ("li.ming", "mediator", STATION)


def test_a_token_run_out_or_of_another_role_is_no_session(tmp_path: Path) -> None:
    issuer = DevelopmentIssuer(tmp_path)
    assert member_of(issuer.issue("worker_portal")) is None  # a service's account, not a person's
    assert member_of(issuer.issue("mediator", station=STATION, minutes=1), now=NOW.timestamp() + 10**9) is None
    assert member_of("not a token") is None


# --- pages ----------------------------------------------------------------------------------

class FakeMediation:
    """Mediation's RPC as the workbench reaches it: records each call with the token it bore."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, tuple]] = []
        self.refuse: dict[str, RemoteError] = {}
        self.handoffs = [handoff("h1", "LD-1", 3), handoff("h2", "LD-2", 30)]
        self.cases = [case("LD-7", 50), case("LD-8", 40)]
        self.clocks = [clock("LD-7", 200), clock("LD-8", -1)]

    def call(self, token: str, service: str, method: str, *args: Any) -> Any:
        assert service == "mediation"
        self.calls.append((token, method, args))
        if method in self.refuse:
            raise self.refuse[method]
        return {"pending_handoffs": self.handoffs, "open_cases": self.cases,
                "running_clocks": self.clocks}.get(method, {})

    def forget(self, token: str) -> None:
        self.calls.append((token, "forget", ()))


def workbench_client(tmp_path: Path, role: str = "mediator") -> tuple[Client, FakeMediation, str]:
    mediation = FakeMediation()
    sign_in = DevelopmentSignIn(DevelopmentIssuer(tmp_path))
    app = Portal("http://intake", trail=lambda case_id: None, secret=b"k" * 32,
                 staff_calls=mediation, sign_in=sign_in, now=lambda: NOW)  # type: ignore[arg-type]
    client = Client(app)
    page = client.get("/staff/signin?lang=en").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    signed = client.post("/staff/signin?lang=en", data={"csrf": csrf, "name": "li.ming", "role": role,
                                                          "station": STATION})
    assert signed.status_code == 303 and signed.headers["Location"].startswith("/staff")
    cookie = client.get_cookie(STAFF_COOKIE, path="/staff")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    return client, mediation, csrf


def test_without_a_session_every_page_leads_to_sign_in(tmp_path: Path) -> None:
    app = Portal("http://intake", trail=lambda case_id: None, secret=b"k" * 32,
                 staff_calls=FakeMediation(), sign_in=DevelopmentSignIn(DevelopmentIssuer(tmp_path)))  # type: ignore[arg-type]
    client = Client(app)
    for reply in (client.get("/staff"), client.get("/staff/cases/LD-7"),
                  client.post("/staff/handoffs/h1", data={"action": "accept"})):
        assert reply.status_code == 303 and reply.headers["Location"].startswith("/staff/signin")


def test_no_workbench_configured_is_not_found() -> None:
    client = Client(Portal("http://intake", trail=lambda case_id: None, secret=b"k" * 32))
    assert client.get("/staff").status_code == 404


def test_the_queue_shows_the_stations_handoffs_and_cases_in_order(tmp_path: Path) -> None:
    client, mediation, _ = workbench_client(tmp_path, "station_admin")
    page = client.get("/staff?lang=en").get_data(as_text=True)
    assert page.index("LD-2") < page.index("LD-1")  # waiting longer
    assert page.index("LD-8") < page.index("LD-7") and "Deadline breached" in page
    assert "Take on the case" in page and "Send it back" in page
    tokens = {token for token, method, _ in mediation.calls}
    assert len(tokens) == 1 and member_of(tokens.pop()).role == "station_admin"  # type: ignore[union-attr]


def test_a_mediator_has_no_desk_buttons_and_the_desk_no_records(tmp_path: Path) -> None:
    client, _, _ = workbench_client(tmp_path, "mediator")
    assert "Take on the case" not in client.get("/staff?lang=en").get_data(as_text=True)
    page = client.get("/staff/cases/LD-7?lang=en").get_data(as_text=True)
    assert "Record the agreement" in page and "Record the session" in page
    desk, _, _ = workbench_client(tmp_path, "station_admin")
    assert "Record the agreement" not in desk.get("/staff/cases/LD-7?lang=en").get_data(as_text=True)


def test_accepting_and_returning_send_the_desk_commands(tmp_path: Path) -> None:
    client, mediation, csrf = workbench_client(tmp_path, "station_admin")
    assert client.post("/staff/handoffs/h2", data={"csrf": csrf, "action": "accept"}).status_code == 303
    reply = client.post("/staff/handoffs/h1", data={"csrf": csrf, "action": "return",
                                                    "reason": "not_this_station"})
    assert reply.status_code == 303
    sent = [(m, a) for _, m, a in mediation.calls if m in ("accept_handoff", "return_handoff")]
    assert sent == [("accept_handoff", ("h2",)), ("return_handoff", ("h1", "not_this_station"))]


def test_a_return_without_a_reason_sends_nothing_and_says_so_at_the_field(tmp_path: Path) -> None:
    client, mediation, csrf = workbench_client(tmp_path, "station_admin")
    reply = client.post("/staff/handoffs/h1?lang=zh", data={"csrf": csrf, "action": "return", "reason": "other"})
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    assert i18n.translations("zh").gettext("Please write the reason.") in page
    assert not [m for _, m, _ in mediation.calls if m == "return_handoff"]


def test_a_mediator_records_an_agreement_and_bad_fields_send_nothing(tmp_path: Path) -> None:
    client, mediation, csrf = workbench_client(tmp_path)
    bad = client.post("/staff/cases/LD-7?lang=en", data={"csrf": csrf, "action": "agreement",
                                                         "amount": "lots", "pay_by": "2026-12-31"})
    assert bad.status_code == 400 and "An amount in yuan" in bad.get_data(as_text=True)
    good = client.post("/staff/cases/LD-7", data={"csrf": csrf, "action": "agreement",
                                                  "amount": "8200", "pay_by": "2026-12-31"})
    assert good.status_code == 303 and "done=agreement" in good.headers["Location"]
    sent = [a for _, m, a in mediation.calls if m == "record_agreement"]
    assert sent == [("LD-7", "8200", "2026-12-31")]


def test_forms_without_the_csrf_token_are_refused(tmp_path: Path) -> None:
    client, mediation, _ = workbench_client(tmp_path, "station_admin")
    assert client.post("/staff/handoffs/h1", data={"action": "accept"}).status_code == 400
    assert client.post("/staff/cases/LD-7", data={"action": "failure", "reason": "x"}).status_code == 400
    assert client.post("/staff/signin", data={"name": "li.ming", "role": "mediator",
                                              "station": STATION}).status_code == 400
    assert not [m for _, m, _ in mediation.calls if m.startswith(("accept", "record"))]


def test_the_services_refusal_is_shown_and_an_unaccepted_token_ends_the_session(tmp_path: Path) -> None:
    client, mediation, csrf = workbench_client(tmp_path, "station_admin")
    mediation.refuse["accept_handoff"] = RemoteError("HandoffRefused", "the handoff was already answered")
    reply = client.post("/staff/handoffs/h1?lang=en", data={"csrf": csrf, "action": "accept"})
    assert reply.status_code == 409 and "already answered" in reply.get_data(as_text=True)
    mediation.refuse["pending_handoffs"] = RemoteError("Unauthenticated", "expired: token")
    ended = client.get("/staff")
    assert ended.status_code == 303 and "ended=1" in ended.headers["Location"]
    assert ("forget", ()) in [(m, a) for _, m, a in mediation.calls]


def test_an_unreachable_service_says_nothing_was_changed(tmp_path: Path) -> None:
    client, mediation, csrf = workbench_client(tmp_path)

    def down(*args: Any) -> Any:
        raise OSError("connection refused")
    mediation.call = down  # type: ignore[method-assign]
    reply = client.post("/staff/cases/LD-7?lang=en", data={"csrf": csrf, "action": "session", "mode": "video"})
    assert reply.status_code == 503 and UNREACHABLE.split(";")[0] in reply.get_data(as_text=True)


def test_sign_out_forgets_the_session(tmp_path: Path) -> None:
    client, mediation, csrf = workbench_client(tmp_path)
    reply = client.post("/staff/signout", data={"csrf": csrf})
    assert reply.status_code == 303 and client.get_cookie(STAFF_COOKIE, path="/staff") is None
    assert [m for _, m, _ in mediation.calls][-1] == "forget"


def test_staff_calls_keep_a_pool_per_person_and_close_the_least_recent() -> None:
    made: dict[str, Any] = {}

    class Pool:
        def __init__(self, token: str) -> None:
            self.token, self.closed = token, False
            made[token] = self

        def call(self, service: str, method: str, *args: Any) -> str:
            return self.token

        def close(self) -> None:
            self.closed = True
    calls = StaffCalls("amqp://", keep=2, pool=Pool)  # type: ignore[arg-type]
    assert [calls.call(t, "mediation", "open_cases") for t in ("a", "b", "a", "c")] == ["a", "b", "a", "c"]
    assert made["b"].closed and not made["a"].closed and not made["c"].closed


def test_every_workbench_message_has_a_chinese_translation() -> None:
    zh = i18n.translations("zh")
    words = [*workbench.RETURN_REASONS.values(), *workbench.SESSION_MODE_WORDS.values(),
             *labels.STAFF_ROLE.values(), EXPIRED, UNREACHABLE, "Your role may not do this.",
             "Please choose what to do.", "No open case with this number at your station."]
    words += list(workbench.read_return({"reason": "x", "detail": "x" * 501}).errors.values())
    words += list(workbench.read_return({"reason": "other"}).errors.values())
    words += list(workbench.read_session({}).errors.values())
    words += list(workbench.read_agreement({"pay_by": "2020-01-01"}, date(2026, 1, 1)).errors.values())
    words += list(workbench.read_agreement({"pay_by": "x"}, date(2026, 1, 1)).errors.values())
    for refused in (("x", "mediator", STATION), ("li.ming", "x", None), ("li.ming", "mediator", None)):
        try:
            DevelopmentSignIn(None)(*refused)  # type: ignore[arg-type]
        except SignInRefused as error:
            words.append(str(error))
    assert not [w for w in words if zh.gettext(w) == w]



def test_a_case_no_longer_in_mediation_offers_no_records(tmp_path: Path) -> None:
    client, mediation, _ = workbench_client(tmp_path)
    mediation.cases = [case("LD-7", 50, state="agreement_reached")]
    page = client.get("/staff/cases/LD-7?lang=en").get_data(as_text=True)
    assert "LD-7" in page and "Record the agreement" not in page and "Record the session" not in page
    assert client.get("/staff/cases/LD-99?lang=en").status_code == 404
