"""Staff on the workbench: who is signed in, how they sign in, and their RPC calls.

A staff member's calls carry their own token, so the agency service checks *their* role and
records *them* as the actor, exactly as for a call from the command line; the portal decides
nothing about what a person may do. It reads the token's claims only to greet the person and
to choose the desk and, for a mediation station's staff, the station's queue; a token the services refuse ends the session.

Sign-in: with the city's OpenID Connect provider (``city_signin``), or locally a development form
where the person names themselves, their role and station and the development issuer signs the
token. Production refuses the latter; both end in the same session (``start_session``).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from disputes_shared.identity.development import DEFAULT_AUDIENCE, DevelopmentIssuer
from disputes_shared.identity.roles import ROLES_WITH_STATION, Role
from disputes_shared.plumbing.config import identity_dir

from .rpc import RpcPool
from .workbench import WORKBENCH_ROLES

STAFF_COOKIE = "portal_staff"
SESSION_MINUTES = 8 * 60  # a working day; the provider's tokens say their own
# The platform's operator and its auditors: no station, pages of their own to land on.
OVERSIGHT_HOME = {Role.OPERATOR: "/staff/operator", Role.AUDITOR: "/staff/audit"}
SIGN_IN_ROLES = (*WORKBENCH_ROLES, *OVERSIGHT_HOME)
NAME = re.compile(r"^[\w.@-]{2,64}$")


@dataclass(frozen=True)
class StaffMember:
    token: str
    subject: str
    role: Role
    station: str | None
    expires_at: float


def member_of(token: str, now: float | None = None) -> StaffMember | None:
    """Who a session's token names, for the page alone (the services verify it on each call);
    None if it is no token, has run out or names no role the portal's staff pages serve."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    roles = [Role(r) for r in claims.get("roles", []) if r in set(SIGN_IN_ROLES)]
    expires = float(claims.get("exp") or 0)
    if not roles or expires <= (now if now is not None else time.time()):
        return None
    station = claims.get("station")
    return StaffMember(token, str(claims.get("sub", "")), roles[0],
                       str(station) if station else None, expires)


class SignInRefused(ValueError):
    """The sign-in form is wrong; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class DevelopmentSignIn:
    def __init__(self, issuer: DevelopmentIssuer, minutes: float = SESSION_MINUTES) -> None:
        self.issuer, self.minutes = issuer, minutes

    def __call__(self, name: str, role: str, station: str | None) -> str:
        if not NAME.match(name):
            raise SignInRefused("name", "2 to 64 letters, digits, dots, @ or dashes.")
        if role not in {str(r) for r in SIGN_IN_ROLES}:
            raise SignInRefused("role", "Please choose your role.")
        if Role(role) not in ROLES_WITH_STATION:
            station = None  # a station is a mediation station's staff's alone
        elif not station:
            raise SignInRefused("station", "Please choose your station.")
        return self.issuer.issue(Role(role), subject=name, station=station, minutes=self.minutes)


SignIn = Callable[[str, str, str | None], str]


def staff_sign_in(environ: Mapping[str, str]) -> SignIn | None:
    """The development sign-in, or None in production (only the city's provider signs in there)."""
    if environ.get("DISPUTES_DEPLOYMENT") == "production":
        return None
    return DevelopmentSignIn(DevelopmentIssuer(
        Path(environ.get("DISPUTES_IDENTITY_DIR") or identity_dir()),
        environ.get("DISPUTES_OIDC_AUDIENCE", DEFAULT_AUDIENCE)))


class StaffCalls:
    """RPC as a signed-in person: a small pool of connections per token, the least recently
    used closed once more than ``keep`` people are at work."""

    def __init__(self, amqp_uri: str, keep: int = 64,
                 pool: Callable[[str], RpcPool] | None = None) -> None:
        self._make = pool or (lambda token: RpcPool(amqp_uri, keep=2, token=lambda: token,
                                                    max_age=SESSION_MINUTES * 60))
        self._pools: OrderedDict[str, RpcPool] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def call(self, token: str, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            pool = self._pools.pop(token, None) or self._make(token)
            self._pools[token] = pool
            evicted = [self._pools.popitem(last=False)[1] for _ in range(len(self._pools) - self._keep)]
        for old in evicted:
            old.close()
        return pool.call(service, method, *args, **kwargs)

    def forget(self, token: str) -> None:
        with self._lock:
            pool = self._pools.pop(token, None)
        if pool is not None:
            pool.close()

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()
