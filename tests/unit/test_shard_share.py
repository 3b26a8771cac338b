"""A replica's share of its service's inbox shards (``plumbing.messaging.share_of_shards``)."""

from __future__ import annotations

import pytest

from disputes_shared.plumbing.messaging import share_of_shards


@pytest.mark.parametrize(("shards", "replicas", "share"), [
    (4, 1, 4), (4, 2, 2), (4, 3, 2), (4, 4, 1), (4, 6, 1), (6, 3, 2), (6, 4, 2),
    (4, 0, 4),  # the replicas could not be counted: alone
])
def test_a_replicas_share_is_the_shards_over_the_replicas_rounded_up(shards, replicas, share):
    assert share_of_shards(shards, replicas) == share


@pytest.mark.parametrize("shards", range(1, 13))
@pytest.mark.parametrize("replicas", range(1, 9))
def test_the_replicas_shares_cover_every_shard_and_none_is_left_without_one(shards, replicas):
    share = share_of_shards(shards, replicas)
    assert share * replicas >= shards  # every shard can have a replica that keeps it
    assert share >= 1 and (share - 1) * replicas < shards  # no more than needed
