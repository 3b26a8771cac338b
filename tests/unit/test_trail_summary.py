"""A case's summary kept incrementally: each newest event applied to the summary kept is the
full replay's summary, whatever the events and the order they arrive in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

import trail.handlers
from trail.domain import CaseSummary, TrailEntry, advanced, entry_move, summarise
from trail.handlers import Trail

from ..support.examples import AT, delivered, envelope
from .helpers import deliver

PURPOSES = ("mediation", "arbitration", "legal_aid", "labor_inspection", "litigation")
EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("case.filed", {"worker_ref": "aaaaaaaaaaaaaaaa"}), ("case.filed", {}), ("case.triaged", {}),
    *[(f"handoff.{answer}", {"purpose": purpose}) for answer in ("requested", "accepted", "returned")
      for purpose in PURPOSES],
    ("mediation.agreement_reached", {}), ("mediation.failed", {}), ("mediation.session_held", {}),
    ("arbitration.awarded", {}), ("legal_aid.granted", {}), ("inspection.concluded", {}),
    ("court.ruling_entered", {}), ("trail.accessed", {}),
    ("case.closed", {"outcome": "mediated", "amount_recovered": "100.00"}),
    ("case.closed", {"outcome": "withdrawn"}),
]
# A case that goes somewhere, so that the random ones are not all anomalies.
PLAUSIBLE = [("case.filed", {"worker_ref": "bbbbbbbbbbbbbbbb"}), ("case.triaged", {}),
             ("handoff.requested", {"purpose": "mediation"}), ("handoff.returned", {"purpose": "mediation"}),
             ("handoff.requested", {"purpose": "mediation"}), ("handoff.returned", {"purpose": "mediation"}),
             ("handoff.requested", {"purpose": "labor_inspection"}),
             ("handoff.accepted", {"purpose": "labor_inspection"}), ("inspection.concluded", {}),
             ("handoff.requested", {"purpose": "arbitration"}), ("handoff.accepted", {"purpose": "arbitration"}),
             ("handoff.requested", {"purpose": "legal_aid"}), ("arbitration.awarded", {}),
             ("case.closed", {"outcome": "awarded", "amount_recovered": "3000.00"})]


def arrivals(kinds: list[tuple[str, dict[str, Any]]], minutes: list[int]) -> list[TrailEntry]:
    """The entries in the order they arrive (and are numbered), each at its own minute."""
    return [TrailEntry(event_id=f"e{n}", case_id="LD-1", event_type=event_type,
                       move=entry_move(event_type, payload), source_agency="intake",
                       occurred_at=AT + timedelta(minutes=minute), recorded_at=AT, payload=payload, id=n + 1)
            for n, ((event_type, payload), minute) in enumerate(zip(kinds, minutes, strict=True))]


def kept_as_they_arrive(entries: list[TrailEntry]) -> tuple[CaseSummary, int]:
    """The summary as the trail keeps it, and how many arrivals had the case replayed."""
    summary, replays = None, 0
    for arrived, entry in enumerate(entries, start=1):
        after = advanced(summary, entry)
        if after is None:
            replays += 1
            after = summarise("LD-1", entries[:arrived])
        assert after == summarise("LD-1", entries[:arrived]), f"after {entry.event_id}"
        summary = after
    assert summary is not None
    return summary, replays


events = st.lists(st.sampled_from(EVENTS), min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(events.flatmap(lambda kinds: st.tuples(
    st.just(kinds), st.lists(st.integers(0, 6), min_size=len(kinds), max_size=len(kinds)))))
def test_any_events_in_any_order_are_summarised_as_the_full_replay_does(drawn):
    kept_as_they_arrive(arrivals(*drawn))


@settings(max_examples=200, deadline=None)
@given(st.permutations(range(len(PLAUSIBLE))), st.lists(st.integers(0, 3), min_size=len(PLAUSIBLE),
                                                        max_size=len(PLAUSIBLE)))
def test_a_plausible_case_arriving_shuffled_is_summarised_as_the_full_replay_does(order, steps):
    minutes = [sum(steps[:i + 1]) for i in range(len(PLAUSIBLE))]  # the order it happened in
    kept_as_they_arrive(arrivals([PLAUSIBLE[i] for i in order], [minutes[i] for i in order]))


def test_events_arriving_in_order_are_applied_without_a_replay():
    summary, replays = kept_as_they_arrive(arrivals(PLAUSIBLE, list(range(len(PLAUSIBLE)))))
    assert replays == 1  # the first: there was no summary yet
    assert (summary.state, summary.aid_state, summary.inspection_state) == ("closed", "requested", "concluded")
    assert (summary.returns, summary.bounced, summary.worker_ref) == (2, True, "bbbbbbbbbbbbbbbb")


def test_a_summary_kept_before_the_inspection_track_was_has_its_case_replayed():
    (filed,) = arrivals(PLAUSIBLE[:1], [0])
    old = CaseSummary(case_id="LD-1", state="filed", aid_state="none", opened_at=AT, last_event_at=AT)
    assert advanced(old, filed) is None


def test_the_trail_replays_a_case_only_for_an_event_out_of_order(monkeypatch, trail_db, clock):
    recorder = Trail(Ed25519PrivateKey.generate().sign)
    replayed: list[str] = []
    monkeypatch.setattr(trail.handlers, "summarise",
                        lambda case_id, entries: replayed.append(case_id) or summarise(case_id, entries))
    for event_type, minutes in [("case.filed", 0), ("case.triaged", 1)]:
        deliver(trail_db, recorder, delivered(envelope(event_type, occurred_at=AT + timedelta(minutes=minutes))))
    assert len(replayed) == 1  # the case's first event
    clock.advance(minutes=30)
    with trail_db() as uow:  # an auditor reads the trail: the access is the case's newest entry
        case_id = recorder.trail(uow, "LD-20260302-0000000001", "auditor-1")["case_id"]
        uow.commit()
    # Triaged before the read, delivered after it: out of order, so the case is replayed.
    deliver(trail_db, recorder, delivered(envelope("case.evidence_received", occurred_at=AT + timedelta(minutes=2))))
    assert len(replayed) == 2
    with trail_db() as uow:
        kept = uow.summaries.get(case_id)
        assert kept == summarise(case_id, uow.entries.of_case(case_id))
    assert kept.last_event_at == AT + timedelta(minutes=30)


@pytest.fixture(params=["trail_db", "trail_sql_db"])
def any_trail_db(request):
    return request.getfixturevalue(request.param)


def kept_summary(db: Any, case_id: str = "LD-1") -> tuple[CaseSummary, CaseSummary]:
    """The summary kept, and the full replay of the case's entries."""
    with db() as uow:
        return uow.summaries.get(case_id), summarise(case_id, uow.entries.of_case(case_id))


def test_a_summary_another_replica_changed_since_is_read_again(any_trail_db):
    key = Ed25519PrivateKey.generate()
    first, second = Trail(key.sign), Trail(key.sign)
    for minute, (recorder, event_type) in enumerate([(first, "case.filed"), (second, "case.triaged"),
                                                     (second, "handoff.requested"), (first, "handoff.returned")]):
        sent = envelope(event_type, case_id="LD-1", occurred_at=AT + timedelta(minutes=minute))
        assert deliver(any_trail_db, recorder, delivered(sent)) == "handled"
    kept, replayed = kept_summary(any_trail_db)
    assert kept == replayed and kept.anomalies == [] and kept.returns == 1


def test_a_summary_whose_transaction_was_rolled_back_is_not_used(any_trail_db):
    recorder = Trail(Ed25519PrivateKey.generate().sign)
    deliver(any_trail_db, recorder, delivered(envelope("case.filed", case_id="LD-1", occurred_at=AT)))
    with any_trail_db() as uow:  # recorded, then rolled back
        recorder.handle(uow, delivered(envelope("case.triaged", case_id="LD-1", occurred_at=AT + timedelta(minutes=1))))
    assert recorder.stored["LD-1"][0].state == "triaged"
    deliver(any_trail_db, recorder, delivered(envelope("case.triaged", case_id="LD-1",
                                                       occurred_at=AT + timedelta(minutes=2))))
    kept, replayed = kept_summary(any_trail_db)
    assert kept == replayed and kept.anomalies == [] and kept.state == "triaged"


def test_a_trail_keeps_a_bounded_number_of_summaries(monkeypatch, trail_db):
    monkeypatch.setattr(trail.handlers, "SUMMARIES_KEPT", 3)
    recorder = Trail(Ed25519PrivateKey.generate().sign)
    for n in range(5):
        deliver(trail_db, recorder, delivered(envelope("case.filed", case_id=f"LD-{n}", occurred_at=AT)))
    deliver(trail_db, recorder, delivered(envelope("case.triaged", case_id="LD-2", occurred_at=AT)))
    assert list(recorder.stored) == ["LD-3", "LD-4", "LD-2"]
