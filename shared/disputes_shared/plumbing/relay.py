"""The outbox relay: publishes committed events, marks them sent once the broker confirms.

It wakes when a unit of work commits and also sweeps on a timer, so events a crash left
unpublished are sent after a restart. An event marked published was confirmed; an event that was
published but not yet marked (a crash between the two) is sent again, and consumers drop the
duplicate by its event id.

A case's events go out in commit order, one at a time per case: only the earliest unpublished
event of each case is ever in flight, so a later one can never overtake it. An event the broker
does not take (unroutable: no queue bound; or refused) is parked: kept unpublished with its
reason, counted in ``disputes_outbox_parked``, and tried again every ``parked_retry_seconds``.
Its case's later events wait behind it; every other case flows on.

A body waits sealed under its case's data key (``outbox.py``): the relay opens it in memory to
publish it, and once the broker confirms it keeps only the header. A parked body stays sealed,
and what the relay logs and records of a failure names the event, never its content.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, select, update

from ..clocks.wall import Clock
from ..contract.routing import case_headers
from ..kit.broker import ConfirmedPublisher, Outgoing, Unroutable
from .messaging import failure_reason
from .metrics import PlatformMetrics
from .outbox import opened_body, purged_body
from .personal_data import PersonalDataError
from .sealed import CaseKeys

log = logging.getLogger(__name__)


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
                while self.flush() > 0:
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
        """Publish what is due, in rounds of at most one event per case (each case's earliest
        unpublished one), until a round has nothing new to try or ``batch_size`` events have
        gone; return how many were sent. A round whose every event was parked goes on to the
        next: parked events never hold other cases back."""
        sent = 0
        while sent < self.batch_size:
            sent_now, tried = self._round(self.batch_size - sent)
            sent += sent_now
            if sent_now == 0 and tried == 0:
                break
        return sent

    def _round(self, room: int) -> tuple[int, int]:
        """One round: (events sent, events tried that were not parked before)."""
        heads, parked = self._heads()
        now = time.monotonic()
        self._parked_tried = {i: t for i, t in self._parked_tried.items() if i in parked}
        due = [i for i in parked if now - self._parked_tried.get(i, -float("inf"))
               >= self.parked_retry_seconds]
        chosen = sorted(heads[:room] + due)
        if not chosen:
            self.metrics.outbox_parked.labels(self.metrics.agency).set(len(parked))
            return 0, 0
        with self._round_transaction() as held:
            rows = self._rows(held, chosen)
            # The round is published, then its confirms awaited together; only what the broker
            # confirmed is marked sent, in one transaction. A crash before the mark re-sends
            # the round and consumers drop the duplicates by event id.
            # A body that does not open (its case's data key erased, a key-encryption key
            # missing) is parked like an unroutable one, not sent, and holds back its case only.
            confirms = iter(self.publisher.publish_many([
                Outgoing(body, row.exchange, row.routing_key, message_id=row.event_id,
                         headers=case_headers(row.case_id))
                for row, body in rows if isinstance(body, str)]))
            outcomes = [next(confirms) if isinstance(body, str) else body for _, body in rows]
            sent = {row.id: body for (row, body), outcome in zip(rows, outcomes, strict=True)
                    if outcome is None and isinstance(body, str)}
            self._mark_published(held, sent)
            self._note_outcomes(held, rows, outcomes, sent, parked, now)
        return len(sent), len([row for row, _ in rows if row.id not in due])

    def _note_outcomes(self, held: Connection | None, rows: list[tuple[Any, str | PersonalDataError]],
                       outcomes: list[Any], sent: dict[int, str], parked: set[int], now: float) -> None:
        """Count what was sent; park, with its reason, what was not."""
        still_parked = parked - set(sent)
        for (row, _), outcome in zip(rows, outcomes, strict=True):
            if outcome is None:
                self._parked_tried.pop(row.id, None)
                self.metrics.observe_published(row.event_type, json.loads(sent[row.id])["payload"])
                continue
            # Parked: an unroutable event means a missing binding, an operator's matter. Its
            # case waits behind it; it is tried again every ``parked_retry_seconds``.
            if row.id not in parked:
                log.error("outbox event %s (%s, case %s) parked: %s; the case's later events "
                          "wait behind it", row.event_id, row.event_type, row.case_id, outcome)
            self._parked_tried[row.id] = now
            still_parked.add(row.id)
            self._record_failure(held, row.id, str(outcome))
            reason = ("unroutable" if isinstance(outcome, Unroutable) else
                      "unreadable" if isinstance(outcome, PersonalDataError) else "refused")
            self.metrics.publish_failures.labels(self.metrics.agency, reason).inc()
        self.metrics.outbox_parked.labels(self.metrics.agency).set(len(still_parked))

    @contextlib.contextmanager
    def _round_transaction(self) -> Iterator[Connection | None]:
        """On PostgreSQL, one transaction for a round: its rows are locked from read to mark
        (``FOR UPDATE SKIP LOCKED``), so another replica's relay skips them instead of sending
        them again, and goes on with other cases. On SQLite, none (None): each step is its own
        short transaction, as a write lock held across the broker's confirms would stop the
        service's own writers, and a file has one service process."""
        if self.engine.dialect.name != "postgresql":
            yield None
            return
        with self.engine.begin() as connection:
            yield connection

    @contextlib.contextmanager
    def _step(self, held: Connection | None) -> Iterator[Connection]:
        """The round's transaction, or else one of the step's own."""
        if held is not None:
            yield held
            return
        with self.engine.begin() as connection:
            yield connection

    def _heads(self) -> tuple[list[int], set[int]]:
        """Each case's earliest unpublished event, in commit order: those never refused, and
        those parked (refused before). Reads ids only, so a long backlog stays cheap."""
        columns = self.outbox.c
        with self.engine.connect() as connection:
            pending = connection.execute(
                select(columns.id, columns.case_id, columns.last_error)
                .where(columns.published_at.is_(None)).order_by(columns.id)).all()
            connection.rollback()
        heads: list[int] = []
        parked: set[int] = set()
        seen: set[str] = set()
        for row in pending:
            if row.case_id in seen:
                continue  # waits behind its case's earlier event
            seen.add(row.case_id)
            if row.last_error is None:
                heads.append(row.id)
            else:
                parked.add(row.id)
        return heads, parked

    def _rows(self, held: Connection | None, ids: list[int]) -> list[tuple[Any, str | PersonalDataError]]:
        """The rows, each with its body opened (in memory only), or why it does not open."""
        columns = self.outbox.c
        query = (select(columns.id, columns.exchange, columns.routing_key, columns.body,
                        columns.event_id, columns.event_type, columns.case_id)
                 # Still unpublished: another replica's relay may have sent and cut a row since
                 # the heads were read, and a cut row has no payload left to send.
                 .where(columns.id.in_(ids), columns.published_at.is_(None)).order_by(columns.id))
        if held is not None:
            query = query.with_for_update(skip_locked=True)  # rows another relay is sending
        with self._step(held) as connection:
            rows = connection.execute(query).all()
            case_keys = None if self.case_keys is None else self.case_keys(connection)
            if case_keys is not None:
                try:
                    case_keys.load(row.case_id for row in rows)
                except PersonalDataError:
                    pass  # a key that does not unwrap parks its own event below, no other
            opened = [(row, self._opened(case_keys, row)) for row in rows]
        return opened

    @staticmethod
    def _opened(case_keys: CaseKeys | None, row: Any) -> str | PersonalDataError:
        try:
            return opened_body(case_keys, row.case_id, row.body)
        except PersonalDataError as exc:
            return exc

    def _mark_published(self, held: Connection | None, bodies: dict[int, str]) -> None:
        """Confirmed: marked published, the body cut down to its header (no payload)."""
        if not bodies:
            return
        columns = self.outbox.c
        with self._step(held) as connection:
            connection.execute(
                update(self.outbox).where(columns.id == bindparam("row_id"),
                                          columns.published_at.is_(None)).values(
                    published_at=self.clock.now(), attempts=columns.attempts + 1,
                    body=bindparam("header")),
                [{"row_id": row_id, "header": purged_body(body)} for row_id, body in bodies.items()])

    def _record_failure(self, held: Connection | None, row_id: int, error: str) -> None:
        with self._step(held) as connection:
            connection.execute(update(self.outbox).where(self.outbox.c.id == row_id).values(
                attempts=self.outbox.c.attempts + 1, last_error=error[:2000]))
