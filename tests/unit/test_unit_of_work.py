"""The plumbing under every service: one transaction per change, the inbox, the outbox relay."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Connection, delete, select, update

from disputes_shared.contract.envelope import Envelope, decode, majors_of
from disputes_shared.kit.broker import Outgoing, Unroutable
from disputes_shared.plumbing.metrics import HANDOFF_DELIVERY_BUCKETS, PlatformMetrics
from disputes_shared.plumbing.personal_data import is_sealed
from disputes_shared.plumbing.relay import OutboxRelay
from disputes_shared.ports import apply_once

from ..support.examples import PERSONAL_VALUES, delivered, dossier_envelope, envelope

DOSSIER_KEY = f"handoff.dossier.v{majors_of('handoff.dossier')[-1]}.mediation"


class RecordingPublisher:
    """Stands in for the broker: records what it was given; refuses routing keys it is told to."""

    def __init__(self, unroutable: tuple[str, ...] = ()) -> None:
        self.published: list[dict[str, Any]] = []
        self.unroutable = unroutable

    def publish_many(self, messages: list[Outgoing]) -> list[Exception | None]:
        outcomes: list[Exception | None] = []
        for m in messages:
            if m.routing_key in self.unroutable:
                outcomes.append(Unroutable(f"no queue bound for {m.exchange} {m.routing_key}"))
                continue
            self.published.append({"body": m.body, "exchange": m.exchange,
                                   "routing_key": m.routing_key, "message_id": m.message_id})
            outcomes.append(None)
        return outcomes


def commit_events(db, *envelopes: Envelope) -> None:
    with db() as uow:
        uow.emit(*envelopes)
        uow.commit()


def relay(db, publisher: RecordingPublisher) -> OutboxRelay:
    return OutboxRelay(db.engine, db.tables.outbox, publisher, PlatformMetrics("mediation"), db.clock,
                       case_keys=db.case_keys)


# -- apply_once ----------------------------------------------------------------------------------

def test_an_event_is_applied_once_per_consumer(mediation_sql_db):
    applied: list[str] = []

    def handle(uow, message: Envelope) -> str:
        applied.append(message.event_id)
        return "handled"

    message = delivered(envelope("case.filed"))
    assert apply_once(mediation_sql_db, "mediation", message, handle) == "handled"
    assert apply_once(mediation_sql_db, "mediation", message, handle) == "duplicate"
    assert apply_once(mediation_sql_db, "another-consumer", message, handle) == "handled"
    assert applied == [message.event_id, message.event_id]


def test_an_event_whose_handler_failed_is_not_marked_applied(mediation_sql_db):
    outcomes = iter([RuntimeError("database hiccup"), "handled"])

    def handle(uow, message: Envelope) -> str:
        uow.emit(delivered(envelope("case.triaged")))
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    message = delivered(envelope("case.filed"))
    with pytest.raises(RuntimeError):
        apply_once(mediation_sql_db, "mediation", message, handle)
    assert mediation_sql_db.outbox_rows() == []
    assert apply_once(mediation_sql_db, "mediation", message, handle) == "handled"
    assert [e.event_type for e in mediation_sql_db.outbox()] == ["case.triaged"]


def test_events_emitted_without_commit_are_dropped_with_the_change(mediation_sql_db):
    with mediation_sql_db() as uow:
        uow.emit(delivered(envelope("case.filed")))
    assert mediation_sql_db.outbox_rows() == []


# -- the outbox relay -------------------------------------------------------------------------------

def test_the_relay_publishes_in_commit_order_and_marks_what_the_broker_took(mediation_sql_db):
    sent = [delivered(envelope(t)) for t in ("case.filed", "case.triaged", "handoff.dossier")]
    commit_events(mediation_sql_db, *sent)
    publisher = RecordingPublisher()
    assert relay(mediation_sql_db, publisher).flush() == 3
    assert [p["message_id"] for p in publisher.published] == [e.event_id for e in sent]
    assert [p["exchange"] for p in publisher.published] == [
        "disputes.events", "disputes.events", "disputes.dossiers"]
    assert [decode(p["body"]) for p in publisher.published] == sent
    rows = mediation_sql_db.outbox_rows()
    assert all(r["published_at"] == mediation_sql_db.clock.now() and r["attempts"] == 1 for r in rows)
    assert relay(mediation_sql_db, publisher).flush() == 0
    assert len(publisher.published) == 3


# -- personal data in the outbox ------------------------------------------------------------------

SEALED_CASE = "LD-20260302-0000000007"


def commit_for_a_case_with_personal_data(db, *envelopes: Envelope) -> None:
    """As a service does: the case's personal data sealed (its data key made), its events emitted."""
    with db() as uow:
        uow.case_keys.data_key(SEALED_CASE, create=True)
        uow.emit(*envelopes)
        uow.commit()


def test_a_waiting_body_is_sealed_published_open_and_cut_to_its_header_once_confirmed(mediation_sql_db):
    sent = dossier_envelope(case_id=SEALED_CASE)
    commit_for_a_case_with_personal_data(mediation_sql_db, sent)
    (stored,) = mediation_sql_db.outbox_rows(opened=False)
    assert is_sealed(stored["body"])
    assert not any(value in stored["body"] for value in PERSONAL_VALUES)
    publisher = RecordingPublisher()
    assert relay(mediation_sql_db, publisher).flush() == 1
    assert [decode(p["body"]) for p in publisher.published] == [sent]
    (published,) = mediation_sql_db.outbox_rows(opened=False)
    header = json.loads(published["body"])
    assert "payload" not in header and header["event_id"] == sent.event_id
    assert header["causation_id"] == sent.causation_id and header["case_id"] == SEALED_CASE
    assert published["published_at"] is not None


def test_a_row_another_replica_sent_and_cut_meanwhile_is_not_sent_again(mediation_sql_db):
    """Two replicas' relays list the same waiting events; the first sends and cuts the row before the
    second reads it: the second sends nothing (a cut row has no payload), rather than a body
    no consumer can decode."""
    sent = dossier_envelope(case_id=SEALED_CASE)
    commit_for_a_case_with_personal_data(mediation_sql_db, sent)
    late = relay(mediation_sql_db, RecordingPublisher())
    with mediation_sql_db.engine.connect() as connection:
        listed_early = late._waiting(connection)
    first = RecordingPublisher()
    assert relay(mediation_sql_db, first).flush() == 1
    late._waiting = lambda _connection: listed_early  # type: ignore[method-assign]
    second = RecordingPublisher()
    late.publisher = second  # type: ignore[assignment]
    assert late._round(10)[0] == 0 and second.published == []
    (row,) = mediation_sql_db.outbox_rows(opened=False)
    assert [decode(p["body"]) for p in first.published] == [sent] and row["published_at"] is not None


def test_an_event_whose_case_has_no_data_key_waits_in_the_clear_and_is_published(mediation_sql_db):
    sent = delivered(envelope("case.filed"))  # e.g. a registry event: no personal data of a case here
    commit_events(mediation_sql_db, sent)
    assert decode(mediation_sql_db.outbox_rows(opened=False)[0]["body"]) == sent
    publisher = RecordingPublisher()
    assert relay(mediation_sql_db, publisher).flush() == 1
    assert "payload" not in json.loads(mediation_sql_db.outbox_rows(opened=False)[0]["body"])


def test_a_parked_body_stays_sealed_and_its_reason_names_no_person(mediation_sql_db):
    commit_for_a_case_with_personal_data(mediation_sql_db, dossier_envelope(case_id=SEALED_CASE))
    outbox_relay = relay(mediation_sql_db, RecordingPublisher(unroutable=(DOSSIER_KEY,)))
    assert outbox_relay.flush() == 0
    (parked,) = mediation_sql_db.outbox_rows(opened=False)
    assert parked["last_error"] and is_sealed(parked["body"])
    assert not any(value in parked["body"] + parked["last_error"] for value in PERSONAL_VALUES)


def test_a_body_that_no_longer_opens_is_parked_and_other_cases_flow(mediation_sql_db):
    commit_for_a_case_with_personal_data(mediation_sql_db, dossier_envelope(case_id=SEALED_CASE))
    flowing = delivered(envelope("case.filed", case_id="LD-20260302-0000000008"))
    commit_events(mediation_sql_db, flowing)
    data_keys = mediation_sql_db.tables.data_keys
    with mediation_sql_db.engine.begin() as connection:  # the case's key erased
        connection.execute(delete(data_keys).where(data_keys.c.case_id == SEALED_CASE))
    publisher = RecordingPublisher()
    outbox_relay = relay(mediation_sql_db, publisher)
    assert outbox_relay.flush() == 1
    assert [p["message_id"] for p in publisher.published] == [flowing.event_id]
    rows = {r["case_id"]: r for r in mediation_sql_db.outbox_rows(opened=False)}
    assert "no data key" in rows[SEALED_CASE]["last_error"] and rows[SEALED_CASE]["published_at"] is None
    assert parked_gauge(outbox_relay) == 1


def test_a_data_key_that_does_not_unwrap_parks_its_case_only(mediation_sql_db):
    commit_for_a_case_with_personal_data(mediation_sql_db, dossier_envelope(case_id=SEALED_CASE))
    flowing = delivered(envelope("case.filed", case_id="LD-20260302-0000000008"))
    commit_events(mediation_sql_db, flowing)
    data_keys = mediation_sql_db.tables.data_keys
    with mediation_sql_db.engine.begin() as connection:  # wrapped by a KEK the service lacks
        connection.execute(update(data_keys).where(data_keys.c.case_id == SEALED_CASE)
                           .values(kek_id="kek-lost"))
    publisher = RecordingPublisher()
    assert relay(mediation_sql_db, publisher).flush() == 1
    assert [p["message_id"] for p in publisher.published] == [flowing.event_id]
    rows = {r["case_id"]: r for r in mediation_sql_db.outbox_rows(opened=False)}
    assert rows[SEALED_CASE]["last_error"] and rows[SEALED_CASE]["published_at"] is None


def parked_gauge(outbox_relay: OutboxRelay) -> float:
    return outbox_relay.metrics.outbox_parked.labels("mediation")._value.get()


def test_an_unroutable_event_is_parked_and_its_case_waits_behind_it(mediation_sql_db):
    commit_events(mediation_sql_db, *(delivered(envelope(t)) for t in (
        "case.filed", "handoff.dossier", "case.closed")))
    blocked = RecordingPublisher(unroutable=(DOSSIER_KEY,))
    outbox_relay = relay(mediation_sql_db, blocked)
    assert outbox_relay.flush() == 1  # the filing; the closing must not overtake the dossier
    assert [p["routing_key"] for p in blocked.published] == ["case.filed.v1.all"]
    rows = {r["event_type"]: r for r in mediation_sql_db.outbox_rows()}
    assert "no queue bound" in rows["handoff.dossier"]["last_error"]
    assert rows["handoff.dossier"]["published_at"] is None
    assert rows["case.closed"]["published_at"] is None and rows["case.closed"]["attempts"] == 0
    assert parked_gauge(outbox_relay) == 1
    assert outbox_relay.flush() == 0  # parked: not tried again before parked_retry_seconds
    assert {r["event_type"]: r for r in mediation_sql_db.outbox_rows()}["handoff.dossier"]["attempts"] == 1
    unblocked = RecordingPublisher()
    once_bound = relay(mediation_sql_db, unblocked)
    assert once_bound.flush() == 2  # a new start tries the parked one at once, then the rest
    assert [p["routing_key"] for p in unblocked.published] == [
        DOSSIER_KEY, "case.closed.v1.all"]
    assert parked_gauge(once_bound) == 0


def test_a_parked_event_is_tried_again_after_the_retry_interval(mediation_sql_db):
    commit_events(mediation_sql_db, delivered(envelope("handoff.dossier")))
    publisher = RecordingPublisher(unroutable=(DOSSIER_KEY,))
    outbox_relay = relay(mediation_sql_db, publisher)
    outbox_relay.parked_retry_seconds = 0.0
    assert outbox_relay.flush() == 0
    publisher.unroutable = ()  # an operator bound the missing queue
    assert outbox_relay.flush() == 1
    assert parked_gauge(outbox_relay) == 0


def test_other_cases_flow_past_a_parked_event_however_many_are_parked(mediation_sql_db):
    stuck = [delivered(envelope("handoff.dossier", case_id=f"LD-20260302-{n:010d}"))
             for n in range(250)]  # more than a batch
    commit_events(mediation_sql_db, *stuck)
    flowing = [delivered(envelope(t, case_id="LD-20260302-9999999999"))
               for t in ("case.filed", "case.triaged")]
    commit_events(mediation_sql_db, *flowing)
    publisher = RecordingPublisher(unroutable=(DOSSIER_KEY,))
    outbox_relay = relay(mediation_sql_db, publisher)
    while outbox_relay.flush() > 0:
        pass
    assert [p["message_id"] for p in publisher.published] == [e.event_id for e in flowing]
    assert parked_gauge(outbox_relay) == 250


def test_a_round_sends_every_waiting_event_of_a_case_one_in_flight_at_a_time(mediation_sql_db):
    filing = [delivered(envelope(t)) for t in ("case.filed", "case.triaged", "handoff.dossier")]
    other = delivered(envelope("case.filed", case_id="LD-20260302-0000000008"))
    commit_events(mediation_sql_db, *filing)
    commit_events(mediation_sql_db, other)

    class RecordingWaves(RecordingPublisher):
        def __init__(self) -> None:
            super().__init__()
            self.waves: list[list[str]] = []

        def publish_many(self, messages: list[Outgoing]) -> list[Exception | None]:
            self.waves.append([m.message_id for m in messages])
            return super().publish_many(messages)

    publisher = RecordingWaves()
    # One read and one mark for the whole commit, not a round per event: the case's next event
    # goes as soon as the broker has confirmed its last, never beside it. It sent all it found.
    assert relay(mediation_sql_db, publisher)._round(200) == (4, 4, True)
    assert publisher.waves == [[filing[0].event_id, other.event_id], [filing[1].event_id],
                               [filing[2].event_id]]
    assert all(r["published_at"] is not None for r in mediation_sql_db.outbox_rows())


def test_each_event_is_timed_from_its_commit_to_its_confirm_behind_its_cases_earlier_ones(mediation_sql_db):
    filing = [delivered(envelope(t)) for t in ("case.filed", "case.triaged", "handoff.dossier")]
    commit_events(mediation_sql_db, *filing, delivered(envelope("case.filed", case_id="LD-20260302-0000000008")))

    class SlowConfirms(RecordingPublisher):
        def publish_many(self, messages: list[Outgoing]) -> list[Exception | None]:
            mediation_sql_db.clock.advance(seconds=0.005)  # each wave's confirms take 5 ms
            return super().publish_many(messages)

    outbox_relay = relay(mediation_sql_db, SlowConfirms())
    outbox_relay._round(200)
    delay = outbox_relay.metrics.outbox_delay.labels("mediation")
    # The other case's first and the filing's first in the first wave; the dossier a third behind.
    per_bucket = dict(zip(HANDOFF_DELIVERY_BUCKETS, (b.get() for b in delay._buckets), strict=False))
    assert {le: n for le, n in per_bucket.items() if n} == {0.005: 2, 0.01: 1, 0.015: 1}  # the dossier 15 ms
    assert round(delay._sum.get(), 6) == 0.035


def test_a_case_committed_during_a_round_joins_its_next_wave(mediation_sql_db):
    filing = [delivered(envelope(t)) for t in ("case.filed", "case.triaged", "handoff.dossier")]
    commit_events(mediation_sql_db, *filing)
    later = [delivered(envelope(t, case_id="LD-20260302-0000000008")) for t in ("case.filed", "case.triaged")]
    waves: list[list[str]] = []
    outbox_relay: OutboxRelay

    class CommitsDuringTheFirstWave(RecordingPublisher):
        def publish_many(self, messages: list[Outgoing]) -> list[Exception | None]:
            waves.append([m.message_id for m in messages])
            if len(waves) == 1:
                commit_events(mediation_sql_db, *later)
                outbox_relay.wake()  # as the unit of work does once it has committed
            return super().publish_many(messages)

    outbox_relay = relay(mediation_sql_db, CommitsDuringTheFirstWave())
    assert outbox_relay._round(200) == (5, 5, False)  # it read the outbox again: not all it found
    assert waves == [[filing[0].event_id], [filing[1].event_id, later[0].event_id],
                     [filing[2].event_id, later[1].event_id]]


def test_a_flush_reads_the_outbox_again_only_if_its_round_left_something_or_a_commit_came(mediation_sql_db):
    commit_events(mediation_sql_db, *(delivered(envelope(t)) for t in ("case.filed", "case.triaged")))
    outbox_relay = relay(mediation_sql_db, RecordingPublisher())
    reads = 0
    listed = outbox_relay._waiting

    def counted(connection: Connection) -> tuple[dict[str, list[int]], set[int]]:
        nonlocal reads
        reads += 1
        return listed(connection)
    outbox_relay._waiting = counted  # type: ignore[method-assign]
    assert outbox_relay.flush() == 2 and reads == 1

    later = delivered(envelope("case.filed", case_id="LD-20260302-0000000008"))
    commit_events(mediation_sql_db, delivered(envelope("case.closed")))
    marked = outbox_relay._mark_published

    def committed_meanwhile(envelopes: dict[int, dict[str, Any]]) -> None:
        marked(envelopes)
        if envelopes and later.event_id not in [e["event_id"] for e in envelopes.values()]:
            commit_events(mediation_sql_db, later)
            outbox_relay.wake()  # as the unit of work does once it has committed
    outbox_relay._mark_published = committed_meanwhile  # type: ignore[method-assign]
    assert outbox_relay.flush() == 2  # the round found all it sent, but the wake says to look again
    assert all(r["published_at"] is not None for r in mediation_sql_db.outbox_rows())


def test_the_relay_publishes_a_batch_and_marks_it_sent_only_after_every_confirm(mediation_sql_db):
    commit_events(mediation_sql_db, *(delivered(envelope("case.filed")) for _ in range(5)))

    class ConfirmsNeverCome(RecordingPublisher):
        def publish_many(self, messages: list[Outgoing]) -> list[Exception | None]:
            super().publish_many(messages)
            raise TimeoutError("5 publisher confirms not received")

    with pytest.raises(TimeoutError):
        relay(mediation_sql_db, ConfirmsNeverCome()).flush()
    assert all(r["published_at"] is None for r in mediation_sql_db.outbox_rows())
    assert relay(mediation_sql_db, RecordingPublisher()).flush() == 5


def test_the_relay_sends_again_what_it_published_but_could_not_mark(mediation_sql_db):
    commit_events(mediation_sql_db, delivered(envelope("case.filed")))

    class CrashingAfterPublish(RecordingPublisher):
        def publish_many(self, messages: list[Outgoing]) -> list[Exception | None]:
            super().publish_many(messages)
            raise ConnectionError("connection lost before the confirm")

    with pytest.raises(ConnectionError):
        relay(mediation_sql_db, CrashingAfterPublish()).flush()
    again = RecordingPublisher()
    assert relay(mediation_sql_db, again).flush() == 1  # consumers drop the duplicate by its event id
    outbox = mediation_sql_db.tables.outbox
    with mediation_sql_db.engine.connect() as connection:
        assert connection.execute(select(outbox.c.published_at)).scalar_one() is not None


@pytest.mark.parametrize(("adapters", "declared"), [
    ("intake.adapters", {"inbox", "outbox", "handoffs"}),
    ("mediation.adapters", {"inbox", "outbox", "handoffs", "clocks"}),
    ("trail.adapters", {"inbox", "handoffs"}),
])
def test_a_service_declares_only_the_plumbing_it_uses(adapters, declared):
    import importlib

    module = importlib.import_module(adapters)
    plumbing = {"inbox", "outbox", "handoffs", "clocks"}
    assert set(module.metadata.tables) & plumbing == declared
    assert {name for name in plumbing if getattr(module.plumbing, name) is not None} == declared


def test_a_service_without_an_outbox_refuses_to_publish(trail_db):
    with trail_db() as uow, pytest.raises(RuntimeError, match="no outbox"):
        uow.emit(envelope("case.closed"))
    assert uow.outbox is None and not hasattr(uow, "clocks")
