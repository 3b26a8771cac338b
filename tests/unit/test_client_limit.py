"""A limit per client counted by every replica together: N replicas do not let a client through
N times, and the sliding minute weighs the minute before as it slides out."""

from __future__ import annotations

import pytest

from disputes_shared.plumbing.forwarding import TrustedProxies
from intake.filing_rate import ClientLimit, FilingRate, TooOften


class SharedCounts:
    """The replicas' common count, as intake's database keeps it."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}

    def __call__(self, scope: str, client: str, minute: int) -> tuple[int, int]:
        self.counts[scope, client, minute] = self.counts.get((scope, client, minute), 0) + 1
        return self.counts[scope, client, minute], self.counts.get((scope, client, minute - 1), 0)


def replica(per_minute: int, now: list[float]) -> ClientLimit:
    return ClientLimit("reading", FilingRate(per_minute, clock=lambda: now[0]), TrustedProxies(),
                       wall_clock=lambda: now[0])


def outcomes(limit: ClientLimit, shared: SharedCounts, times: int, client: str = "198.51.100.9") -> list[float | None]:
    waits: list[float | None] = []
    for _ in range(times):
        try:
            limit.check(client, None, shared)
            waits.append(None)
        except TooOften as refused:
            waits.append(refused.wait)
    return waits


def test_two_replicas_let_a_client_through_as_often_as_one() -> None:
    now, shared = [6000.0], SharedCounts()
    first, second = replica(3, now), replica(3, now)
    assert outcomes(first, shared, 2) == [None, None]
    assert outcomes(second, shared, 2)[0] is None
    assert outcomes(first, shared, 1)[0] == pytest.approx(60.0)  # 4 counted this minute, over 3
    assert outcomes(second, shared, 1, client="203.0.113.1") == [None]  # another client is its own


def test_the_minute_before_counts_as_much_of_it_as_the_window_still_covers() -> None:
    now, shared = [6000.0], SharedCounts()  # minute 100 starts at 6000 s
    assert outcomes(replica(4, now), shared, 4) == [None] * 4
    now[0] = 6105.0  # 45 s into minute 101: a quarter of minute 100 still weighs, 4 * 0.25 = 1
    late = replica(4, now)  # a replica that has not seen the client itself
    assert outcomes(late, shared, 3) == [None, None, None]  # 1 + 3 = 4
    (wait,) = outcomes(late, shared, 1)  # 4 this minute and 1 of the last: over
    assert wait == pytest.approx(15.0)  # this minute alone is at the limit: until the next


def test_a_client_refused_here_costs_the_database_nothing() -> None:
    now, shared = [6000.0], SharedCounts()
    limit = replica(2, now)
    outcomes(limit, shared, 10)
    assert sum(shared.counts.values()) == 2  # the flood stopped at this replica's own window


def test_no_limit_counts_nothing() -> None:
    now, shared = [6000.0], SharedCounts()
    assert outcomes(replica(0, now), shared, 5) == [None] * 5 and not shared.counts
