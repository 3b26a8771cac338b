"""How many claims one client address may file per minute: the public filing endpoint needs no
account, so this is what keeps one address from flooding intake (and guessing access codes)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class FilingRate:
    """A sliding window per client address, in this process. Each replica counts for itself,
    so a deployment of N replicas lets an address file up to N times the limit."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 addresses: int = 100_000) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.addresses = addresses  # the most addresses remembered: memory stays bounded
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> float | None:
        """None when the address may file now; else the seconds until it may."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        with self._lock:
            times = self._seen.setdefault(address, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return max(0.0, times[0] + 60 - now)
            times.append(now)
            if len(self._seen) > self.addresses:
                self._forget_idle(now)
            return None

    def _forget_idle(self, now: float) -> None:
        for address in [a for a, t in self._seen.items() if not t or t[-1] <= now - 60]:
            del self._seen[address]
