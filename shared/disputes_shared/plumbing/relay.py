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

from ..contract.clock import Clock
from ..kit.broker import ConfirmedPublisher, Unroutable
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
                while self.flush() == self.batch_size:
                    pass
            except Exception as exc:  # broker or database down: try again shortly
                log.warning("outbox relay could not publish: %s", exc)
                self.metrics.publish_failures.labels(self.metrics.agency, type(exc).__name__).inc()
                time.sleep(self.retry_seconds)
        self.flush()

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
        sent: list[int] = []
        try:
            for row in rows:
                try:
                    self.publisher.publish(row.body, row.exchange, row.routing_key,
                                           message_id=row.event_id)
                except Unroutable as exc:
                    # Stop at the first one: later events of the case must not overtake it.
                    self._record_failure(row.id, str(exc))
                    self.metrics.publish_failures.labels(self.metrics.agency, "unroutable").inc()
                    break
                sent.append(row.id)
                self.metrics.observe_published(row.event_type, json.loads(row.body)["payload"])
        finally:
            self._mark_published(sent)
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
