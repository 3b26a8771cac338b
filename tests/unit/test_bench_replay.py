"""The replay benchmark's arithmetic and its event-driven staff, without a platform."""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import pytest

from bench.replay import parse_args
from bench.replay_driver import RETRY_DELAYS, Phase, ReplayDriver, fresh_view
from bench.replay_figures import (
    RateSearch,
    bucket_delta,
    cpu_ms_per_delivery,
    extrapolated_seconds,
    percentiles_ms,
    quantile,
    render,
    replica_split,
    summed_per_service,
)
from disputes_cli.synthetic import planned_cases

INF = math.inf


def test_a_quantile_is_interpolated_inside_its_bucket():
    buckets = {0.01: 50.0, 0.02: 90.0, 0.05: 100.0, INF: 100.0}
    assert quantile(buckets, 0.5) == pytest.approx(0.01)
    assert quantile(buckets, 0.7) == pytest.approx(0.015)
    assert quantile(buckets, 0.95) == pytest.approx(0.035)
    assert quantile(buckets, 0.25) == pytest.approx(0.005)  # the first bucket starts at 0


def test_a_quantile_beyond_the_last_bound_is_that_bound_and_an_empty_histogram_has_none():
    assert quantile({0.1: 90.0, INF: 100.0}, 0.99) == 0.1
    assert quantile({0.1: 0.0, INF: 0.0}, 0.5) is None
    assert quantile({}, 0.5) is None


def test_percentiles_are_taken_over_the_interval_between_two_scrapes_in_milliseconds():
    before = {0.01: 100.0, 0.1: 100.0, INF: 100.0}
    after = {0.01: 100.0, 0.1: 200.0, INF: 200.0}  # every new one between 10 and 100 ms
    interval = bucket_delta(after, before)
    assert interval == {0.01: 0.0, 0.1: 100.0, INF: 100.0}
    assert percentiles_ms(interval) == {"p50": 55.0, "p95": 95.5, "p99": 99.1}


def test_the_rate_search_doubles_the_cases_in_flight_while_the_rate_grows():
    search = RateSearch(ladder=(2, 4, 8, 16))
    assert search.next_concurrency() == 2
    search.record(2, 3.0)
    assert search.next_concurrency() == 4
    search.record(4, 5.0)
    assert search.next_concurrency() == 8
    search.record(8, 5.2)  # less than 10 % more: saturated
    assert search.next_concurrency() is None
    assert search.best == (8, 5.2)


def test_the_rate_search_keeps_the_best_step_when_the_last_one_fell_back_and_ends_with_its_ladder():
    search = RateSearch(ladder=(2, 4))
    search.record(2, 3.0)
    search.record(4, 2.0)
    assert search.next_concurrency() is None
    assert search.best == (2, 3.0)
    rising = RateSearch(ladder=(2, 4))
    rising.record(2, 1.0)
    rising.record(4, 4.0)
    assert rising.next_concurrency() is None


def test_a_closed_loop_step_is_timed_while_its_loop_was_full_not_while_it_filled_or_drained():
    # 4 in flight: the first ends at 10 s, then one ends (and one is filed) every 0.5 s until
    # the last filing at 20 s; the drain takes until 40 s.
    phase = Phase(deque(), concurrency=4)
    phase.filed = {f"start-{i}": 0.0 for i in range(4)} | {f"c-{i}": 10.0 + 0.5 * i for i in range(21)}
    phase.ended = {f"c-{i}": 10.0 + 0.5 * i for i in range(21)} | {f"end-{i}": 40.0 for i in range(4)}
    assert phase.steady_cases_per_second == pytest.approx(2.0)
    assert phase.cases_per_second == pytest.approx(25 / 40)


def test_a_nations_year_is_extrapolated_from_the_full_load_rate():
    assert extrapolated_seconds(4_000_000, 20.0) == 200_000.0
    assert extrapolated_seconds(4_000_000, None) is None


def test_cpu_per_delivery_shares_add_up_to_the_services_total_with_the_broker_apart():
    cpu = {"trail": 2.0, "intake": 1.0, "broker": 4.0, "bench driver": 9.0}
    figures = cpu_ms_per_delivery(cpu, ["trail", "intake"], 1000)
    assert figures == {"trail": 2.0, "intake": 1.0, "services total": 3.0, "broker": 4.0}
    assert cpu_ms_per_delivery(cpu, ["trail"], 0)["trail"] is None


def report() -> dict[str, Any]:
    return {
        "database": "SQLite", "seed": 1, "runtime_seconds": 90.0, "staff_errors": [],
        "search": {"steps": [(2, 3.0), (4, 5.5)], "best_concurrency": 4},
        "full_load": {"cases_filed": 300, "cases_ended": 300, "wall_seconds": 50.0,
                      "cases_per_second": 6.0, "events_per_second": 120.0,
                      "deliveries_per_second": 260.0, "events_published": 6000,
                      "deliveries_handled": 13000, "commands": 2400, "early_attempts": 80,
                      "machine_busy_fraction": 0.97,
                      "cpu_ms_per_delivery": {"trail": 1.0, "services total": 3.25, "broker": 1.1}},
        "half_load": {"cases_filed": 100, "cases_ended": 100, "filing_rate": 3.0,
                      "handoffs_delivered": 250,
                      "handoff_delivery_ms": {"p50": 20.0, "p95": 80.0, "p99": 140.0},
                      "outbox_delay_ms": {"p50": 7.5, "p95": 30.0, "p99": 60.0}},
        "peak_rss_mb": {"trail": 96.5},
        "cases": {"cases_filed": 440, "cases_closed": 440, "cases_as_expected": 438},
        "raw_kombu": {"confirmed": {"msgs_per_second": 400.0},
                      "unconfirmed": {"msgs_per_second": 2000.0}},
        "ratios": {"events_over_raw_unconfirmed": 0.06, "deliveries_over_raw_unconfirmed": 0.13,
                   "events_over_raw_confirmed": 0.3},
        "national_year_seconds": 4_000_000 / 6.0,
    }


def test_the_report_shows_every_figure_asked_for_in_one_table():
    text = render(report())
    rows = dict(tuple(cell.strip() for cell in line.strip("|").split("|"))
                for line in text.splitlines() if line.startswith("| "))
    assert rows["cases/s (full load)"] == "6.00"
    assert rows["events published/s"] == "120.0"
    assert rows["deliveries handled/s"] == "260.0"
    assert rows["service CPU ms per delivery, total"] == "3.25"
    assert rows["broker"] == "1.10"
    assert rows["handoff delivery p99 at half load, ms"] == "140.0"
    assert rows["outbox delay p95 at half load (commit to confirm, every event), ms"] == "30.0"
    assert rows["peak RSS trail, MB"] == "96.5"
    assert rows["raw kombu msgs/s, unconfirmed"] == "2,000.0"
    assert rows["events/s ÷ raw unconfirmed"] == "0.060"
    assert rows["4,000,000 cases at this rate"] == "185.2 h (7.7 days)"
    assert "438 as planned" in text


REPLICAS = {"trail": "trail", "trail-2": "trail", "intake": "intake", "intake-2": "intake"}


def test_a_services_cpu_and_memory_are_its_replicas_summed_and_other_processes_kept_apart():
    spent = {"trail": 1.25, "trail-2": 0.75, "intake": 0.5, "intake-2": None,
             "broker": 4.0, "machine busy fraction": 0.9}
    assert summed_per_service(spent, REPLICAS) == {"trail": 2.0, "intake": 0.5, "broker": 4.0,
                                                   "machine busy fraction": 0.9}
    assert summed_per_service({"trail": None, "trail-2": None}, REPLICAS) == {"trail": None}


def test_one_replica_per_service_leaves_the_figures_as_they_were():
    spent = {"trail": 1.25, "intake": 0.5, "broker": 4.0}
    assert summed_per_service(spent, {"trail": "trail", "intake": "intake"}) == spent


def test_the_split_shows_what_each_replica_handled_and_the_busiest_ones_share():
    before = {"trail": 100.0, "trail-2": 0.0, "intake": 10.0}
    after = {"trail": 400.0, "trail-2": 100.0, "intake": 40.0}  # intake-2 never handled one
    split = replica_split(before, after, REPLICAS)
    assert split["trail"] == {"by_replica": {"trail": 300, "trail-2": 100}, "busiest_share": 0.75}
    assert split["intake"] == {"by_replica": {"intake": 30, "intake-2": 0}, "busiest_share": 1.0}
    assert replica_split({}, {}, {"trail": "trail"})["trail"]["busiest_share"] is None


def test_the_report_lists_each_replicas_deliveries_when_services_have_several():
    shared = report() | {"replicas": 2}
    shared["full_load"] = shared["full_load"] | {"deliveries_by_replica": {
        "trail": {"by_replica": {"trail": 5200, "trail-2": 4800}, "busiest_share": 0.52,
                  "shards_handed_over": 2}}}
    assert "  trail: 5,200 / 4,800 (0.52; 2)" in render(shared).splitlines()
    assert "replica" not in render(report())


def test_replicas_are_refused_on_sqlite_whose_file_one_process_owns(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--replicas", "2"])
    assert "needs PostgreSQL" in capsys.readouterr().err
    assert parse_args(["--replicas", "2", "--database", "postgres"]).replicas == 2
    assert parse_args([]).replicas == 1


# -- the event-driven staff --------------------------------------------------------------------


class FakePlatform:
    """Answers commands from a script: a reply, or an exception for a command sent too early."""

    def __init__(self, replies: dict[str, list[Any]]) -> None:
        self.replies = replies
        self.sent: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = []

    def call_many(self, calls: list[Any]) -> list[Any]:
        self.sent += calls
        return [self.replies[method].pop(0) for _, method, _, _ in calls]


def driver_with_case(platform: FakePlatform, path: str) -> tuple[ReplayDriver, str]:
    driver = ReplayDriver(platform)  # type: ignore[arg-type]
    plan = next(p for p in planned_cases(200, 7) if p.path == path and not p.claim["legal_aid_requested"])
    driver.plans["LD-1"] = plan
    return driver, "LD-1"


def event(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"case_id": "LD-1", "event_type": kind, "payload": payload}


HANDOFF = {"handoff_id": "h-1", "from_agency": "intake", "to_agency": "mediation",
           "purpose": "mediation"}


def test_a_handoff_heard_of_is_accepted_at_once_and_tried_again_while_the_addressee_lacks_it(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("bench.replay_driver.time.monotonic", lambda: clock[0])
    platform = FakePlatform({"accept_handoff": [LookupError("no handoff h-1 to mediation"),
                                                {"case_id": "LD-1", "purpose": "mediation"}],
                             "record_session": []})
    driver, _ = driver_with_case(platform, "mediated_paid")
    driver.on_event(event("handoff.requested", HANDOFF))
    assert driver.act() == 1
    assert driver.counts["early_attempts"] == 1
    assert driver.act() == 0  # not due yet
    clock[0] += RETRY_DELAYS[0]
    assert driver.act() == 1
    # Accepted: the case is in mediation and nothing is done there yet, so the next act follows.
    assert [c.action[1] for c in driver.commands] == ["record_session"]
    assert driver.views["mediation", "LD-1"]["state"] == "in_mediation"


def test_a_reply_showing_the_case_leads_to_the_next_act_of_its_planned_path():
    platform = FakePlatform({"record_session": [{"case_id": "LD-1", "state": "in_mediation",
                                                 "sessions": 1}]})
    driver, case_id = driver_with_case(platform, "mediated_paid")
    driver.send(("mediation", "record_session", (case_id, "video"), {}))
    driver.act()
    assert [c.action[1] for c in driver.commands] == ["record_agreement"]


def test_a_refusal_by_arbitration_moves_the_mediation_case_and_the_worker_gives_up():
    driver, case_id = driver_with_case(FakePlatform({}), "arbitration_refused_closed")
    driver.views["mediation", case_id] = {"case_id": case_id, "state": "arbitration_requested"}
    driver.on_event(event("handoff.returned", {**HANDOFF, "from_agency": "mediation",
                                               "to_agency": "arbitration", "purpose": "arbitration"}))
    assert driver.views["mediation", case_id]["state"] == "arbitration_refused"
    assert [c.action[:3] for c in driver.commands] == [("mediation", "close", (case_id, "abandoned"))]


def test_a_case_ends_when_closed_and_its_legal_aid_is_answered():
    driver, case_id = driver_with_case(FakePlatform({}), "mediated_paid")
    driver.on_event(event("handoff.requested", {**HANDOFF, "to_agency": "legal_aid",
                                                "purpose": "legal_aid"}))
    driver.commands.clear()
    driver.on_event(event("case.closed", {}))
    assert case_id not in driver.ended
    driver.on_event(event("legal_aid.granted", {}))
    assert case_id in driver.ended


def test_events_of_a_case_whose_filing_has_not_answered_yet_wait_for_it():
    driver = ReplayDriver(FakePlatform({}))  # type: ignore[arg-type]
    driver.on_event(event("handoff.requested", HANDOFF))
    assert not driver.commands and driver.early["LD-1"]


@pytest.mark.parametrize(("purpose", "state"), [("mediation", "in_mediation"),
                                                ("legal_aid", "under_review"),
                                                ("enforcement", "in_court")])
def test_a_case_just_accepted_stands_where_the_lifecycle_puts_an_acceptance(purpose, state):
    assert fresh_view("LD-1", purpose)["state"] == state


def scraped(published: float, handled: dict[str, float], batches: dict[str, tuple[float, float]]) -> dict[str, Any]:
    return {
        "disputes_events_published_total": {"total": published},
        "disputes_events_handled_total": {"by_service": handled},
        "disputes_event_batch_size_count": {"by_service": {s: c for s, (c, _) in batches.items()}},
        "disputes_event_batch_size_sum": {"by_service": {s: n for s, (_, n) in batches.items()}},
    }


def test_the_catch_up_counts_each_followers_own_deliveries_cpu_and_mean_batch():
    from bench.replay import caught_up, per_own_delivery

    before = scraped(100, {"trail": 100, "analytics": 100, "mediation": 9}, {"trail": (100, 100), "analytics": (90, 100)})
    after = scraped(1100, {"trail": 1100, "analytics": 1100, "mediation": 50},
                    {"trail": (150, 1100), "analytics": (115, 1100)})
    full_load = per_own_delivery({"trail": 2.0, "analytics": 1.5}, before, after)
    assert full_load == {"trail": 2.0, "analytics": 1.5}  # CPU s over 1,000 own deliveries, in ms
    figures = caught_up(before, after, {"trail": 1.2, "analytics": 1.0, "mediation": 9.0}, 12.34, full_load)
    assert figures["backlog"] == {"trail": 1000, "analytics": 1000}
    assert figures["cpu_ms_per_own_delivery"] == {"trail": 1.2, "analytics": 1.0}
    assert figures["mean_batch"] == {"trail": 20.0, "analytics": 40.0}
    assert figures["drained_seconds"] == 12.3
    rows = dict(tuple(cell.strip() for cell in line.strip("|").split("|"))
                for line in render({**report(), "catch_up": figures}).splitlines() if line.startswith("| "))
    assert rows["catch-up: trail mean events per transaction"] == "20.0"
    assert rows["catch-up: backlog drained in, s"] == "12.3"
    assert rows["catch-up: analytics CPU ms per own delivery"] == "1.00"
    assert rows["full load: trail CPU ms per own delivery"] == "2.00"


def test_a_catch_up_phase_is_bounded_like_the_others():
    assert parse_args(["--catch-up-cases", "100"]).catch_up_cases == 100
    assert parse_args([]).catch_up_cases == 0
    with pytest.raises(SystemExit):
        parse_args(["--catch-up-cases", "6000"])
