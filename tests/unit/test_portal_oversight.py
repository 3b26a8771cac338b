"""The operator's and auditor's pages without a browser or broker: the wait chart's geometry from
the trail's figures, durations in words, each page rendered from a fake trail that checks the
caller's role from the roles table as the trail service does, refusals, the verification."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from werkzeug.test import Client

from disputes_shared.identity.development import DevelopmentIssuer
from disputes_shared.identity.roles import may
from portal import i18n, oversight
from portal.app import Portal
from portal.oversight_pages import NO_TRAIL, NOT_ANSWERING
from portal.staff import STAFF_COOKIE, DevelopmentSignIn, member_of

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
STATION = "ind-fooddelivery-wuhou"
CASE = "LD-20261201-0000000007"


def pair(source: str, target: str, p50: float | None, p95: float | None, handoffs: int = 4) -> dict[str, Any]:
    return {"from_agency": source, "to_agency": target, "handoffs": handoffs, "accepted": handoffs - 1,
            "returned": 1, "pending": 0, "wait_p50_seconds": p50, "wait_p95_seconds": p95,
            "wait_p99_seconds": p95, "wait_max_seconds": p95}


# The trail's figures as handoff_summary gives them: its pairs already slowest p95 first.
SUMMARY = {
    "pairs": [pair("mediation", "arbitration", 3 * 3600, 30 * 3600), pair("intake", "mediation", 600, 5400),
              pair("legal_aid", "courts", None, None, 1)],
    "backlog": [{"agency": "arbitration", "pending": 3, "oldest_age_seconds": 2 * 86400}],
    "bounced_count": 1,
    "bounced_cases": [CASE],
    "bounces": [{"case_id": CASE, "returns": 2, "path": [
        {"from_agency": "mediation", "to_agency": "intake", "unit": STATION, "purpose": "mediation",
         "reason": "not_this_station: wrong district", "returned_at": NOW.isoformat()},
        {"from_agency": "arbitration", "to_agency": "intake", "unit": None, "purpose": "arbitration",
         "reason": "missing_facts", "returned_at": NOW.isoformat()}]}],
    "work": [],
}


def entry(entry_id: int, event_type: str, agency: str, role: str, actor: str | None = None,
          waited: float | None = None, rule: str | None = None) -> dict[str, Any]:
    return {"entry_id": entry_id, "at": NOW.isoformat(), "agency": agency, "role": role, "actor": actor,
            "event_type": event_type, "move": event_type, "event_id": f"e{entry_id}", "causation_id": None,
            "rule": rule, "waited_seconds": waited, "worked_seconds": None, "details": {}}


TRAIL = {"case_id": CASE, "state": "in_mediation", "aid_state": "none", "opened_at": NOW.isoformat(),
         "closed_at": None, "outcome": None, "amount_recovered": None, "returns": 0, "bounced": False,
         "anomalies": [], "handoffs": [], "entries": [
             entry(3, "case.filed", "intake", "worker"),
             entry(4, "case.triaged", "intake", "system", rule="industry_station"),
             entry(9, "handoff.accepted", "mediation", "station_admin", "wang.desk", waited=7200)]}
INTACT = {"intact": True, "entries": 40, "checkpoints": 5, "first_bad_entry": None, "problem": None,
          "unattested_entries": 2, "last_checkpoint": {"entry_id": 38, "entries": 38,
                                                       "signed_at": NOW.isoformat()}}


class FakeTrail:
    """The trail's RPC as the portal reaches it with a person's token: the role checked against
    the roles table, as the service's entrypoint checks it; every call recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, tuple]] = []
        self.verdict: dict[str, Any] | Exception = INTACT
        self.summary: dict[str, Any] = SUMMARY

    def call(self, token: str, service: str, method: str, *args: Any) -> Any:
        member = member_of(token, NOW.timestamp())
        assert member is not None
        self.calls.append((member.subject, service, method, args))
        if not may(member.role, service, method):
            raise RemoteError("Forbidden", f"role: {member.role} may not call {service}.{method}")
        if method == "handoff_summary":
            return self.summary
        if method == "trail":
            if args[0] != CASE:
                raise RemoteError("UnknownCase", f"no trail for case {args[0]}")
            return TRAIL
        if method == "verify":
            if isinstance(self.verdict, Exception):
                raise self.verdict
            return self.verdict
        raise AssertionError(method)

    def forget(self, token: str) -> None:
        pass


def signed_in(tmp_path: Path, role: str, name: str = "zhao.li") -> tuple[Client, FakeTrail]:
    trail = FakeTrail()
    app = Portal("http://intake", trail=lambda case_id: None, secret=b"k" * 32, staff_calls=trail,  # type: ignore[arg-type]
                 sign_in=DevelopmentSignIn(DevelopmentIssuer(tmp_path)), now=lambda: NOW)
    client = Client(app)
    page = client.get("/staff/signin?lang=en").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    signed = client.post("/staff/signin?lang=en", data={"csrf": csrf, "name": name, "role": role,
                                                         "station": STATION})
    assert signed.status_code == 303
    return client, trail


# --- the chart's geometry -----------------------------------------------------------------------

def test_the_chart_keeps_the_trails_order_and_draws_each_wait_to_scale() -> None:
    chart = oversight.wait_chart(SUMMARY["pairs"])
    assert [(b.from_agency, b.to_agency) for b in chart.bars] == [
        ("mediation", "arbitration"), ("intake", "mediation"), ("legal_aid", "courts")]
    end = chart.ticks[-1].seconds
    assert end >= 30 * 3600 and chart.ticks[0].x == chart.left and chart.ticks[0].seconds == 0
    assert chart.ticks[-1].x == pytest.approx(chart.left + chart.plot_width)
    slowest, faster, unanswered = chart.bars
    assert slowest.p95_width == pytest.approx(chart.plot_width * 30 * 3600 / end, abs=0.01)
    assert slowest.p50_width == pytest.approx(slowest.p95_width / 10, abs=0.01)  # 3 h of 30 h
    assert faster.p95_width == pytest.approx(slowest.p95_width * 5400 / (30 * 3600), abs=0.01)
    assert unanswered.p95_width == unanswered.p50_width == 0 and unanswered.p95_seconds is None
    assert [b.bar_y for b in chart.bars] == sorted(b.bar_y for b in chart.bars)  # one row each, top down
    assert all(b.bar_y < chart.axis_y < chart.height for b in chart.bars)


@pytest.mark.parametrize("longest", [0.0, 0.4, 7.0, 59.0, 90.0, 150.0, 5000.0, 7200.0, 129600.0,
                                     3 * 86400.0, 45 * 86400.0, 2000 * 86400.0])
def test_the_scale_ends_on_a_round_step_just_past_the_longest_wait(longest: float) -> None:
    end, step = oversight.scale_end(longest)
    assert end >= longest and math.ceil(longest / step) <= oversight.TICKS
    assert end / step == round(end / step) and end - step < max(longest, 1e-9)
    ticks = oversight.wait_chart([pair("a", "b", longest / 2, longest)]).ticks
    assert [t.seconds for t in ticks] == [n * step for n in range(len(ticks))]
    assert all(t.words.amount.isdigit() for t in ticks)  # whole units on the axis


@pytest.mark.parametrize(("seconds", "amount", "unit"), [
    (0.4, "0.4", "%(n)s s"), (59, "59", "%(n)s s"), (150, "2.5", "%(n)s min"), (5000, "83", "%(n)s min"),
    (7200, "2", "%(n)s h"), (129600, "36", "%(n)s h"), (3 * 86400, "3", "%(n)s d")])
def test_durations_in_the_unit_a_person_reads_them_in(seconds: float, amount: str, unit: str) -> None:
    assert oversight.duration(seconds) == oversight.Duration(amount, unit)


# --- the operator's page ----------------------------------------------------------------------

def test_the_operator_lands_on_the_bottleneck_view_drawn_from_the_trails_figures(tmp_path: Path) -> None:
    client, trail = signed_in(tmp_path, "operator")
    landing = client.get("/staff?lang=en")
    assert landing.status_code == 303 and landing.headers["Location"].startswith("/staff/operator")
    reply = client.get("/staff/operator?lang=en")
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert trail.calls == [("zhao.li", "trail", "handoff_summary", ())]  # the person's own call
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    assert "<title id=\"chart-title\">" in svg and "<desc id=\"chart-desc\">" in svg
    assert svg.index('data-from="mediation" data-to="arbitration"') < svg.index('data-from="intake"')
    assert "none answered yet" in svg and "30 h" in svg  # p95 of the slowest pair, beside its bar
    table = page[page.index('<table id="pairs"'):]
    assert table.index("pair-mediation-arbitration") < table.index("pair-intake-mediation")
    assert 'id="backlog-arbitration"' in page and "2 d" in page  # oldest waiting two days
    assert CASE in page and "wrong district" in page
    assert f'href="/staff/audit/cases/{CASE}' not in page  # an operator reads no case's trail
    assert "Case trails" not in page and "Work queue" not in page


def test_the_bounced_cases_are_counted_all_and_the_page_says_which_it_lists(tmp_path: Path) -> None:
    client, trail = signed_in(tmp_path, "operator")
    page = client.get("/staff/operator?lang=en").get_data(as_text=True)
    assert "Bounced cases (推诿扯皮) (1)" in page and "returned last are listed" not in page
    trail.summary = {**SUMMARY, "bounced_count": 31_000}  # the trail lists the latest it keeps
    page = client.get("/staff/operator?lang=en").get_data(as_text=True)
    assert "Bounced cases (推诿扯皮) (31000)" in page
    assert "The 1 returned last are listed, the latest first." in page and CASE in page


def test_an_auditor_sees_the_bottlenecks_too_with_links_to_bounced_cases_trails(tmp_path: Path) -> None:
    client, _ = signed_in(tmp_path, "auditor")
    page = client.get("/staff/operator?lang=en").get_data(as_text=True)
    assert f'href="/staff/audit/cases/{CASE}?lang=en"' in page and "Case trails" in page


@pytest.mark.parametrize("path", ["/staff/operator", f"/staff/audit/cases/{CASE}"])
def test_a_mediator_is_refused_by_the_trail_and_shown_no_figures(tmp_path: Path, path: str) -> None:
    client, trail = signed_in(tmp_path, "mediator")
    reply = client.get(f"{path}?lang=en")
    assert reply.status_code == 403
    page = reply.get_data(as_text=True)
    assert "Your role may not do this." in page
    assert "wait-chart" not in page and "wang.desk" not in page and "Verified" not in page
    assert [method for _, _, method, _ in trail.calls] in (["handoff_summary"], ["trail"])


@pytest.mark.parametrize("path", ["/staff/operator", "/staff/audit", f"/staff/audit/cases/{CASE}"])
def test_without_a_staff_session_a_worker_is_sent_to_sign_in(tmp_path: Path, path: str) -> None:
    client = Client(Portal("http://intake", trail=lambda case_id: None, secret=b"k" * 32,
                           staff_calls=FakeTrail(),  # type: ignore[arg-type]
                           sign_in=DevelopmentSignIn(DevelopmentIssuer(tmp_path))))
    client.set_cookie(f"case-{CASE}", "ABCDEFGHJK")  # a worker's own case code opens no staff page
    reply = client.get(path)
    assert reply.status_code == 303 and reply.headers["Location"].startswith("/staff/signin")


# --- the auditor's page -----------------------------------------------------------------------

def test_an_auditor_reads_a_cases_trail_verified_and_the_reading_is_their_own(tmp_path: Path) -> None:
    client, trail = signed_in(tmp_path, "auditor", "zhao.audit")
    assert client.get("/staff?lang=en").headers["Location"].startswith("/staff/audit")
    opened = client.get(f"/staff/audit?case_id=+{CASE}+&lang=en")
    assert opened.status_code == 303 and opened.headers["Location"] == f"/staff/audit/cases/{CASE}?lang=en"
    reply = client.get(f"/staff/audit/cases/{CASE}?lang=en")
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    # Read as the person (the trail records them as its reader), then verified as disputes verify does.
    assert trail.calls == [("zhao.audit", "trail", "trail", (CASE,)), ("zhao.audit", "trail", "verify", ())]
    assert 'id="verification-status" data-intact="true"' in page and "Verified" in page
    assert "40 entries on the whole trail; 5 signed checkpoints, the last at entry 38 (2026-12-04 17:00:00)" in page
    assert "under your name (zhao.audit, Auditor)" in page
    rows = re.findall(r'<tr id="entry-(\d+)"', page)
    assert rows == ["3", "4", "9"]
    assert "wang.desk" in page and "station_admin" in page and "industry_station" in page and "2 h" in page
    assert 'class="bad"' not in page


def test_a_broken_chain_names_the_first_bad_entry_and_marks_it_when_it_is_this_cases(tmp_path: Path) -> None:
    client, trail = signed_in(tmp_path, "auditor")
    trail.verdict = {**INTACT, "intact": False, "first_bad_entry": 4, "last_checkpoint": None,
                     "problem": "its content does not match its hash (altered)"}
    page = client.get(f"/staff/audit/cases/{CASE}?lang=en").get_data(as_text=True)
    assert 'data-intact="false"' in page and "First entry that does not match: 4." in page
    assert "(altered)" in page and "It is one of this case's entries" in page.replace("&#39;", "'")
    assert re.search(r'<tr id="entry-4" class="bad">', page)
    trail.verdict = {**trail.verdict, "first_bad_entry": 2}
    page = client.get(f"/staff/audit/cases/{CASE}?lang=en").get_data(as_text=True)
    assert "another case's entry" in page.replace("&#39;", "'") and 'class="bad"' not in page


def test_an_unknown_case_is_not_found_and_a_failed_verification_still_shows_the_trail(tmp_path: Path) -> None:
    client, trail = signed_in(tmp_path, "auditor")
    missing = client.get("/staff/audit/cases/LD-0?lang=en")
    assert missing.status_code == 404 and NO_TRAIL in missing.get_data(as_text=True)
    trail.verdict = OSError("connection refused")
    page = client.get(f"/staff/audit/cases/{CASE}?lang=en").get_data(as_text=True)
    assert "could not be verified just now" in page and 'id="entry-9"' in page


def test_the_trail_not_answering_says_so(tmp_path: Path) -> None:
    client, trail = signed_in(tmp_path, "operator")

    def down(*args: Any) -> Any:
        raise OSError("connection refused")
    trail.call = down  # type: ignore[method-assign]
    reply = client.get("/staff/operator?lang=en")
    assert reply.status_code == 503 and NOT_ANSWERING in reply.get_data(as_text=True)


def test_the_pages_speak_chinese_by_default(tmp_path: Path) -> None:
    client, _ = signed_in(tmp_path, "auditor")
    zh = i18n.translations("zh")
    operator = client.get("/staff/operator?lang=zh").get_data(as_text=True)
    assert zh.gettext("Handoff bottlenecks") in operator and "30小时" in operator
    audit = client.get(f"/staff/audit/cases/{CASE}?lang=zh").get_data(as_text=True)
    assert zh.gettext("Verified: the chain of entries is intact, and every entry and checkpoint is "
                      "signed with the trail's key.") in audit.replace("&#39;", "'")


def test_every_oversight_message_has_a_chinese_translation() -> None:
    from portal import labels
    zh = i18n.translations("zh")
    words = [*oversight.every_msgid(), NO_TRAIL, NOT_ANSWERING, labels.STAFF_ROLE["operator"],
             labels.STAFF_ROLE["auditor"]]
    assert not [w for w in words if zh.gettext(w) == w]


def test_a_session_cookie_is_kept_for_the_staff_pages_only(tmp_path: Path) -> None:
    client, _ = signed_in(tmp_path, "operator")
    cookie = client.get_cookie(STAFF_COOKIE, path="/staff")
    assert cookie is not None and member_of(cookie.value).role == "operator"  # type: ignore[union-attr]
