"""The operations port: ``/metrics``, ``/health/live`` and ``/health/ready`` on a port of their
own (``OPS_SERVER_ADDRESS``), apart from the port the agency's clients use, so that the network
policies can open it to Prometheus alone.

A scrape reads the registry and nothing else: the gauges that need the database are refreshed
by the service's own timer. A readiness probe checks the database and the broker, but at most
once per ``READINESS_CACHE_SECONDS``; probes in between get the last answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import eventlet
from eventlet import wsgi
from eventlet.semaphore import Semaphore
from kombu import Connection
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request, Response

from .metrics import MetricsRegistry

log = logging.getLogger(__name__)

READINESS_CACHE_SECONDS = 2.0

Check = Callable[[], dict[str, str]]  # names what it checked: "ok" or "failed: why"


class CachedReadiness:
    """Runs ``check`` at most once per ``seconds``; callers in between, or waiting while it
    runs, get its last result, so probes cannot pile up database or broker connections."""

    def __init__(self, check: Check, seconds: float = READINESS_CACHE_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.check = check
        self.seconds = seconds
        self.monotonic = monotonic
        self.lock = Semaphore()
        self.checked_at: float | None = None
        self.checks: dict[str, str] = {}

    def __call__(self) -> dict[str, str]:
        with self.lock:
            if self.checked_at is None or self.monotonic() - self.checked_at >= self.seconds:
                self.checks = self.check()
                self.checked_at = self.monotonic()
            return self.checks


def operations_app(exposition: Callable[[], bytes], readiness: Check) -> Callable[..., Any]:
    """The WSGI application of the operations port."""

    def respond(request: Request) -> Response:
        if request.method != "GET":
            return Response("GET only\n", status=405, headers={"Allow": "GET"})
        if request.path == "/metrics":
            return Response(exposition(), mimetype="text/plain; version=0.0.4")
        if request.path == "/health/live":
            # The process serves requests. Deliberately checks nothing outside it: a broker or
            # database outage must not get every replica restarted (readiness covers those).
            return Response(json.dumps({"status": "ok"}), mimetype="application/json")
        if request.path == "/health/ready":
            checks = readiness()
            healthy = all(v == "ok" for v in checks.values())
            return Response(json.dumps({"status": "ok" if healthy else "failing", "checks": checks}),
                            status=200 if healthy else 503, mimetype="application/json")
        return Response("not found\n", status=404)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return respond(Request(environ))(environ, start_response)

    return app


def broker_check(amqp_uri: str) -> str:
    try:
        with Connection(amqp_uri, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
        return "ok"
    except Exception as exc:
        return f"failed: {exc}"


class OperationsServer(DependencyProvider):
    """Serves the operations port for the life of the container. Workers get nothing from it;
    it is a dependency so that nameko starts and stops it with the service.

    Readiness is not a constant: it reads the schema revision from the service's database
    (its ``Storage``) and opens a connection to the broker, and says which failed.
    """

    metrics_registry = MetricsRegistry()

    def setup(self) -> None:
        host, _, port = self.container.config["OPS_SERVER_ADDRESS"].rpartition(":")
        self.bind_address = (host or "0.0.0.0", int(port))
        self.readiness = CachedReadiness(self.check_readiness)

    def check_readiness(self) -> dict[str, str]:
        """Fit to take work: the database answers and is at this release's schema revision,
        and the broker accepts a connection."""
        from .nameko_deps import Storage  # nameko_deps builds on this module

        storage = next(d for d in self.container.dependencies if isinstance(d, Storage))
        checks: dict[str, str] = {}
        try:
            lag = storage.database().schema_lag()
            checks["database"] = "ok"
            checks["schema"] = "ok" if lag is None else f"failed: {lag}"
        except Exception as exc:
            checks["database"] = f"failed: {exc}"
            checks["schema"] = "failed: database not reachable"
        checks["broker"] = broker_check(self.container.config["AMQP_URI"])
        return checks

    def start(self) -> None:
        self.socket = eventlet.listen(self.bind_address)
        app = operations_app(self.metrics_registry.metrics.exposition, self.readiness)
        self.server = self.container.spawn_managed_thread(
            lambda: wsgi.server(self.socket, app, log=log, log_output=False),
            identifier="operations-server")

    def stop(self) -> None:
        self.server.kill()
        self.socket.close()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> None:
        return None
