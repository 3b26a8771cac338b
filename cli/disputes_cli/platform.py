"""Talking to a running platform: the intake HTTP API and the services' RPC over the broker,
each command sent with the token of the staff member whose job it is."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import requests

from disputes_shared.contract.agencies import OPERATOR, Agency
from disputes_shared.identity.roles import Role
from disputes_shared.plumbing.access import AUTHORIZATION
from disputes_shared.plumbing.config import amqp_uri, http_port
from disputes_shared.plumbing.messaging import CallerRpcProxy

RECEIVING_SERVICES = ("mediation", "legal_aid", "arbitration", "courts_bridge")


class Platform:
    """``tokens(role)`` gives a bearer token for a role (default: the development issuer's);
    ``role_for(service, method)`` chooses the role a command is sent as (default: the first
    the roles table allows). One RPC client per role, since nameko sends a client's context
    data with each of its calls; renewed before its token runs out."""

    def __init__(self, amqp: str | None = None, intake_url: str | None = None,
                 timeout: float = 30.0, tokens: Callable[[Role], str] | None = None,
                 role_for: Callable[[str, str], Role | None] | None = None,
                 token_minutes: float = 30) -> None:
        from .signin import DevelopmentStaff, staff_role

        self.intake_url = intake_url or f"http://127.0.0.1:{http_port(Agency.INTAKE)}"
        self.amqp, self.timeout, self.token_minutes = amqp or amqp_uri(), timeout, token_minutes
        self.tokens = tokens or DevelopmentStaff(minutes=token_minutes).token
        self.role_for = role_for or staff_role
        self._clients: dict[Role | None, tuple[float, CallerRpcProxy, Any]] = {}
        self.http = requests.Session()

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *exc: Any) -> None:
        for _, proxy, _ in self._clients.values():
            proxy.stop()
        self._clients.clear()
        self.http.close()

    def _client(self, role: Role | None) -> Any:
        renew_at, proxy, client = self._clients.get(role, (0.0, None, None))
        if client is not None and time.monotonic() < renew_at:
            return client
        if proxy is not None:
            proxy.stop()
        context = {AUTHORIZATION: f"Bearer {self.tokens(role)}"} if role is not None else {}
        # As the operator's broker user (its own reply queues), signed in as the role's person.
        proxy = CallerRpcProxy({"AMQP_URI": self.amqp, "serializer": "json"}, OPERATOR,
                               context_data=context, timeout=self.timeout)
        client = proxy.start()
        self._clients[role] = (time.monotonic() + self.token_minutes * 60 * 0.8, proxy, client)
        return client

    def method(self, service: str, method: str) -> Any:
        return getattr(getattr(self._client(self.role_for(service, method)), service), method)

    def file_claim(self, claim: dict[str, Any]) -> requests.Response:
        return self.http.post(f"{self.intake_url}/v1/claims", json=claim, timeout=30)

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.method(service, method)(*args, **kwargs)

    def call_many(self, calls: Iterable[tuple[str, str, tuple[Any, ...], dict[str, Any]]]) -> list[Any]:
        """Send the calls at once and collect the replies (or the exceptions) in order."""
        pending = [self.method(s, m).call_async(*a, **k) for s, m, a, k in calls]
        results: list[Any] = []
        for reply in pending:
            try:
                results.append(reply.result())
            except Exception as exc:  # reported per call by the caller
                results.append(exc)
        return results
