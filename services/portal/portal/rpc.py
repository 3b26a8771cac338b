"""The portal's RPC client: started connections kept and reused across page views.

A nameko standalone proxy is not safe to share between threads, and starting one per page view
costs a broker connection, a channel and a reply queue each time. So idle proxies wait in a
pool; a page's thread takes one, uses it alone, and puts it back. A proxy whose connection
failed is stopped and thrown away, never put back.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nameko.exceptions import RemoteError, RpcTimeout

from disputes_shared.contract.agencies import PORTAL, Agency
from disputes_shared.plumbing.config import SERVICE_NAMES
from disputes_shared.plumbing.messaging import CallerRpcProxy

# A started proxy and how to stop it (its connection and reply queue).
Started = tuple[Any, Callable[[], None]]


class RpcPool:
    def __init__(self, amqp_uri: str, timeout: float = 10.0, keep: int = 4,
                 start: Callable[[], Started] | None = None) -> None:
        self._config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        self._timeout = timeout
        self._idle: queue.LifoQueue[Started] = queue.LifoQueue(maxsize=keep)
        self._start = start or self._start_proxy
        self._lock = threading.Lock()
        self.started = 0  # how many proxies were ever started: tests count reuse with it

    def _start_proxy(self) -> Started:
        # Replies come back on the portal's own reply queue, which only its broker user reads.
        runner = CallerRpcProxy(self._config, PORTAL, timeout=self._timeout)
        return runner.start(), runner.stop

    @contextmanager
    def proxy(self) -> Iterator[Any]:
        try:
            started = self._idle.get_nowait()
        except queue.Empty:
            started = self._start()
            with self._lock:
                self.started += 1
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

    @staticmethod
    def _stop(started: Started) -> None:
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
            return dict(pool.call("trail", "trail", case_id, accessed_by="worker portal (case number)"))
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
