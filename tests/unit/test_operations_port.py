"""The operations port's application and its readiness cache, without a server."""

from __future__ import annotations

from werkzeug.test import Client

from disputes_shared.plumbing.operations import CachedReadiness, operations_app


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_readiness_is_checked_again_only_after_the_cache_expires():
    clock, calls = Ticking(), []
    readiness = CachedReadiness(lambda: calls.append(clock.now) or {"database": "ok"}, 2.0, clock)
    readiness()
    clock.now += 1.9
    readiness()
    assert calls == [100.0]
    clock.now += 0.1
    readiness()
    assert calls == [100.0, 102.0]


def test_the_app_serves_metrics_and_health_and_nothing_else():
    checks = {"database": "ok", "broker": "failed: refused"}
    client = Client(operations_app(lambda: b"disputes_up 1.0\n", lambda: checks))
    assert client.get("/metrics").data == b"disputes_up 1.0\n"
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and ready.json == {"status": "failing", "checks": checks}
    checks["broker"] = "ok"
    assert client.get("/health/ready").status_code == 200
    assert client.get("/v1/claims").status_code == 404
    assert client.post("/metrics").status_code == 405
