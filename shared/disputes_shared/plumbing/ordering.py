"""Per-case ordering in a consumer: one event of a case at a time, in the order delivered.

The agency's queue delivers a case's events in the order their publishers committed them (each
relay publishes in commit order). Handlers of different cases may interleave (a green database
driver yields while it waits), so the consumer keeps a lane per case: an event starts only when
the one delivered before it for the same case has been acked or parked, retries included.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class CaseLanes(Generic[T]):
    """Deliveries waiting their turn, by case. Not thread-safe: used from one green hub."""

    def __init__(self) -> None:
        self._lanes: dict[str, deque[T]] = {}

    def admit(self, case_id: str, delivery: T) -> bool:
        """Queue a delivery behind its case's; True when it may start at once."""
        lane = self._lanes.get(case_id)
        if lane is None:
            self._lanes[case_id] = deque([delivery])
            return True
        lane.append(delivery)
        return False

    def finish(self, case_id: str) -> T | None:
        """The case's running delivery is settled (acked, parked or requeued); the next one of
        the case, which may start now, if any."""
        lane = self._lanes[case_id]
        lane.popleft()
        if lane:
            return lane[0]
        del self._lanes[case_id]
        return None

    def give_back(self, case_id: str) -> list[T]:
        """The case's running delivery went back to the broker: its waiting ones, in order, go
        back behind it; the lane is empty."""
        lane = self._lanes.pop(case_id)
        lane.popleft()
        return list(lane)

    def waiting(self) -> int:
        """Deliveries held back behind an earlier one of their case."""
        return sum(len(lane) - 1 for lane in self._lanes.values())
