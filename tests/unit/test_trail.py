"""The trail: replaying a case's entries through the table, and the handoff bottleneck view."""

from __future__ import annotations

import random
import statistics
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.handoff import Handoff, HandoffStatus
from disputes_shared.contract.lifecycle import UnknownCase
from disputes_shared.contract.payloads import PersonalDataRefused
from trail.domain import (
    BOUNCES_LISTED,
    WAIT_PERCENTILES,
    TrailEntry,
    acting_person,
    entry_move,
    handoff_from_event,
    handoff_table,
    ranked,
    summarise,
)
from trail.handlers import Trail

from ..support.examples import AT, WORKER, delivered, envelope, example_payloads, handoff_payload
from .helpers import deliver

TRAIL = Trail(Ed25519PrivateKey.generate().sign)


def at(minutes: float) -> datetime:
    return AT + timedelta(minutes=minutes)


def entry(n: int, event_type: str, minutes: float, purpose: str | None = None,
          **payload: Any) -> TrailEntry:
    if purpose:
        payload["purpose"] = purpose
    return TrailEntry(event_id=f"e{n}", case_id="LD-1", event_type=event_type,
                      move=entry_move(event_type, payload), source_agency="intake",
                      occurred_at=at(minutes), recorded_at=at(100 + n), payload=payload, id=n)


MEDIATED = [
    entry(1, "case.filed", 0),
    entry(2, "case.triaged", 0),
    entry(3, "handoff.requested", 0, "mediation"),
    entry(4, "handoff.returned", 30, "mediation"),
    entry(5, "handoff.requested", 31, "mediation"),
    entry(6, "handoff.requested", 31, "legal_aid"),
    entry(7, "handoff.accepted", 60, "mediation"),
    entry(8, "handoff.accepted", 61, "legal_aid"),
    entry(9, "legal_aid.granted", 70),
    entry(10, "mediation.agreement_reached", 600),
    entry(11, "case.closed", 1440, outcome="mediated", amount_recovered="2560.00"),
]


def test_summarise_replays_a_case_to_where_it_ended():
    summary = summarise("LD-1", MEDIATED)
    assert (summary.state, summary.aid_state) == ("closed", "granted")
    assert (summary.opened_at, summary.last_event_at, summary.closed_at) == (at(0), at(1440), at(1440))
    assert (summary.outcome, summary.amount_recovered) == ("mediated", "2560.00")
    assert (summary.returns, summary.anomalies) == (1, [])


def test_entries_that_arrive_out_of_order_are_replayed_in_the_order_they_happened():
    arrived = [MEDIATED[i] for i in (10, 6, 0, 8, 3, 1, 9, 4, 2, 7, 5)]
    arrived = [TrailEntry(**{**e.__dict__, "id": n}) for n, e in enumerate(arrived)]  # arrival order
    summary = summarise("LD-1", arrived)
    assert (summary.state, summary.aid_state, summary.anomalies) == ("closed", "granted", [])
    assert summary.opened_at == at(0)


def test_entries_of_the_same_moment_keep_their_arrival_order():
    same_moment = [entry(1, "case.filed", 0), entry(2, "case.triaged", 0),
                   entry(3, "handoff.requested", 0, "mediation")]
    assert summarise("LD-1", same_moment).state == "mediation_requested"


def test_a_move_the_table_refuses_is_kept_as_an_anomaly_and_the_replay_goes_on():
    entries = [entry(1, "case.filed", 0), entry(2, "case.triaged", 1),
               entry(3, "mediation.agreement_reached", 2),  # before any mediation
               entry(4, "handoff.requested", 3, "mediation")]
    summary = summarise("LD-1", entries)
    (anomaly,) = summary.anomalies
    assert anomaly.startswith("e3: ") and "mediation.agreement_reached" in anomaly and "triaged" in anomaly
    assert summary.state == "mediation_requested"


def test_every_move_after_closure_is_an_anomaly():
    entries = [*MEDIATED, entry(12, "court.enforcement_started", 2000), entry(13, "case.closed", 2001)]
    summary = summarise("LD-1", entries)
    assert [a.split(":")[0] for a in summary.anomalies] == ["e12", "e13"]


def test_a_close_the_table_refuses_does_not_change_the_outcome():
    twice = summarise("LD-1", [*MEDIATED, entry(12, "case.closed", 2000, outcome="abandoned",
                                                amount_recovered="0.00")])
    assert len(twice.anomalies) == 1
    assert (twice.outcome, twice.amount_recovered, twice.closed_at) == ("mediated", "2560.00", at(1440))

    too_early = summarise("LD-1", [entry(1, "case.triaged", 0), entry(2, "handoff.requested", 1, "mediation"),
                                   entry(3, "case.closed", 2, outcome="withdrawn", amount_recovered="0")])
    assert too_early.state == "mediation_requested"
    assert (too_early.closed_at, too_early.outcome) == (None, None)


def test_returns_are_counted_on_both_tracks():
    entries = [entry(1, "case.triaged", 0), entry(2, "handoff.requested", 1, "mediation"),
               entry(3, "handoff.requested", 1, "legal_aid"), entry(4, "handoff.returned", 2, "mediation"),
               entry(5, "handoff.returned", 3, "legal_aid")]
    summary = summarise("LD-1", entries)
    assert (summary.returns, summary.state, summary.aid_state) == (2, "triaged", "returned")


# -- handoffs ------------------------------------------------------------------------------------

def handoff(case_id: str, source: Agency, target_purpose: str, requested_minutes: float,
            status: str = "pending", waited_seconds: float | None = None) -> Handoff:
    h = Handoff.request(case_id, source, target_purpose, at(requested_minutes))
    if status == "accepted":
        h.accept(h.requested_at + timedelta(seconds=waited_seconds or 0))
    elif status == "returned":
        h.return_(h.requested_at + timedelta(seconds=waited_seconds or 0), "not ours")
    return h


def test_the_handoff_table_gives_wait_percentiles_by_agency_pair():
    # 101 answered handoffs waiting 0..100 s: p50 is 50 s, p95 is 95 s, the longest 100 s.
    handoffs = [handoff(f"LD-{n}", Agency.INTAKE, "mediation", 0, "accepted", n) for n in range(101)]
    (row,) = handoff_table(handoffs, at(60))["pairs"]
    assert row == {"from_agency": "intake", "to_agency": "mediation", "handoffs": 101, "accepted": 101,
                   "returned": 0, "pending": 0, "wait_p50_seconds": 50.0,
                   "wait_p95_seconds": 95.0, "wait_p99_seconds": 99.0, "wait_max_seconds": 100.0}


def test_one_answered_handoff_is_its_own_percentile_and_pending_ones_have_no_wait():
    table = handoff_table([handoff("LD-1", Agency.MEDIATION, "arbitration", 0, "accepted", 90),
                           handoff("LD-2", Agency.MEDIATION, "arbitration", 0)], at(10))
    (row,) = table["pairs"]
    assert (row["wait_p50_seconds"], row["wait_p95_seconds"], row["pending"]) == (90.0, 90.0, 1)
    nobody_answered = handoff_table([handoff("LD-3", Agency.INTAKE, "legal_aid", 0)], at(10))["pairs"][0]
    assert nobody_answered["wait_p50_seconds"] is None and nobody_answered["wait_max_seconds"] is None


def test_the_slowest_pair_comes_first():
    table = handoff_table([
        handoff("LD-1", Agency.INTAKE, "mediation", 0, "accepted", 60),
        handoff("LD-2", Agency.MEDIATION, "arbitration", 0, "accepted", 3 * 86400),
        handoff("LD-3", Agency.ARBITRATION, "enforcement", 0, "accepted", 3600),
    ], at(0))
    assert [(r["from_agency"], r["to_agency"]) for r in table["pairs"]] == [
        ("mediation", "arbitration"), ("arbitration", "courts"), ("intake", "mediation")]


def test_the_backlog_counts_pending_handoffs_by_receiver_with_the_oldest_age():
    table = handoff_table([
        handoff("LD-1", Agency.INTAKE, "mediation", 0),
        handoff("LD-2", Agency.INTAKE, "mediation", 30),
        handoff("LD-3", Agency.MEDIATION, "judicial_confirmation", 50),
        handoff("LD-4", Agency.ARBITRATION, "litigation", 10),
        handoff("LD-5", Agency.ARBITRATION, "enforcement", 55, "accepted", 5),
    ], now=at(60))
    assert table["backlog"] == [
        {"agency": "mediation", "pending": 2, "oldest_age_seconds": 3600.0},
        {"agency": "courts", "pending": 2, "oldest_age_seconds": 3000.0},
    ]


def test_a_case_returned_twice_or_more_is_bounced():
    table = handoff_table([
        handoff("LD-once", Agency.INTAKE, "mediation", 0, "returned", 10),
        handoff("LD-once", Agency.INTAKE, "mediation", 1, "accepted", 10),
        handoff("LD-twice", Agency.INTAKE, "mediation", 0, "returned", 10),
        handoff("LD-twice", Agency.INTAKE, "mediation", 1, "returned", 10),
        handoff("LD-thrice", Agency.INTAKE, "mediation", 0, "returned", 10),
        handoff("LD-thrice", Agency.INTAKE, "mediation", 1, "returned", 10),
        handoff("LD-thrice", Agency.MEDIATION, "arbitration", 2, "returned", 10),
    ], at(60))
    assert (table["bounced_count"], table["bounced_cases"]) == (2, ["LD-thrice", "LD-twice"])
    thrice = table["bounces"][0]
    assert thrice["returns"] == 3
    assert [(step["from_agency"], step["to_agency"]) for step in thrice["path"]] == [
        ("mediation", "intake"), ("mediation", "intake"), ("arbitration", "mediation")]


def test_the_view_counts_every_bounced_case_and_lists_those_returned_last():
    cases = BOUNCES_LISTED + 30
    table = handoff_table([handoff(f"LD-{n}", Agency.INTAKE, "mediation", n + again, "returned", 10)
                           for n in range(cases) for again in (0, 1)], at(cases + 60))
    assert table["bounced_count"] == cases
    assert table["bounced_cases"] == [f"LD-{n}" for n in reversed(range(30, cases))]
    assert [b["case_id"] for b in table["bounces"]] == table["bounced_cases"]


def test_no_handoffs_make_an_empty_table():
    assert handoff_table([], at(0)) == {"pairs": [], "backlog": [], "bounced_count": 0, "bounced_cases": [],
                                        "work": [], "bounces": []}


def test_the_second_return_flags_the_case_as_bounced_on_its_trail_once(trail_db):
    """推诿扯皮: the trail records the flag in the chain when the second return arrives."""
    for event_type in ("case.filed", "case.triaged"):
        deliver(trail_db, TRAIL, delivered(envelope(event_type, occurred_at=at(0))))
    for n in range(3):
        request = {**handoff_payload("mediation", to_unit=f"station-{n}"), "reason": "routed"}
        returned = {**request, "returned_at": at(10 * n + 5), "wait_seconds": 300.0,
                    "reason": "station at capacity"}
        for event_type, payload, minutes in [("handoff.requested", request, 10 * n),
                                             ("handoff.returned", returned, 10 * n + 5)]:
            deliver(trail_db, TRAIL, delivered(envelope(event_type, payload, occurred_at=at(minutes))))
    with trail_db() as uow:
        trail = TRAIL.trail(uow, "LD-20260302-0000000001", "auditor-1")
    flags = [e for e in trail["entries"] if e["event_type"] == "trail.bounced"]
    assert [f["details"]["returns"] for f in flags] == [2]
    assert (trail["returns"], trail["bounced"], trail["anomalies"]) == (3, True, [])


def test_work_in_each_agency_is_summarised_slowest_first():
    work = [("mediation", float(n)) for n in range(101)] + [("arbitration", 30 * 86400.0)]
    table = handoff_table([], at(0), work)
    assert table["work"] == [
        {"agency": "arbitration", "stays": 1, "work_p50_seconds": 30 * 86400.0,
         "work_p95_seconds": 30 * 86400.0},
        {"agency": "mediation", "stays": 101, "work_p50_seconds": 50.0, "work_p95_seconds": 95.0},
    ]


def test_the_trails_copy_of_a_handoff_takes_its_answer_even_before_its_request():
    requested = {**handoff_payload("mediation"), "reason": "industry"}
    requested["requested_at"] = requested["requested_at"].isoformat()
    accepted = {**requested, "accepted_at": at(90).isoformat(), "wait_seconds": 5400.0}
    first = handoff_from_event("handoff.accepted", accepted, "LD-1", None)
    assert (first.status, first.wait_seconds) == (HandoffStatus.ACCEPTED, 5400.0)
    later = handoff_from_event("handoff.requested", requested, "LD-1", first)
    assert (later.status, later.wait_seconds) == (HandoffStatus.ACCEPTED, 5400.0)


# -- the trail service layer ------------------------------------------------------------------------

def test_the_trail_refuses_a_dossier_and_stores_nothing(trail_db):
    with pytest.raises(PersonalDataRefused, match="handoff.dossier"):
        deliver(trail_db, TRAIL, delivered(envelope("handoff.dossier")))
    with trail_db() as uow:
        assert uow.entries.in_recorded_order() == []


def test_the_trail_records_events_and_keeps_the_case_summary(trail_db, clock):
    payloads = example_payloads()
    request = {**payloads["handoff.requested"], "requested_at": AT}
    answer = {**payloads["handoff.accepted"], **{k: request[k] for k in (
        "handoff_id", "from_agency", "to_agency", "purpose", "requested_at", "to_unit")},
              "accepted_at": at(120), "wait_seconds": 7200.0}
    # The answer arrives before the request it answers.
    for event_type, payload, minutes in [("case.filed", None, 0), ("handoff.accepted", answer, 120),
                                         ("case.triaged", None, 0), ("handoff.requested", request, 0)]:
        message = delivered(envelope(event_type, payload, occurred_at=at(minutes)))
        assert deliver(trail_db, TRAIL, message) == "handled"
    with trail_db() as uow:
        trail = TRAIL.trail(uow, "LD-20260302-0000000001", "auditor-1")
        states = TRAIL.case_states(uow)
        table = TRAIL.handoff_summary(uow)
    assert (trail["state"], trail["anomalies"]) == ("in_mediation", [])
    assert [e["event_type"] for e in trail["entries"]] == [
        "case.filed", "case.triaged", "handoff.requested", "handoff.accepted"]
    (kept,) = trail["handoffs"]
    assert (kept["status"], kept["wait_seconds"]) == ("accepted", 7200.0)
    assert states["LD-20260302-0000000001"]["state"] == "in_mediation"
    assert table["pairs"][0]["wait_p50_seconds"] == 7200.0
    assert not any(value in str(trail) for value in WORKER.values())


def test_the_trail_of_an_unknown_case_is_an_error(trail_db):
    with trail_db() as uow, pytest.raises(UnknownCase):
        TRAIL.trail(uow, "LD-nope", "auditor-1")


def test_an_event_redelivered_to_the_trail_is_recorded_once(trail_db):
    message = delivered(envelope("case.filed"))
    assert [deliver(trail_db, TRAIL, message) for _ in range(2)] == ["handled", "duplicate"]
    with trail_db() as uow:
        assert len(uow.entries.in_recorded_order()) == 1


def test_reading_a_trail_is_itself_recorded_on_the_trail(trail_db):
    deliver(trail_db, TRAIL, delivered(envelope("case.filed")))
    with trail_db() as uow:
        first = TRAIL.trail(uow, "LD-20260302-0000000001", "auditor-1")
        uow.commit()
    with trail_db() as uow:
        second = TRAIL.trail(uow, "LD-20260302-0000000001", "auditor-2")
    assert [e["event_type"] for e in first["entries"]] == ["case.filed"]
    (access,) = [e for e in second["entries"] if e["event_type"] == "trail.accessed"]
    assert access["details"] == {"accessed_by": "auditor-1", "role": "auditor"}
    assert access["actor"] == "auditor-1" and access["entry_id"] > first["entries"][0]["entry_id"]
    assert second["state"] == first["state"] and second["anomalies"] == []


def test_each_entry_names_the_agency_and_role_the_wait_and_the_routing_rule(trail_db):
    payloads = example_payloads()
    request = {**payloads["handoff.requested"], "requested_at": AT}
    answer = {**payloads["handoff.accepted"], **{k: request[k] for k in (
        "handoff_id", "from_agency", "to_agency", "purpose", "requested_at", "to_unit")}}
    for event_type, payload, source, minutes in [
            ("case.filed", None, "intake", 0), ("case.triaged", None, "intake", 0),
            ("handoff.requested", request, "intake", 0), ("handoff.accepted", answer, "mediation", 120),
            ("mediation.failed", None, "mediation", 600)]:
        deliver(trail_db, TRAIL, delivered(envelope(event_type, payload, occurred_at=at(minutes),
                                                    source_agency=Agency(source))))
    with trail_db() as uow:
        entries = TRAIL.trail(uow, "LD-20260302-0000000001", "auditor-1")["entries"]
    assert [(e["agency"], e["role"], e["rule"], e["waited_seconds"]) for e in entries] == [
        ("intake", "worker", None, None),
        ("intake", "system", "industry_station", None),
        ("intake", "system", "industry:food_delivery", None),
        ("mediation", "station_admin", None, 7200.0),
        ("mediation", "mediator", None, None),
    ]


def test_a_trail_of_fifty_entries_is_read_and_rendered_well_within_a_second(trail_db):
    import time

    from disputes_cli.render import trail_csv, trail_report

    events: list[tuple[str, dict[str, Any] | None]] = [("case.filed", None), ("case.triaged", None)]
    for n in range(24):  # a case passed back and forth: every move legal, 50 entries in all
        request = {**handoff_payload(requested_at=at(2 * n)), "reason": f"rule {n}"}
        events += [("handoff.requested", request),
                   ("handoff.returned", {**request, "returned_at": at(2 * n + 1),
                                         "wait_seconds": 60.0, "reason": "not ours"})]
    for n, (event_type, payload) in enumerate(events):
        deliver(trail_db, TRAIL, delivered(envelope(event_type, payload, occurred_at=at(n))))
    started = time.perf_counter()
    with trail_db() as uow:
        trail = TRAIL.trail(uow, "LD-20260302-0000000001", "auditor-1")
        uow.commit()
    report, exported = trail_report(trail), trail_csv(trail)
    elapsed = time.perf_counter() - started
    # 50 events and the trail's own flag that the case is bounced (推诿扯皮), which the report's
    # head also says.
    assert len(trail["entries"]) == 51 and trail["anomalies"] == [] and trail["bounced"]
    assert len(report.splitlines()) == 4 + 51 and len(exported.splitlines()) == 1 + 51
    # Typically a few milliseconds; the bound leaves a slow machine a hundredfold margin.
    assert elapsed < 1.0


@pytest.mark.parametrize(("agency", "event_type", "payload", "role"), [
    ("intake", "case.filed", {"channel": "online"}, "worker"),
    ("intake", "case.filed", {"channel": "counter"}, "intake_clerk"),
    ("intake", "case.filed", {"channel": "hotline_12345"}, "hotline_operator"),
    ("intake", "handoff.requested", {}, "system"),
    ("legal_aid", "handoff.accepted", {}, "legal_aid_officer"),
    ("arbitration", "handoff.returned", {}, "arbitration_clerk"),
    ("arbitration", "arbitration.awarded", {}, "arbitrator"),
    ("mediation", "handoff.requested", {}, "mediator"),
    ("courts", "court.ruling_entered", {}, "court_clerk"),
    ("trail", "trail.accessed", {}, "auditor"),
])
def test_the_role_that_performs_each_act(agency, event_type, payload, role):
    from trail.domain import acting_role

    assert acting_role(agency, event_type, payload) == role


def test_the_person_who_acted_is_the_one_the_event_names_or_the_reader():
    assert acting_person("mediation.agreement_reached",
                         {"actor": {"subject": "li.mediator", "role": "mediator"}}) == "li.mediator"
    assert acting_person("trail.accessed", {"accessed_by": "zhao.audit", "role": "auditor"}) == "zhao.audit"
    assert acting_person("case.triaged", {"rules_fired": []}) is None  # the system names no one


def test_percentiles_from_the_values_at_their_ranks_are_the_inclusive_quantiles():
    rng = random.Random(7)
    for count in range(1, 60):
        values = [rng.choice([0.0, 60.0, rng.uniform(0, 9e5)]) for _ in range(count)]
        known = ranked(values, WAIT_PERCENTILES)
        assert len(known.at_rank) <= 7 and known.maximum == max(values)
        quantiles = statistics.quantiles(values, n=100, method="inclusive") if count > 1 else [values[0]] * 99
        assert [known.percentile(q) for q in WAIT_PERCENTILES] == [quantiles[q - 1] for q in WAIT_PERCENTILES]
