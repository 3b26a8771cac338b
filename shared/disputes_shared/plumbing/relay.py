"""The outbox relay: publishes committed events, marks them sent once the broker confirms.

It wakes when a unit of work commits and also sweeps on a timer, so events a crash left
unpublished are sent after a restart. An event marked published was confirmed; an event that was
published but not yet marked (a crash between the two) is sent again, and consumers drop the
duplicate by its event id.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from sqlalchemy import Engine, Table, select, update

from ..clocks.wall import Clock
from ..kit.broker import ConfirmedPublisher, Outgoing, Unroutable
from .metrics import PlatformMetrics
from .storage import Outbox

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, engine: Engine, outbox: Table, publisher: ConfirmedPublisher,
                 metrics: PlatformMetrics, clock: Clock, batch_size: int = 200,
                 sweep_seconds: float = 1.0, retry_seconds: float = 1.0) -> None:
        self.engine = engine
        self.outbox = outbox
        self.publisher = publisher
        self.metrics = metrics
        self.clock = clock
        self.batch_size = batch_size
        self.sweep_seconds = sweep_seconds
        self.retry_seconds = retry_seconds
        # Under eventlet's monkey patching this is a green event: waiting on it yields.
        self._wake = threading.Event()
        self._running = False

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
                log.warning("outbox relay could not publish: %s", exc)
                self.metrics.publish_failures.labels(self.metrics.agency, type(exc).__name__).inc()
                time.sleep(self.retry_seconds)
        try:
            self.flush()  # what was committed while stopping; a later start sends it otherwise
        except Exception as exc:
            log.warning("outbox relay left events unpublished at stop: %s", exc)

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def flush(self) -> int:
        """Publish one batch of unpublished events in commit order; return how many were sent."""
        columns = self.outbox.c
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(columns.id, columns.exchange, columns.routing_key, columns.body,
                       columns.event_id, columns.event_type)
                .where(columns.published_at.is_(None)).order_by(columns.id).limit(self.batch_size)
            ).all()
            connection.rollback()
        if not rows:
            return 0
        # The whole batch is published, then its confirms awaited together; only what the
        # broker confirmed is marked sent, in one transaction. A crash before the mark
        # re-sends the batch and consumers drop the duplicates by event id.
        outcomes = self.publisher.publish_many([
            Outgoing(row.body, row.exchange, row.routing_key, message_id=row.event_id)
            for row in rows])
        sent = [row.id for row, outcome in zip(rows, outcomes, strict=True) if outcome is None]
        self._mark_published(sent)
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome is None:
                self.metrics.observe_published(row.event_type, json.loads(row.body)["payload"])
            else:
                # Kept unpublished with the reason, and sent again on every sweep until a queue
                # is bound: an unroutable event means a missing binding, an operator's matter.
                self._record_failure(row.id, str(outcome))
                reason = "unroutable" if isinstance(outcome, Unroutable) else "refused"
                self.metrics.publish_failures.labels(self.metrics.agency, reason).inc()
        return len(sent)

    def unpublished(self) -> int:
        with self.engine.connect() as connection:
            count = Outbox(connection, self.outbox).unpublished_count()
            connection.rollback()
        return count

    def _mark_published(self, ids: list[int]) -> None:
        if not ids:
            return
        with self.engine.begin() as connection:
            connection.execute(update(self.outbox).where(self.outbox.c.id.in_(ids)).values(
                published_at=self.clock.now(), attempts=self.outbox.c.attempts + 1))

    def _record_failure(self, row_id: int, error: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(self.outbox).where(self.outbox.c.id == row_id).values(
                attempts=self.outbox.c.attempts + 1, last_error=error[:2000]))
