"""How often one client address may file a claim, or have an access code checked, per minute:
the public endpoints need no account, so this is what keeps one address from flooding intake
and from guessing access codes."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from disputes_shared.plumbing.forwarding import TrustedProxies


class FilingRate:
    """A sliding window per client address, in this process: the first count of a request,
    before every replica's (``ClientLimit``)."""

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


# What the replicas counted together: (scope, client, minute) -> that minute's count, this
# request included, and the minute before's.
SharedCount = Callable[[str, str, int], tuple[int, int]]


@dataclass(frozen=True)
class ClientLimit:
    """A limit per client address, the address found through the deployment's trusted proxies
    (the ingress controller, the worker portal), so that the workers behind a proxy are each
    counted, not counted together as the proxy. A request is counted first in this replica
    (a flood is turned away here, without a write), then, if it passes, with every replica's
    (``SharedCount``): the two last minutes' counts, the earlier one weighed by the part of it
    still inside the sliding minute."""

    scope: str
    rate: FilingRate
    proxies: TrustedProxies
    wall_clock: Callable[[], float] = time.time

    @classmethod
    def of(cls, scope: str, per_minute: int, trusted_proxies: str = "") -> ClientLimit:
        """From the settings: requests a minute (0: no limit), the trusted proxies' list."""
        return cls(scope, FilingRate(per_minute), TrustedProxies.parse(trusted_proxies))

    def check(self, peer: str | None, forwarded_for: str | None, shared: SharedCount | None = None) -> None:
        """Raises ``TooOften`` when the request's client is over the limit (and counts it)."""
        client = self.proxies.client_of(peer or "", forwarded_for)
        wait = self.rate.allow(client)
        if wait is None and shared is not None and self.rate.per_minute > 0:
            wait = self._shared_wait(*self._counted(shared, client))
        if wait is not None:
            raise TooOften(wait)

    def _counted(self, shared: SharedCount, client: str) -> tuple[int, int, float]:
        minute, into = divmod(self.wall_clock(), 60)
        current, previous = shared(self.scope, client, int(minute))
        return current, previous, into

    def _shared_wait(self, current: int, previous: int, into: float) -> float | None:
        limit = self.rate.per_minute
        if current + previous * (60 - into) / 60 <= limit:
            return None
        if current > limit or previous == 0:
            return 60 - into  # this minute alone is over: the next one
        # The earlier minute's weight falls as the window slides: until it is under the limit.
        return 60 - (limit - current) * 60 / previous - into
