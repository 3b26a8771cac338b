"""Per-case ordering in a consumer: a case's events in the order delivered, one run at a time.

The agency's queue delivers a case's events in the order their publishers committed them (each
relay publishes in commit order). Handlers of different cases may interleave (a green database
driver yields while it waits), so the consumer keeps a lane per case: a lane's first deliveries
start together, as one run applied in order in one transaction, and the next start only once
they are acked or parked, retries included.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class CaseLanes(Generic[T]):
    """Deliveries waiting their turn, by case. Not thread-safe: used from one green hub."""

    def __init__(self) -> None:
        self._lanes: dict[str, deque[T]] = {}
        self._started: dict[str, int] = {}  # lane -> how many of its first deliveries run

    def admit(self, case_id: str, delivery: T) -> bool:
        """Queue a delivery behind its case's; True when the case had none: it may start."""
        lane = self._lanes.get(case_id)
        if lane is None:
            self._lanes[case_id] = deque([delivery])
            return True
        lane.append(delivery)
        return False

    def start(self, case_id: str, limit: int = 1,
              alone: Callable[[T], bool] = lambda delivery: False) -> list[T]:
        """Start the case's first deliveries, at most ``limit``; one that must run ``alone``
        starts by itself, and ends a run before it."""
        lane = self._lanes[case_id]
        run = [lane[0]]
        if not alone(lane[0]):
            for delivery in list(lane)[1:limit]:
                if alone(delivery):
                    break
                run.append(delivery)
        self._started[case_id] = len(run)
        return run

    def first(self, case_id: str) -> T:
        return self._lanes[case_id][0]

    def stop(self, case_id: str) -> None:
        """The case's running deliveries were not applied: they start again, from the first."""
        del self._started[case_id]

    def finish(self, case_id: str) -> bool:
        """The case's running deliveries are settled (acked or parked); True when more wait,
        which may start now."""
        lane = self._lanes[case_id]
        for _ in range(self._started.pop(case_id, 1)):
            lane.popleft()
        if lane:
            return True
        del self._lanes[case_id]
        return False

    def give_back(self, case_id: str) -> list[T]:
        """The case's deliveries go back to the broker: every one, those running first, in
        order; the lane is empty."""
        self._started.pop(case_id, None)
        return list(self._lanes.pop(case_id))

    def waiting(self) -> int:
        """Deliveries held back behind an earlier one of their case."""
        return sum(len(lane) - self._started.get(case_id, 1) for case_id, lane in self._lanes.items())
