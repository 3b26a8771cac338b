"""The outbox relay: publishes committed events, marks them sent once the broker confirms.

It wakes when a unit of work commits and also sweeps on a timer, so events a crash left
unpublished are sent after a restart. An event marked published was confirmed; an event that was
published but not yet marked (a crash between the two) is sent again, and consumers drop the
duplicate by its event id.

A case's events go out in commit order, one at a time per case: only the earliest unpublished
event of each case is ever in flight, so a later one can never overtake it. A round reads every
case's waiting events once and sends them in waves: the first of every case, then, as soon as
the broker has confirmed a case's event, its next one, without going back to the database in
between (a case committed meanwhile joins the next wave, so it does not wait for the round's
end); what was confirmed is marked sent at the end of the round, in one transaction. An event
the broker does not take (unroutable: no queue bound; or refused) is parked: kept unpublished
with its reason, counted in ``disputes_outbox_parked``, and tried again every
``parked_retry_seconds``. Its case's later events wait behind it; every other case flows on.

Replicas' relays share the outbox: on PostgreSQL a relay holds each case it sends for the
round, with an advisory lock on a connection outside any transaction (``locks.claims``), so
another relay goes on with other cases, and no transaction stays open while the broker confirms.

A body waits sealed under its case's data key (``outbox.py``): the relay opens it in memory to
publish it, and once the broker confirms it keeps only the header. A parked body stays sealed,
and what the relay logs and records of a failure names the event, never its content.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, bindparam, select, update

from ..clocks.wall import Clock
from ..contract.routing import case_headers
from ..kit.broker import ConfirmedPublisher, Outgoing, Unroutable
from .locks import LockSpace, claims
from .messaging import failure_reason
from .metrics import PlatformMetrics
from .outbox import header_of, opened_body
from .personal_data import PersonalDataError
from .sealed import CaseKeys, beside_wrapped_keys

log = logging.getLogger(__name__)

Opened = tuple[Any, str | PersonalDataError]  # an outbox row, and its body opened or why not


class OutboxRelay:
    def __init__(self, engine: Engine, outbox: Table, publisher: ConfirmedPublisher,
                 metrics: PlatformMetrics, clock: Clock, batch_size: int = 200,
                 sweep_seconds: float = 1.0, retry_seconds: float = 1.0,
                 parked_retry_seconds: float = 60.0,
                 case_keys: Callable[[Connection], CaseKeys] | None = None) -> None:
        self.engine = engine
        self.outbox = outbox
        self.publisher = publisher
        self.metrics = metrics
        self.clock = clock
        self.batch_size = batch_size
        self.sweep_seconds = sweep_seconds
        self.retry_seconds = retry_seconds
        self.parked_retry_seconds = parked_retry_seconds
        self.case_keys = case_keys  # None: the service keeps no personal data, nothing is sealed
        # Under eventlet's monkey patching this is a green event: waiting on it yields.
        self._wake = threading.Event()
        self._running = False
        self._parked_tried: dict[int, float] = {}  # parked row id -> when last tried (monotonic)
        # Built once, so SQLAlchemy reuses their compiled forms at every round.
        columns = outbox.c
        self._pending = (select(columns.id, columns.case_id, columns.last_error)
                         .where(columns.published_at.is_(None)).order_by(columns.id))
        self._unsent = (select(columns.id, columns.exchange, columns.routing_key, columns.body,
                               columns.event_id, columns.event_type, columns.case_id, columns.created_at)
                        # Still unpublished: another replica's relay may have sent and cut a row
                        # since they were listed, and a cut row has no payload left to send.
                        .where(columns.id.in_(bindparam("ids", expanding=True)),
                               columns.published_at.is_(None))
                        .order_by(columns.id))
        self._unsent_with_keys: Select[Any] | None = None  # with the cases' data keys: built at the first read
        self._mark_sent = (update(outbox).where(columns.id == bindparam("row_id"), columns.published_at.is_(None))
                           .values(published_at=bindparam("sent_at", type_=columns.published_at.type),
                                   attempts=columns.attempts + 1, body=bindparam("header")))
        self._mark_failed = (update(outbox).where(columns.id == bindparam("row_id"))
                             .values(attempts=columns.attempts + 1, last_error=bindparam("error")))

    def wake(self, *_: Any) -> None:
        self._wake.set()

    def run(self) -> None:
        """Loop until ``stop``: publish whenever woken, and sweep at least every
        ``sweep_seconds`` for what an earlier run left unpublished."""
        self._running = True
        while self._running:
            self._wake.wait(self.sweep_seconds)
            self._wake.clear()
            if not self._running:
                break
            try:
                # A flush short of a full batch found the outbox drained; a commit since then
                # has woken the relay again.
                while self.flush() >= self.batch_size:
                    pass
            except Exception as exc:  # broker or database down: try again shortly
                log.warning("outbox relay could not publish: %s", failure_reason(exc))
                self.metrics.publish_failures.labels(self.metrics.agency, type(exc).__name__).inc()
                time.sleep(self.retry_seconds)
        try:
            self.flush()  # what was committed while stopping; a later start sends it otherwise
        except Exception as exc:
            log.warning("outbox relay left events unpublished at stop: %s", failure_reason(exc))

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def flush(self) -> int:
        """Publish what is due, in rounds, until a round has nothing new to try or
        ``batch_size`` events have gone; return how many were sent. A round whose every event
        was parked goes on to the next: parked events never hold other cases back. A round
        that sent all it found, with no commit since it read (the wake not set again), is the
        last: another would only read the outbox to find nothing."""
        sent = 0
        while sent < self.batch_size:
            sent_now, tried, complete = self._round(self.batch_size - sent)
            sent += sent_now
            if (sent_now == 0 and tried == 0) or (complete and not self._wake.is_set()):
                break
        return sent

    def _round(self, room: int) -> tuple[int, int, bool]:
        """One round of at most ``room`` events (a parked one due again besides): (events sent,
        events tried that were not parked before, whether it sent every event it found but the
        parked ones not yet due: no case left out for want of room or held by another relay, no
        event refused, no cases read again to join it)."""
        with self.engine.connect() as reading:  # the listing and the held cases' rows: one checkout
            waiting, parked = self._waiting(reading)
            now = time.monotonic()
            self._parked_tried = {i: t for i, t in self._parked_tried.items() if i in parked}
            due = {i for i in parked if now - self._parked_tried.get(i, -float("inf"))
                   >= self.parked_retry_seconds}
            chosen: dict[str, list[int]] = {}
            complete = True
            for case_id, ids in waiting.items():
                if ids[0] not in due and (ids[0] in parked or room <= 0):
                    complete = complete and ids[0] in parked
                    continue
                chosen[case_id] = ids[:max(room, 1)]
                complete = complete and len(chosen[case_id]) == len(ids)
                room -= len(chosen[case_id])
            if not chosen:
                self.metrics.outbox_parked.labels(self.metrics.agency).set(len(parked))
                return 0, 0, complete
            with claims(self.engine, LockSpace.OUTBOX) as take:
                cases = self._held(reading, take, chosen)
                reading.close()  # back to the pool before the broker's waits
                sent, tried, read_again = self._sent_in_order(cases, take, room, parked, now)
        complete = complete and len(cases) == len(chosen) and not read_again and len(sent) == len(tried)
        return len(sent), len([row for row in tried if row.id not in due]), complete

    def _sent_in_order(self, cases: list[list[Opened]], take: Callable[[list[str]], list[str]], room: int,
                       parked: set[int], now: float) -> tuple[dict[int, dict[str, Any]], list[Any], bool]:
        """The held cases' events published in order, cases committed meanwhile joining up to
        ``room`` events; what the broker confirmed marked sent, what it did not parked. What was
        confirmed (row id -> envelope), the rows tried, and whether the outbox was read again
        for cases to join."""
        read_again = False

        def joining(in_round: set[str]) -> list[list[Opened]]:
            """Cases committed since the round began, to go in its next wave rather than
            wait for its end: only when a commit woke the relay, up to ``room`` in all."""
            nonlocal room, read_again
            if not self._wake.is_set() or room <= 0:
                return []
            self._wake.clear()
            read_again = True  # ``flush`` goes on with rounds until one finds nothing
            with self.engine.connect() as reading:
                later, later_parked = self._waiting(reading)
                joined: dict[str, list[int]] = {}
                for case_id, ids in later.items():
                    if room > 0 and case_id not in in_round and ids[0] not in later_parked:
                        joined[case_id] = ids[:room]
                        room -= len(joined[case_id])
                return self._held(reading, take, joined)

        events, outcomes, answered = self._publish_in_order(cases, joining)
        # Only what the broker confirmed is marked sent, in one transaction. A crash before
        # the mark re-sends the round and consumers drop the duplicates by event id.
        sent = {row.id: json.loads(body) for (row, body), outcome in zip(events, outcomes, strict=True)
                if outcome is None and isinstance(body, str)}
        self._mark_published(sent)
        self._note_outcomes(events, outcomes, answered, sent, parked, now)
        return sent, [row for row, _ in events], read_again

    def _held(self, connection: Connection, take: Callable[[list[str]], list[str]],
              chosen: dict[str, list[int]]) -> list[list[Opened]]:
        """Of the chosen cases, those this relay now holds, each with its events still unsent
        in commit order. Read once the case is held: what another relay sent meanwhile is gone,
        so what is left is the case's earliest unsent events."""
        if not chosen:
            return []
        held = take(list(chosen))
        by_case: dict[str, list[Opened]] = {}
        for row, body in self._rows(connection, [i for case_id in held for i in chosen[case_id]]):
            by_case.setdefault(row.case_id, []).append((row, body))
        return list(by_case.values())

    def _publish_in_order(self, cases: list[list[Opened]],
                          joining: Callable[[set[str]], list[list[Opened]]]
                          ) -> tuple[list[Opened], list[Any], list[datetime]]:
        """Each case's events in commit order, one per case in flight: a wave publishes the next
        event of every case whose events so far were confirmed, and waits for the wave's
        confirms together (a round trip per wave, not per event); cases ``joining`` gives join
        the next wave. A case stops at an event not confirmed, or whose body does not open (its
        case's data key erased, a key-encryption key missing): that one is parked, its later
        ones wait. What was tried, per event None (confirmed) or why not, and when its wave's
        confirms came."""
        tried: list[Opened] = []
        outcomes: list[Any] = []
        answered: list[datetime] = []
        in_round = {events[0][0].case_id for events in cases if events}
        going = [iter(events) for events in cases if events]
        wave = [next(events) for events in going]
        while wave:
            confirms = iter(self.publisher.publish_many([
                Outgoing(body, row.exchange, row.routing_key, message_id=row.event_id,
                         headers=case_headers(row.case_id, row.id))
                for row, body in wave if isinstance(body, str)]))
            wave_outcomes = [next(confirms) if isinstance(body, str) else body for _, body in wave]
            tried += wave
            outcomes += wave_outcomes
            answered += [self.clock.now()] * len(wave)
            going = [events for events, outcome in zip(going, wave_outcomes, strict=True) if outcome is None]
            joined = joining(in_round)
            in_round |= {events[0][0].case_id for events in joined}
            going += [iter(events) for events in joined]
            wave, going = _next_of_each(going)
        return tried, outcomes, answered

    def _note_outcomes(self, tried: list[Opened], outcomes: list[Any], answered: list[datetime],
                       sent: dict[int, dict[str, Any]], parked: set[int], now: float) -> None:
        """Count what was sent, and how long after its commit; park, with its reason, what was
        not."""
        still_parked = parked - set(sent)
        failures: list[tuple[int, str]] = []
        for (row, _), outcome, confirmed_at in zip(tried, outcomes, answered, strict=True):
            if outcome is None:
                self._parked_tried.pop(row.id, None)
                self.metrics.observe_published(row.event_type, sent[row.id]["payload"])
                self.metrics.outbox_delay.labels(self.metrics.agency).observe(
                    max(0.0, (confirmed_at - row.created_at).total_seconds()))
                continue
            # Parked: an unroutable event means a missing binding, an operator's matter. Its
            # case waits behind it; it is tried again every ``parked_retry_seconds``.
            if row.id not in parked:
                log.error("outbox event %s (%s, case %s) parked: %s; the case's later events "
                          "wait behind it", row.event_id, row.event_type, row.case_id, outcome)
            self._parked_tried[row.id] = now
            still_parked.add(row.id)
            failures.append((row.id, str(outcome)))
            reason = ("unroutable" if isinstance(outcome, Unroutable) else
                      "unreadable" if isinstance(outcome, PersonalDataError) else "refused")
            self.metrics.publish_failures.labels(self.metrics.agency, reason).inc()
        self._record_failures(failures)
        self.metrics.outbox_parked.labels(self.metrics.agency).set(len(still_parked))

    def _waiting(self, connection: Connection) -> tuple[dict[str, list[int]], set[int]]:
        """Each case's unpublished events in commit order, cases in the order of their
        earliest; and those earliest that are parked (refused before). Reads ids only, so a
        long backlog stays cheap."""
        pending = connection.execute(self._pending).all()
        connection.rollback()
        waiting: dict[str, list[int]] = {}
        parked: set[int] = set()
        for row in pending:
            ids = waiting.setdefault(row.case_id, [])
            if not ids and row.last_error is not None:
                parked.add(row.id)
            ids.append(row.id)
        return waiting, parked

    def _rows(self, connection: Connection, ids: list[int]) -> list[Opened]:
        """The rows still unpublished, in commit order, each with its body opened (in memory
        only), or why it does not open."""
        if not ids:
            return []
        with connection.begin():
            case_keys = None if self.case_keys is None else self.case_keys(connection)
            if case_keys is None:
                rows = connection.execute(self._unsent, {"ids": ids}).all()
            else:  # the rows and their cases' data keys in one read; each key unwrapped once
                if self._unsent_with_keys is None:
                    self._unsent_with_keys = beside_wrapped_keys(self._unsent, case_keys.table, self.outbox.c.case_id)
                rows = connection.execute(self._unsent_with_keys, {"ids": ids}).all()
                # A key that does not unwrap parks its own events below, no other.
                case_keys.keep((row.case_id, row.key_kek_id, row.key_wrapped) for row in rows)
            opened = [(row, self._opened(case_keys, row)) for row in rows]
        return opened

    @staticmethod
    def _opened(case_keys: CaseKeys | None, row: Any) -> str | PersonalDataError:
        try:
            return opened_body(case_keys, row.case_id, row.body)
        except PersonalDataError as exc:
            return exc

    def _mark_published(self, envelopes: dict[int, dict[str, Any]]) -> None:
        """Confirmed: marked published, the body cut down to its header (no payload)."""
        if not envelopes:
            return
        sent_at = self.clock.now()
        with self.engine.begin() as connection:
            connection.execute(self._mark_sent, [
                {"row_id": row_id, "sent_at": sent_at, "header": header_of(envelope)}
                for row_id, envelope in envelopes.items()])

    def _record_failures(self, failures: list[tuple[int, str]]) -> None:
        if not failures:
            return
        with self.engine.begin() as connection:
            connection.execute(self._mark_failed,
                               [{"row_id": row_id, "error": error[:2000]} for row_id, error in failures])


def _next_of_each(going: list[Iterator[Opened]]) -> tuple[list[Opened], list[Iterator[Opened]]]:
    """The next event of each case that has one, and those cases."""
    wave: list[Opened] = []
    still: list[Iterator[Opened]] = []
    for events in going:
        following = next(events, None)
        if following is not None:
            wave.append(following)
            still.append(events)
    return wave, still

