"""Talking to a running platform: the intake HTTP API and the services' RPC over the broker,
each command sent with the token of the staff member whose job it is."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import requests
from nameko.exceptions import RemoteError

from disputes_shared.contract.agencies import OPERATOR, Agency
from disputes_shared.identity.roles import ROLES_WITH_STATION, Role
from disputes_shared.plumbing.access import AUTHORIZATION
from disputes_shared.plumbing.config import amqp_uri, http_port
from disputes_shared.plumbing.messaging import CallerRpcProxy

RECEIVING_SERVICES = ("mediation", "legal_aid", "arbitration", "courts_bridge")


class Platform:
    """``tokens(role)`` gives a bearer token for a role (default: the development issuer's);
    ``role_for(service, method)`` chooses the role a command is sent as (default: the first
    the roles table allows). One RPC client per role (and station), since nameko sends a
    client's context data with each of its calls; renewed before its token runs out.

    A mediation station's staff act on their own station's cases alone, so the simulated staff
    act as the staff of the case's station: the station of each case and handoff is learnt from
    the replies that show it (work lists, case views), and read from mediation's work lists
    when a command is refused for want of it."""

    def __init__(self, amqp: str | None = None, intake_url: str | None = None,
                 timeout: float = 30.0, tokens: Callable[..., str] | None = None,
                 role_for: Callable[[str, str], Role | None] | None = None,
                 token_minutes: float = 30) -> None:
        from .signin import DevelopmentStaff, staff_role

        self.intake_url = intake_url or f"http://127.0.0.1:{http_port(Agency.INTAKE)}"
        self.amqp, self.timeout, self.token_minutes = amqp or amqp_uri(), timeout, token_minutes
        self.tokens = tokens or DevelopmentStaff(minutes=token_minutes).token
        self.role_for = role_for or staff_role
        self._clients: dict[tuple[Role | None, str | None], tuple[float, CallerRpcProxy, Any]] = {}
        self.stations: dict[str, str] = {}  # case and handoff ids: the mediation station holding them
        self.http = requests.Session()

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *exc: Any) -> None:
        for _, proxy, _ in self._clients.values():
            proxy.stop()
        self._clients.clear()
        self.http.close()

    def _client(self, role: Role | None, station: str | None = None) -> Any:
        renew_at, proxy, client = self._clients.get((role, station), (0.0, None, None))
        if client is not None and time.monotonic() < renew_at:
            return client
        if proxy is not None:
            proxy.stop()
        token = None if role is None else self.tokens(role, station) if station else self.tokens(role)
        context = {AUTHORIZATION: f"Bearer {token}"} if token is not None else {}
        # As the operator's broker user (its own reply queues), signed in as the role's person.
        proxy = CallerRpcProxy({"AMQP_URI": self.amqp, "serializer": "json"}, OPERATOR,
                               context_data=context, timeout=self.timeout)
        client = proxy.start()
        self._clients[(role, station)] = (time.monotonic() + self.token_minutes * 60 * 0.8, proxy, client)
        return client

    def method(self, service: str, method: str, *args: Any) -> Any:
        """The command, sent as the role whose job it is (at the station holding ``args[0]``)."""
        role = self.role_for(service, method)
        station = self.stations.get(str(args[0])) if args and role in ROLES_WITH_STATION else None
        return getattr(getattr(self._client(role, station), service), method)

    def learn(self, reply: Any) -> Any:
        """Remember the station of each case and handoff ``reply`` shows; return it."""
        for item in reply if isinstance(reply, list) else [reply]:
            if not isinstance(item, dict) or "case_id" not in item:
                continue
            station = item.get("station_id") or (item.get("to_unit") if item.get("to_agency") ==
                                                 Agency.MEDIATION else None)
            if station:
                self.stations[str(item["case_id"])] = str(station)
                if item.get("handoff_id") and "to_unit" in item:
                    self.stations[str(item["handoff_id"])] = str(station)
        return reply

    def station_refused(self, error: Exception, args: tuple[Any, ...]) -> bool:
        """A refusal for acting at another station: learn mediation's stations again, and say
        whether the command's case or handoff is now known to be at another."""
        if not (isinstance(error, RemoteError) and error.exc_type == "Forbidden" and args
                and str(error.value).startswith("station:")):
            return False
        before = self.stations.get(str(args[0]))
        for listing in ("pending_handoffs", "open_cases"):
            self.learn(self.call("mediation", listing))
        return self.stations.get(str(args[0])) not in (None, before)

    def file_claim(self, claim: dict[str, Any]) -> requests.Response:
        return self.http.post(f"{self.intake_url}/v1/claims", json=claim, timeout=30)

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.learn(self.method(service, method, *args)(*args, **kwargs))
        except RemoteError as error:
            if not self.station_refused(error, args):
                raise
            return self.learn(self.method(service, method, *args)(*args, **kwargs))

    def call_many(self, calls: Iterable[tuple[str, str, tuple[Any, ...], dict[str, Any]]]) -> list[Any]:
        """Send the calls at once and collect the replies (or the exceptions) in order."""
        calls = list(calls)
        pending = [self.method(s, m, *a).call_async(*a, **k) for s, m, a, k in calls]
        results: list[Any] = []
        for (service, method, args, kwargs), reply in zip(calls, pending, strict=True):
            try:
                results.append(self.learn(reply.result()))
            except Exception as exc:  # reported per call by the caller
                try:
                    results.append(self.call(service, method, *args, **kwargs)
                                   if self.station_refused(exc, args) else exc)
                except Exception as again:  # noqa: BLE001 - reported like the first
                    results.append(again)
        return results
