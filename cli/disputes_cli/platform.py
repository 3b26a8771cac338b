"""Talking to a running platform: the intake HTTP API and the services' RPC over the broker."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from disputes_shared.contract.agencies import OPERATOR, Agency
from disputes_shared.plumbing.config import amqp_uri, http_port
from disputes_shared.plumbing.messaging import CallerRpcProxy

RECEIVING_SERVICES = ("mediation", "legal_aid", "arbitration", "courts_bridge")


class Platform:
    def __init__(self, amqp: str | None = None, intake_url: str | None = None,
                 timeout: float = 30.0) -> None:
        self.intake_url = intake_url or f"http://127.0.0.1:{http_port(Agency.INTAKE)}"
        self._proxy = CallerRpcProxy({"AMQP_URI": amqp or amqp_uri(), "serializer": "json"},
                                     OPERATOR, timeout=timeout)
        self.http = requests.Session()

    def __enter__(self) -> "Platform":
        self.rpc = self._proxy.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._proxy.stop()
        self.http.close()

    def file_claim(self, claim: dict[str, Any]) -> requests.Response:
        return self.http.post(f"{self.intake_url}/v1/claims", json=claim, timeout=30)

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(getattr(self.rpc, service), method)(*args, **kwargs)

    def call_many(self, calls: Iterable[tuple[str, str, tuple[Any, ...], dict[str, Any]]]) -> list[Any]:
        """Send the calls at once and collect the replies (or the exceptions) in order."""
        pending = [getattr(getattr(self.rpc, s), m).call_async(*a, **k) for s, m, a, k in calls]
        results: list[Any] = []
        for reply in pending:
            try:
                results.append(reply.result())
            except Exception as exc:  # reported per call by the caller
                results.append(exc)
        return results
