"""How many claims one client address may file per minute: the public filing endpoint needs no
account, so this is what keeps one address from flooding intake (and guessing access codes)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from disputes_shared.plumbing.forwarding import TrustedProxies


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


class TooOften(Exception):
    """Refused by a limit; ``wait``: the seconds until the address may try again."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"too many requests from this address; try again in {wait:.0f}s")
        self.wait = wait


@dataclass(frozen=True)
class ClientLimit:
    """A limit per client address, the address found through the deployment's trusted proxies
    (the ingress controller, the worker portal), so that the workers behind a proxy are each
    counted, not counted together as the proxy."""

    rate: FilingRate
    proxies: TrustedProxies

    @classmethod
    def of(cls, per_minute: int, trusted_proxies: str = "") -> ClientLimit:
        """From the settings: requests a minute (0: no limit), the trusted proxies' list."""
        return cls(FilingRate(per_minute), TrustedProxies.parse(trusted_proxies))

    def check(self, peer: str | None, forwarded_for: str | None) -> None:
        """Raises ``TooOften`` when the request's client is over the limit (and counts it)."""
        wait = self.rate.allow(self.proxies.client_of(peer or "", forwarded_for))
        if wait is not None:
            raise TooOften(wait)
