"""The portal's RPC client: started connections kept and reused across page views.

A nameko standalone proxy is not safe to share between threads, and starting one per page view
costs a broker connection, a channel and a reply queue each time. So idle proxies wait in a
pool; a page's thread takes one, uses it alone, and puts it back. A proxy whose connection
failed is stopped and thrown away, never put back.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nameko.exceptions import RemoteError, RpcTimeout

from disputes_shared.contract.agencies import PORTAL, Agency
from disputes_shared.plumbing.access import AUTHORIZATION
from disputes_shared.plumbing.config import SERVICE_NAMES
from disputes_shared.plumbing.messaging import CallerRpcProxy

# A started proxy and how to stop it (its connection and reply queue).
Started = tuple[Any, Callable[[], None]]


class RpcPool:
    """``token``: the portal's service-account token, sent with each call (nameko context data);
    a proxy older than ``max_age`` seconds is replaced, so its token never runs out."""

    def __init__(self, amqp_uri: str, timeout: float = 10.0, keep: int = 4,
                 start: Callable[[], Started] | None = None,
                 token: Callable[[], str] | None = None, max_age: float = 300.0) -> None:
        self._config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        self._timeout = timeout
        self._token = token
        self._max_age = max_age
        self._born: dict[int, float] = {}
        self._idle: queue.LifoQueue[Started] = queue.LifoQueue(maxsize=keep)
        self._start = start or self._start_proxy
        self._lock = threading.Lock()
        self.started = 0  # how many proxies were ever started: tests count reuse with it

    def _start_proxy(self) -> Started:
        # Replies come back on the portal's own reply queue, which only its broker user reads.
        context = {AUTHORIZATION: f"Bearer {self._token()}"} if self._token else {}
        runner = CallerRpcProxy(self._config, PORTAL, timeout=self._timeout, context_data=context)
        return runner.start(), runner.stop

    @contextmanager
    def proxy(self) -> Iterator[Any]:
        started = None
        while started is None:
            try:
                started = self._idle.get_nowait()
            except queue.Empty:
                started = self._start()
                with self._lock:
                    self.started += 1
                    self._born[id(started)] = time.monotonic()
            if time.monotonic() - self._born.get(id(started), time.monotonic()) > self._max_age:
                self._stop(started)  # its token is near its end: a fresh one
                started = None
        try:
            yield started[0]
        except (RemoteError, RpcTimeout):
            self._put_back(started)  # the connection is fine: the service answered, or was slow
            raise
        except BaseException:
            self._stop(started)
            raise
        self._put_back(started)

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """One RPC. A pooled connection the broker dropped while idle fails the first try, so a
        broken connection is retried once on a fresh one."""
        for attempt in (1, 2):
            try:
                with self.proxy() as rpc:
                    return getattr(getattr(rpc, service), method)(*args, **kwargs)
            except (RemoteError, RpcTimeout):
                raise
            except Exception:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _put_back(self, started: Started) -> None:
        try:
            self._idle.put_nowait(started)
        except queue.Full:
            self._stop(started)

    def _stop(self, started: Started) -> None:
        self._born.pop(id(started), None)
        try:
            started[1]()
        except Exception:  # noqa: BLE001 - it is being thrown away because it broke; nothing to keep
            pass

    def close(self) -> None:
        while True:
            try:
                self._stop(self._idle.get_nowait())
            except queue.Empty:
                return


# The agencies whose services keep statutory clocks (each answers ``case_clocks``).
CLOCK_KEEPERS = (Agency.MEDIATION, Agency.LEGAL_AID, Agency.ARBITRATION, Agency.COURTS)


def trail_reader(pool: RpcPool) -> Callable[[str], dict[str, Any] | None]:
    """The trail service's ``trail`` RPC, as the worker (recorded as the accessor)."""
    def read(case_id: str) -> dict[str, Any] | None:
        try:
            return dict(pool.call("trail", "trail", case_id))  # the trail records the portal as reader
        except RemoteError:
            return None  # no trail yet for this case number
    return read


def clocks_reader(pool: RpcPool) -> Callable[[str], tuple[list[dict[str, Any]], bool]]:
    """Every agency's clocks on one case, and whether every agency answered."""
    def read(case_id: str) -> tuple[list[dict[str, Any]], bool]:
        found: list[dict[str, Any]] = []
        complete = True
        for agency in CLOCK_KEEPERS:
            try:
                found += [{**c, "agency": str(agency)}
                          for c in pool.call(SERVICE_NAMES[agency], "case_clocks", case_id)]
            except (RemoteError, RpcTimeout, OSError):
                complete = False  # the page says some deadlines could not be read
        return found, complete
    return read
