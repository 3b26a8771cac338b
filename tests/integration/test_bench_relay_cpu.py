"""The relay benchmark sends every event it sealed to the real broker, and a relay woken by a
commit reads the outbox once, reads the held rows with their keys once and marks them once."""

from __future__ import annotations

from bench.relay_cpu import (
    as_committed,
    backlog,
    commit_order,
    counted,
    envelopes_of,
    measured,
    throwaway_broker,
)


def test_every_event_goes_once_and_a_commit_costs_a_listing_a_read_and_a_mark(amqp_uri, tmp_path):
    order = commit_order(12, 4, seed=1)
    assert [event_type for case_id, event_type in order if case_id == order[0][0]] == [
        "handoff.accepted", "mediation.session_held", "mediation.failed"]
    envelopes = envelopes_of(order)
    with throwaway_broker(amqp_uri) as broker:
        # Each checks every event sent, its row cut to its header, one message per event queued.
        assert measured("sqlite", str(tmp_path), broker, backlog, envelopes) > 0
        assert measured("sqlite", str(tmp_path), broker, as_committed(3), envelopes) > 0
        statements = counted("sqlite", str(tmp_path), broker, as_committed(3), envelopes)
    commits = 12 // 3
    assert statements == {"BEGIN": 3 * commits, "SELECT outbox": 2 * commits, "UPDATE outbox": commits,
                          "COMMIT": 2 * commits}
