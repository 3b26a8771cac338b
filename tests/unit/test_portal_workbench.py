"""The staff workbenches without a browser or broker: the queue's order, each agency's desk and
its forms' checks, the person's own token on every call, refusals and ended sessions, CSRF."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from werkzeug.test import Client

from arbitration.handlers import Arbitration
from courts_bridge.handlers import CourtsBridge
from disputes_shared.identity.development import DevelopmentIssuer
from disputes_shared.identity.roles import may
from legal_aid.handlers import LegalAid
from mediation.handlers import Mediation
from portal import i18n, labels, workbench
from portal.app import Portal
from portal.staff import STAFF_COOKIE, DevelopmentSignIn, SignInRefused, StaffCalls, member_of
from portal.workbench_pages import EXPIRED, NOT_YOURS, UNREACHABLE

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
# Each agency's service layer, whose commands the service's RPC entrypoints pass on as called.
SERVICE_LAYERS = {"mediation": Mediation, "legal_aid": LegalAid, "arbitration": Arbitration,
                  "courts_bridge": CourtsBridge}
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


def test_legal_aids_green_channel_order_is_kept() -> None:
    listed = [handoff("h1", "LD-1", 1, to_unit=None), handoff("h2", "LD-2", 30, to_unit=None)]
    assert workbench.LEGAL_AID.service_order and not workbench.MEDIATION.service_order
    assert [w.handoff_id for w in workbench.waiting_handoffs(listed, None, service_order=True)] == ["h1", "h2"]
    assert [w.handoff_id for w in workbench.waiting_handoffs(listed, None)] == ["h2", "h1"]


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


TODAY = date(2026, 12, 4)


def read(desk: workbench.Desk, action: str, data: dict) -> workbench.Form:
    found = desk.action(action)
    assert found is not None
    return workbench.read_action(found, data, TODAY)


@pytest.mark.parametrize(("data", "errors"), [
    ({"amount": "8200", "pay_by": "2026-12-31"}, []), ({"amount": "8200.50", "pay_by": "2026-12-04"}, []),
    ({"amount": "abc", "pay_by": "2026-12-31"}, ["amount"]), ({"amount": "-1", "pay_by": "2026-12-31"}, ["amount"]),
    ({"amount": "1.234", "pay_by": "2026-12-31"}, ["amount"]), ({"amount": "NaN", "pay_by": "2026-12-31"}, ["amount"]),
    ({"amount": "1e12", "pay_by": "2026-12-31"}, ["amount"]), ({"amount": "100", "pay_by": "31/12"}, ["pay_by"]),
    ({"amount": "100", "pay_by": "2026-12-03"}, ["pay_by"]), ({}, ["amount", "pay_by"]),
])
def test_an_agreement_needs_an_amount_in_yuan_and_a_day_not_past(data: dict, errors: list) -> None:
    assert list(read(workbench.MEDIATION, "agreement", data).errors) == errors


def test_a_session_has_a_mode_and_a_failure_a_reason() -> None:
    assert workbench.arguments(read(workbench.MEDIATION, "session", {"mode": "video"})) == {
        "mode": "video", "note": None}
    assert list(read(workbench.MEDIATION, "session", {"mode": "by pigeon"}).errors) == ["mode"]
    assert list(read(workbench.MEDIATION, "failure", {"reason": " "}).errors) == ["reason"]
    failed = read(workbench.MEDIATION, "failure", {"reason": "employer absent", "refer_to_arbitration": "yes"})
    assert workbench.arguments(failed) == {"reason": "employer absent", "refer_to_arbitration": True}
    assert read(workbench.MEDIATION, "failure", {"reason": "x"}).values["refer_to_arbitration"] is False


def test_legal_aid_is_granted_with_the_means_test_or_refused_with_a_reason() -> None:
    granted = read(workbench.LEGAL_AID, "grant", {"hardship_shown": "yes"})
    assert workbench.arguments(granted) == {"hardship_shown": True, "exempt_group": None}
    exempt = read(workbench.LEGAL_AID, "grant", {"exempt_group": "assistance_recipient"})
    assert workbench.arguments(exempt) == {"hardship_shown": False, "exempt_group": "assistance_recipient"}
    assert list(read(workbench.LEGAL_AID, "grant", {"exempt_group": "friends"}).errors) == ["exempt_group"]
    assert list(read(workbench.LEGAL_AID, "refuse", {}).errors) == ["refusal_reason"]
    refused = read(workbench.LEGAL_AID, "refuse", {"refusal_reason": "income above the line"})
    assert workbench.arguments(refused) == {"refusal_reason": "income above the line"}
    assert {a.command for a in workbench.LEGAL_AID.actions} == {"decide"}


def test_an_award_is_its_items_and_their_sum_and_needs_one_item() -> None:
    award = read(workbench.ARBITRATION, "award", {"items.unpaid_wages": "3000", "items.work_injury": "1200.50",
                                                  "items.social_insurance": ""})
    assert workbench.arguments(award) == {"items": {"unpaid_wages": "3000", "work_injury": "1200.50"},
                                          "amount": "4200.50"}
    assert list(read(workbench.ARBITRATION, "award", {}).errors) == ["items"]
    assert list(read(workbench.ARBITRATION, "award", {"items.unpaid_wages": "lots"}).errors) == ["items"]


@pytest.mark.parametrize(("action", "data", "arguments"), [
    ("hearing", {"hearing_on": "2026-12-20"}, {"hearing_on": "2026-12-20"}),
    ("hearing", {"hearing_on": "2026-12-01"}, None),
    ("extend", {"days": "15", "approved_by": "chair.zhao"}, {"days": 15, "approved_by": "chair.zhao"}),
    ("extend", {"days": "16", "approved_by": "chair.zhao"}, None),
    ("extend", {"days": "10"}, None),
    ("panel", {"members": "arb-1， arb-2"}, {"members": ["arb-1", "arb-2"]}),
    ("panel", {}, {"members": None}),
    ("serve", {}, {}),
    ("to_court", {"purpose": "enforcement", "by": "worker", "reason": "unpaid"},
     {"purpose": "enforcement", "by": "worker", "reason": "unpaid"}),
    ("to_court", {"purpose": "appeal", "by": "worker", "reason": "x"}, None),
])
def test_arbitrations_proceeding_forms(action: str, data: dict, arguments: dict | None) -> None:
    form = read(workbench.ARBITRATION, action, data)
    assert (workbench.arguments(form) if form.valid else None) == arguments


@pytest.mark.parametrize(("action", "data", "arguments"), [
    ("ruling", {"ruling": "confirmed", "amount": "3000"}, {"ruling": "confirmed", "amount": "3000"}),
    ("ruling", {"ruling": "approved", "amount": "3000"}, None),
    ("ruling", {"ruling": "dismissed"}, None),
    ("objection", {}, {"applicant_sues": False}),
    ("enforce", {"amount_due": "3000"}, {"amount_due": "3000"}),
    ("enforced", {"amount_recovered": "x"}, None),
])
def test_the_courts_forms(action: str, data: dict, arguments: dict | None) -> None:
    form = read(workbench.COURTS, action, data)
    assert (workbench.arguments(form) if form.valid else None) == arguments


def test_each_role_has_its_agencys_desk_and_each_desk_the_actions_its_roles_may_take() -> None:
    assert {role: desk.service for role, desk in workbench.DESK_OF_ROLE.items()} == {
        "station_admin": "mediation", "mediator": "mediation", "legal_aid_officer": "legal_aid",
        "arbitrator": "arbitration", "court_clerk": "courts_bridge"}
    for desk in workbench.DESKS:
        # the broker lets the portal send the desk's commands and its actions' alone
        assert set(desk.commands) - {"pending_handoffs", "open_cases", "running_clocks", "case_clocks",
                                     "accept_handoff", "return_handoff"} == {a.command for a in desk.actions}
    for desk in workbench.DESKS:
        # each action is some workbench role's to take, and its fields are the command's parameters
        assert all(any(may(r, desk.service, a.command) for r, d in workbench.DESK_OF_ROLE.items()
                       if d is desk) for a in desk.actions)
        for a in desk.actions:
            command = getattr(SERVICE_LAYERS[desk.service], a.command)
            parameters = set(inspect.signature(command).parameters) - {"self", "uow", "case_id"}
            sent = {f.name for f in a.fields} | {"amount" for f in a.fields if f.kind == "items"}
            assert sent | set(a.fixed) <= parameters, (desk.service, a.command)


def test_actions_are_offered_by_the_cases_state() -> None:
    assert [a.name for a in workbench.offered(workbench.COURTS, "in_court")] == [
        "ruling", "payment_order", "objection", "compliance", "enforce"]
    assert [a.name for a in workbench.offered(workbench.COURTS, "enforcing")] == ["enforced"]
    assert [a.name for a in workbench.offered(workbench.MEDIATION, "agreement_reached")] == ["payment", "unpaid"]
    assert workbench.offered(workbench.LEGAL_AID, "requested") == []


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

class FakeAgency:
    """An agency's RPC as the workbench reaches it: records each call with the token it bore
    (keyword arguments last, as a dict)."""

    def __init__(self, service: str = "mediation") -> None:
        self.service = service
        self.calls: list[tuple[str, str, tuple]] = []
        self.refuse: dict[str, RemoteError] = {}
        self.handoffs = [handoff("h1", "LD-1", 3), handoff("h2", "LD-2", 30)]
        self.cases = [case("LD-7", 50), case("LD-8", 40)]
        self.clocks = [clock("LD-7", 200), clock("LD-8", -1)]
        self.beyond_the_running_list: list[dict[str, Any]] = []  # case_clocks has them, running_clocks not

    def call(self, token: str, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        assert service == self.service
        self.calls.append((token, method, (*args, kwargs) if kwargs else args))
        if method in self.refuse:
            raise self.refuse[method]
        if method == "case_clocks":
            return [c for c in self.clocks + self.beyond_the_running_list if c["case_id"] == args[0]]
        return {"pending_handoffs": self.handoffs, "open_cases": self.cases,
                "running_clocks": self.clocks}.get(method, {})

    def forget(self, token: str) -> None:
        self.calls.append((token, "forget", ()))


def workbench_client(tmp_path: Path, role: str = "mediator",
                     service: str = "mediation") -> tuple[Client, FakeAgency, str]:
    mediation = FakeAgency(service)
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
                 staff_calls=FakeAgency(), sign_in=DevelopmentSignIn(DevelopmentIssuer(tmp_path)))  # type: ignore[arg-type]
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
    assert sent == [("LD-7", {"amount": "8200", "pay_by": "2026-12-31"})]


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

    def down(*args: Any, **kwargs: Any) -> Any:
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


def workbench_msgids() -> list[str]:
    """Every message the workbench's code and its pages' templates may show."""
    words = [*workbench.SESSION_MODE_WORDS.values(), *labels.STAFF_ROLE.values(),
             *labels.AID_STATE.values(), *labels.PURPOSE.values(), EXPIRED, UNREACHABLE, NOT_YOURS,
             "Your role may not do this.", "Please choose what to do.", "No open case with this number here.",
             workbench.AMOUNT_ERROR, workbench.TOO_LONG, *workbench.MISSING.values()]
    for desk in workbench.DESKS:
        words += [desk.title, *desk.return_reasons.values()]
        for a in desk.actions:
            words += [a.title, a.button]
            for f in a.fields:
                words += [f.label, *f.choices.values()]
                words += list(workbench.read_action(a, {f.name: "x" * 501, f"{f.name}.unpaid_wages": "x"},
                                                    TODAY).errors.values())
    words += list(read(workbench.MEDIATION, "agreement", {"amount": "1", "pay_by": "2020-01-01"}).errors.values())
    words += list(read(workbench.ARBITRATION, "award", {}).errors.values())
    words += list(read(workbench.ARBITRATION, "panel", {"members": ",".join("abcdef")}).errors.values())
    words += list(workbench.read_return({"reason": "x", "detail": "x" * 501}).errors.values())
    words += list(workbench.read_return({"reason": "other"}).errors.values())
    for refused in (("x", "mediator", STATION), ("li.ming", "x", None), ("li.ming", "mediator", None)):
        try:
            DevelopmentSignIn(None)(*refused)  # type: ignore[arg-type]
        except SignInRefused as error:
            words.append(str(error))
    for page in Path(workbench.__file__).with_name("templates").glob("staff_*.html"):
        words += re.findall(r'_\("([^"]+)"\)', page.read_text())
    return words


def test_every_workbench_message_has_a_chinese_translation() -> None:
    zh = i18n.translations("zh")
    assert not [w for w in workbench_msgids() if zh.gettext(w) == w]


def test_a_case_no_longer_in_mediation_offers_no_records(tmp_path: Path) -> None:
    client, mediation, _ = workbench_client(tmp_path)
    mediation.cases = [case("LD-7", 50, state="agreement_reached")]
    page = client.get("/staff/cases/LD-7?lang=en").get_data(as_text=True)
    assert "LD-7" in page and "Record the agreement" not in page and "Record the session" not in page
    assert client.get("/staff/cases/LD-99?lang=en").status_code == 404
    moved_on = client.get("/staff/cases/LD-99?lang=en&done=unpaid")  # handed on by the action just taken
    assert moved_on.status_code == 200 and "The case is no longer open here." in moved_on.get_data(as_text=True)


def test_a_court_clerk_signs_in_without_a_station_and_works_the_courts_desk(tmp_path: Path) -> None:
    client, courts, csrf = workbench_client(tmp_path, "court_clerk", "courts_bridge")
    courts.handoffs = [{**handoff("h9", "LD-9", 2, to_unit=None), "purpose": "judicial_confirmation"}]
    courts.cases = [{**case("LD-7", 50, station=None, state="in_court"), "sessions": None}]
    queue = client.get("/staff?lang=en").get_data(as_text=True)
    assert "LD-9" in queue and "Judicial confirmation of a mediation agreement" in queue
    member = member_of(client.get_cookie(STAFF_COOKIE, path="/staff").value)  # type: ignore[union-attr]
    assert member is not None and member.station is None  # the station chosen is not a clerk's
    page = client.get("/staff/cases/LD-7?lang=en").get_data(as_text=True)
    assert "Enter the ruling" in page and "Record the session" not in page and "sessions held" not in page
    bad = client.post("/staff/cases/LD-7?lang=en", data={"csrf": csrf, "action": "ruling", "amount": "3000"})
    assert bad.status_code == 400 and "Please choose one." in bad.get_data(as_text=True)
    good = client.post("/staff/cases/LD-7", data={"csrf": csrf, "action": "ruling", "ruling": "confirmed",
                                                  "amount": "3000"})
    assert good.status_code == 303 and "done=ruling" in good.headers["Location"]
    assert [a for _, m, a in courts.calls if m == "enter_ruling"] == [
        ("LD-7", {"ruling": "confirmed", "amount": "3000"})]
    returned = client.post("/staff/handoffs/h9", data={"csrf": csrf, "action": "return",
                                                       "reason": "out_of_time", "detail": "applied late"})
    assert returned.status_code == 303
    assert ("h9", "out_of_time: applied late") in [a for _, m, a in courts.calls if m == "return_handoff"]


def test_a_legal_aid_officer_grants_aid_on_an_application_under_review(tmp_path: Path) -> None:
    client, aid, csrf = workbench_client(tmp_path, "legal_aid_officer", "legal_aid")
    aid.cases = [{"case_id": "LD-5", "state": "under_review", "received_at": at(-5)}]
    page = client.get("/staff/cases/LD-5?lang=zh").get_data(as_text=True)
    zh = i18n.translations("zh")
    assert zh.gettext("Grant legal aid") in page and zh.gettext("Application under review.") in page
    reply = client.post("/staff/cases/LD-5", data={"csrf": csrf, "action": "grant", "hardship_shown": "yes"})
    assert reply.status_code == 303
    assert [a for _, m, a in aid.calls if m == "decide"] == [
        ("LD-5", {"hardship_shown": True, "exempt_group": None})]


def test_an_arbitrator_cannot_take_a_mediators_action(tmp_path: Path) -> None:
    client, arbitration, csrf = workbench_client(tmp_path, "arbitrator", "arbitration")
    arbitration.cases = [case("LD-7", 50, station=None, state="in_mediation")]
    reply = client.post("/staff/cases/LD-7", data={"csrf": csrf, "action": "agreement", "amount": "1",
                                                   "pay_by": "2026-12-31"})
    assert reply.status_code == 400 and not [m for _, m, _ in arbitration.calls if m.startswith("record")]


def test_a_case_of_another_station_refused_by_mediation_says_so(tmp_path: Path) -> None:
    client, mediation, csrf = workbench_client(tmp_path)
    mediation.refuse["record_session"] = RemoteError("Forbidden", "station: case LD-7 is not at the station")
    reply = client.post("/staff/cases/LD-7?lang=zh", data={"csrf": csrf, "action": "session", "mode": "video"})
    assert reply.status_code == 409
    assert i18n.translations("zh").gettext(NOT_YOURS) in reply.get_data(as_text=True)


def test_a_cases_page_shows_its_deadline_though_the_agencys_running_list_stops_before_it(tmp_path: Path) -> None:
    """``running_clocks`` gives the agency's soonest deadlines, so many at most: a case's page
    reads the case's own clocks."""
    client, mediation, _ = workbench_client(tmp_path, "mediator")
    mediation.cases.append(case("LD-9", 10))
    mediation.beyond_the_running_list = [clock("LD-9", 24 * 40), clock("LD-9", -5, status="stopped")]
    page = client.get("/staff/cases/LD-9?lang=en").get_data(as_text=True)
    assert at(24 * 40)[:10] in page and "Deadline breached" not in page  # the ended one is not shown
    assert ("case_clocks", ("LD-9",)) in [(method, args) for _, method, args in mediation.calls]
