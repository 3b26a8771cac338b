"""The portal's pooled RPC connections: reused across page views, never shared by two threads at
once, thrown away when broken."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from nameko.exceptions import RemoteError

from portal.rpc import RpcPool


class FakeProxy:
    """A started proxy: ``proxy.trail.trail(case_id)``; records whether two threads used it at once."""

    def __init__(self, pool_log: list[FakeProxy], fail_with: BaseException | None = None) -> None:
        self.fail_with, self.in_use, self.overlapped, self.calls = fail_with, 0, False, 0
        self.stopped = False
        pool_log.append(self)
        self.trail = TrailService(self)

    def stop(self) -> None:
        self.stopped = True

    def answer(self, case_id: str) -> dict[str, Any]:
        self.in_use += 1
        self.overlapped |= self.in_use > 1
        self.calls += 1
        try:
            threading.Event().wait(0.01)
            if self.fail_with is not None:
                raise self.fail_with
            return {"case_id": case_id}
        finally:
            self.in_use -= 1


class TrailService:
    """The ``trail`` service as seen through one proxy."""

    def __init__(self, proxy: FakeProxy) -> None:
        self.proxy = proxy

    def trail(self, case_id: str, **kwargs: Any) -> dict[str, Any]:
        return self.proxy.answer(case_id)


def pool_of(*failures: BaseException | None) -> tuple[RpcPool, list[FakeProxy]]:
    started: list[FakeProxy] = []
    planned = list(failures)
    def start() -> tuple[FakeProxy, Callable[[], None]]:
        proxy = FakeProxy(started, planned.pop(0) if planned else None)
        return proxy, proxy.stop

    pool = RpcPool("amqp://unused", start=start)
    return pool, started


def test_page_views_one_after_another_reuse_one_connection() -> None:
    pool, started = pool_of()
    for n in range(5):
        assert pool.call("trail", "trail", f"LD-{n}") == {"case_id": f"LD-{n}"}
    assert pool.started == 1 and started[0].calls == 5


def test_concurrent_page_views_never_share_a_connection() -> None:
    pool, started = pool_of()
    threads = [threading.Thread(target=pool.call, args=("trail", "trail", "LD-1")) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(p.calls for p in started) == 8
    assert not any(p.overlapped for p in started)


def test_a_broken_connection_is_thrown_away_and_the_call_tried_once_more() -> None:
    pool, started = pool_of(ConnectionResetError("broker went away"))
    assert pool.call("trail", "trail", "LD-1") == {"case_id": "LD-1"}
    assert len(started) == 2
    pool.call("trail", "trail", "LD-2")
    assert started[0].calls == 1 and started[1].calls == 2  # the broken one was not put back
    assert started[0].stopped and not started[1].stopped


def test_a_connection_broken_twice_fails_the_call() -> None:
    pool, _ = pool_of(OSError("down"), OSError("still down"))
    with pytest.raises(OSError):
        pool.call("trail", "trail", "LD-1")


def test_a_remote_error_is_the_services_answer_and_keeps_the_connection() -> None:
    pool, started = pool_of(RemoteError("UnknownCase", "no trail"))
    with pytest.raises(RemoteError):
        pool.call("trail", "trail", "LD-1")
    assert len(started) == 1 and pool.started == 1
