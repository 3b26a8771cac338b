"""End to end: every service as its own process on a fresh vhost; hundreds of synthetic claims
through every path; each case must end where its path says, with the trail and handoffs to match.
Run twice: on SQLite files, and on a PostgreSQL database per service."""

from __future__ import annotations

import importlib
import json
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from disputes_cli.demo import run_demo
from disputes_cli.local import PROCESSES
from disputes_cli.platform import Platform
from disputes_cli.sandbox import sandbox_platform, scratch_postgres_databases
from disputes_cli.synthetic import PATHS, planned_cases
from disputes_shared.plumbing.config import SERVICE_NAMES, database_url
from disputes_shared.plumbing.engine import make_engine

from ..support.case_paths import AID_MOVES, EXPECTED_MOVES, FACTS
from ..support.command_line import disputes

CASES = 240
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_run(request):
    with ExitStack() as stack:
        database_urls = None
        if request.param == "postgresql":
            database_urls = stack.enter_context(
                scratch_postgres_databases(SERVICE_NAMES.values(), prefix="e2e"))
        env = stack.enter_context(sandbox_platform(database_urls=database_urls))
        with Platform() as platform:  # noqa: SIM117 - the platform must stay up after the client closes
            # Generous: a passing run ends as soon as every case has; the limit only stops a
            # stuck one, and a loaded machine must not fail it.
            summary = run_demo(platform, CASES, seed=7, timeout=900)
            trails = {c["case_id"]: platform.call("trail", "trail", c["case_id"]) for c in summary["cases"]}
        yield env, summary, trails


def test_every_path_is_exercised(demo_run):
    _, summary, _ = demo_run
    paths = Counter(c["path"] for c in summary["cases"])
    assert set(paths) == set(PATHS), f"paths not exercised: {set(PATHS) - set(paths)}"
    assert Counter(c["aid_state"] for c in summary["cases"]).keys() >= {"none", "granted", "refused"}


def test_every_case_ends_as_its_path_says(demo_run):
    _, summary, _ = demo_run
    assert summary["staff_errors"] == []
    wrong = [c for c in summary["cases"] if not c["as_expected"]]
    assert wrong == []
    assert summary["cases_closed"] == CASES


def test_every_trail_has_the_moves_of_its_path_in_order(demo_run):
    _, summary, trails = demo_run
    for case in summary["cases"]:
        trail = trails[case["case_id"]]
        # Facts recorded beside the moves (clocks, sessions, consultations...) are checked apart.
        moves = [e["move"] for e in trail["entries"] if e["move"] not in FACTS]
        main = [m for m in moves if "legal_aid" not in m]
        aid = [m for m in moves if "legal_aid" in m]
        assert main == EXPECTED_MOVES[case["path"]], case["case_id"]
        assert aid == AID_MOVES[case["expected_aid_state"]], case["case_id"]
        assert trail["anomalies"] == []


def test_urgent_cases_met_in_joint_consultation_and_mediators_were_paid_per_case(demo_run):
    _, summary, trails = demo_run
    urgent = 0
    for case in summary["cases"]:
        kinds = [e["event_type"] for e in trails[case["case_id"]]["entries"]]
        triaged = next(e for e in trails[case["case_id"]]["entries"] if e["event_type"] == "case.triaged")
        if triaged["details"]["urgent"]:
            urgent += 1
            assert kinds.count("consultation.convened") == kinds.count("consultation.held") == 1
        assert kinds.count("mediation.subsidy_assessed") == 1, case["case_id"]
        if triaged["details"]["relationship"] != "civil":  # art. 14's 15 days at the least
            assert "clock.started" in kinds, case["case_id"]
    assert urgent > 0


def test_every_statutory_clock_of_a_closed_case_has_ended(demo_run):
    _, summary, trails = demo_run
    for case in summary["cases"]:
        clocks: dict[str, list[str]] = {}
        for entry in trails[case["case_id"]]["entries"]:
            if entry["event_type"].startswith("clock."):
                clocks.setdefault(entry["details"]["clock_id"], []).append(entry["event_type"])
        assert all(events[-1] in ("clock.stopped", "clock.elapsed") for events in clocks.values()), case
        kinds = {e["details"]["kind"] for e in trails[case["case_id"]]["entries"]
                 if e["event_type"] == "clock.started"}
        if "handoff.requested:arbitration" in EXPECTED_MOVES[case["path"]]:
            assert "arbitration_acceptance" in kinds, case["case_id"]  # art. 29
        if "arbitration.awarded" in EXPECTED_MOVES[case["path"]]:
            assert {"award", "service_on_respondent", "panel_named"} <= kinds, case["case_id"]


def test_every_handoff_was_answered_and_its_wait_recorded(demo_run):
    _, summary, trails = demo_run
    for case in summary["cases"]:
        handoffs = trails[case["case_id"]]["handoffs"]
        requested = [e for e in trails[case["case_id"]]["entries"] if e["event_type"] == "handoff.requested"]
        assert len(handoffs) == len(requested)
        for handoff in handoffs:
            assert handoff["status"] in ("accepted", "returned")
            assert handoff["wait_seconds"] is not None and handoff["wait_seconds"] >= 0
    pairs = {(r["from_agency"], r["to_agency"]) for r in summary["handoffs"]["pairs"]}
    assert pairs == {("intake", "mediation"), ("intake", "legal_aid"), ("mediation", "arbitration"),
                     ("mediation", "courts"), ("arbitration", "courts")}
    assert summary["handoffs"]["backlog"] == []


def test_no_personal_data_reached_the_trail(demo_run):
    _, _, trails = demo_run
    text = repr(trails)
    for marker in ("id_number", "phone", "'worker':", "有限公司"):
        assert marker not in text


def test_the_command_line_shows_trails_handoffs_and_status(demo_run):
    env, summary, trails = demo_run
    returned = next(c for c in summary["cases"] if c["path"] == "station_returned_then_mediated")
    shown = disputes(env, "trail", returned["case_id"], "--json")
    assert shown.returncode == 0, shown.stderr
    read = json.loads(shown.stdout)["entries"]
    assert [e for e in read if e["event_type"] != "trail.accessed"] == trails[returned["case_id"]]["entries"]
    assert [e["details"]["role"] for e in read if e["event_type"] == "trail.accessed"] == ["auditor"]
    exported = disputes(env, "trail", returned["case_id"], "--csv").stdout.splitlines()
    assert exported[0].startswith("case_id,at,agency,role,event_type,move,rule,waited_seconds") and len(exported) == len(read) + 2
    text = disputes(env, "trail", returned["case_id"])
    assert "handoff.returned" in text.stdout and "station at capacity" in text.stdout
    handoffs = disputes(env, "handoffs", "--json")
    assert json.loads(handoffs.stdout)["pairs"] == summary["handoffs"]["pairs"]
    table = disputes(env, "handoffs").stdout
    assert "Handoff waits by agency pair" in table and "Backlog: none pending" in table
    status = disputes(env, "status")
    assert status.returncode == 0 and "not healthy" not in status.stdout
    assert status.stdout.count("healthy") == len(PROCESSES)  # the six services and the portal
    missing = disputes(env, "trail", "LD-NO-SUCH-CASE")
    assert missing.returncode == 1 and "no trail" in missing.stderr


def test_an_auditor_finds_the_trail_intact_from_its_database_and_public_key(demo_run):
    env, summary, trails = demo_run
    checked = disputes(env, "verify", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["intact"] and report["entries"] >= sum(len(t["entries"]) for t in trails.values())


# Every HTTP route the services serve, and a few they do not, on every port that serves: intake's
# API and each service's operations port.
SERVED_PORTS = [("intake", "HTTP")] + [(name, "OPS") for name in sorted(SERVICE_NAMES.values())]
ROUTES = ["/v1/claims", "/v1/claims/LD-NO-SUCH-CASE", "/metrics", "/health/live", "/health/ready",
          "/", "/v1/claims/%ff%fe", "/v2/claims"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(served=st.sampled_from(SERVED_PORTS),
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
       path=st.sampled_from(ROUTES) | st.text(max_size=30).map(lambda t: "/" + t)
       | st.text(max_size=30).map(lambda t: "/v1/claims/" + t),
       query=st.text(max_size=20), body=st.binary(max_size=200) | st.text(max_size=200),
       content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
def test_every_http_endpoint_answers_any_request_without_a_server_error(
        demo_run, served, method, path, query, body, content_type):
    """Property-based, against the running services: whatever arrives, a clear answer (2xx for
    what is served, 4xx for what is refused), never a 5xx, and the service keeps serving."""
    env, _, _ = demo_run
    service, port_kind = served
    port = env[f"DISPUTES_{service.upper()}_{port_kind}_PORT"]
    response = requests.request(method, f"http://127.0.0.1:{port}{path}", params={"q": query},
                                data=body, headers={"Content-Type": content_type}, timeout=30)
    assert response.status_code < 500, (service, method, path, response.status_code, response.text[:300])
    ops_port = env[f"DISPUTES_{service.upper()}_OPS_PORT"]
    assert requests.get(f"http://127.0.0.1:{ops_port}/health/live", timeout=30).status_code == 200


# Claims intake refuses, each carrying personal data where an error text could echo it: a valid
# ID number beside a phone that breaks the rule, a name beside a check character that does not
# match, the whole worker under a field intake does not know.
REFUSED_WORKERS = [
    {"name": "韩秀兰", "id_number": "510107198805061246", "phone": "139123456"},
    {"name": "邹建国", "id_number": "510107198805061250", "phone": "13912340077"},
]


def refused_claims() -> list[dict[str, Any]]:
    plan = planned_cases(1, seed=11)[0].claim
    return ([{**plan, "worker": worker} for worker in REFUSED_WORKERS]
            + [{**plan, "witness": REFUSED_WORKERS[1]}])


def stored_outboxes() -> str:
    """Every outbox row of every service, as its database holds it."""
    text = []
    for agency, service in SERVICE_NAMES.items():
        outbox = importlib.import_module(f"{service}.adapters").plumbing.outbox
        if outbox is None:
            continue
        engine = make_engine(database_url(agency))
        try:
            with engine.connect() as connection:
                text += [repr(tuple(row)) for row in connection.execute(select(outbox))]
        finally:
            engine.dispose()
    return "\n".join(text)


def test_no_personal_data_in_the_logs_the_error_texts_or_the_outboxes(demo_run):
    env, _, _ = demo_run
    planted = {value for plan in planned_cases(CASES, seed=7) for value in plan.claim["worker"].values()}
    planted |= {value for worker in REFUSED_WORKERS for value in worker.values()}
    intake = f"http://127.0.0.1:{env['DISPUTES_INTAKE_HTTP_PORT']}/v1/claims"
    for claim in refused_claims():
        answer = requests.post(intake, json=claim, timeout=30)
        assert answer.status_code == 400, answer.text
        assert not [value for value in planted if value in answer.text], answer.text
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in Path(env["DISPUTES_STATE_DIR"], "log").iterdir()}
    assert sum(len(text) for text in logs.values()) > 0
    found = {name: sorted(value for value in planted if value in text) for name, text in logs.items()}
    assert {name: values for name, values in found.items() if values} == {}
    outboxes = stored_outboxes()
    assert "handoff.dossier" in outboxes  # the scan reads the dossiers' rows
    assert sorted(value for value in planted if value in outboxes) == []


def stored_tables() -> dict[str, str]:
    """Every row of every table of every service's database, as stored, by service."""
    text: dict[str, str] = {}
    for agency, service in SERVICE_NAMES.items():
        metadata = importlib.import_module(f"{service}.adapters").metadata
        engine = make_engine(database_url(agency))
        try:
            with engine.connect() as connection:
                text[service] = "\n".join(repr(tuple(row)) for table in metadata.sorted_tables
                                          for row in connection.execute(select(table)))
        finally:
            engine.dispose()
    return text


def readable(body: bytes) -> str:
    """A JSON body with its escaped characters as text (a name may travel as \\uXXXX)."""
    try:
        return json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        return ""


def test_no_personal_data_in_the_clear_in_any_database_or_on_the_broker(demo_run):
    """PIPL art. 51: after a whole run, every table of every service holds the planted names, ID
    numbers and phones only sealed, and nothing lies on the broker: every inbox was drained, and
    the parking stream holds none of them in the clear."""
    from disputes_shared.contract.routing import SUBSCRIPTIONS
    from disputes_shared.plumbing.personal_data import SEALED_PREFIX

    from ..support.broker import inbox_of, queue_depth, read_parked
    from ..support.waiting import eventually

    env, _, _ = demo_run
    planted = {value for plan in planned_cases(CASES, seed=7) for value in plan.claim["worker"].values()}
    tables = stored_tables()
    assert SEALED_PREFIX in tables["mediation"]  # the scan reads the sealed dossiers' rows
    found = {service: sorted(v for v in planted if v in text) for service, text in tables.items()}
    assert {service: values for service, values in found.items() if values} == {}
    amqp = env["DISPUTES_AMQP_URI"]
    inboxes = [queue for agency in SUBSCRIPTIONS if agency in SERVICE_NAMES for queue in inbox_of(agency)]
    # Drained: the last events of a run (clocks stopping, the trail's readings) may still be on
    # their way when the demo returns.
    assert eventually(lambda: not any(queue_depth(amqp, queue) for queue in inboxes), timeout=60)
    parked = "\n".join(f"{m.headers!r} {m.body.decode('utf-8', 'replace')} {readable(m.body)}"
                       for m in read_parked(amqp, timeout=15.0))
    assert sorted(v for v in planted if v in parked) == []


def test_the_replay_drives_cases_to_their_planned_end_from_events_alone(demo_run):
    """``bench.replay``'s driver lists no desk: it acts on the events of its own queue and on
    the agencies' replies; every case still ends as planned, and every handoff's delivery is
    timed by its addressee (the latency the replay reports)."""
    from collections import deque

    from bench.measure import scrape_metrics
    from bench.replay_driver import Phase, ReplayDriver

    env, _, _ = demo_run
    delivered = "disputes_handoff_delivery_seconds_count"
    before = scrape_metrics(env)[delivered]["total"]
    with Platform() as platform:
        driver = ReplayDriver(platform, seed=11)
        try:
            driver.subscribe(env["DISPUTES_AMQP_URI"])
            phase = driver.run(Phase(deque(planned_cases(12, seed=11)), concurrency=4), timeout=300)
        finally:
            driver.close()
        summary = driver.outcomes()
    assert driver.errors == []
    assert len(phase.ended) == 12
    wrong = [c for c in summary["cases"] if not c["as_expected"]]
    assert wrong == []
    assert scrape_metrics(env)[delivered]["total"] - before >= 12  # one handoff a case at least
