"""Signing in from the command line and the demo, with the development issuer: a short-lived
token for one role, and the simulated staff member whose job a command is."""

from __future__ import annotations

import os
from pathlib import Path

from disputes_shared.identity.development import DEFAULT_AUDIENCE, DevelopmentIssuer
from disputes_shared.identity.roles import ROLES_WITH_STATION, Role, roles_for

from . import local

# The station of the simulated mediators and station admins until they know a case's own
# (``Platform`` learns it): mediation refuses them any case of a station they do not act for.
DEMO_STATION = "demo-station"


def development_issuer() -> DevelopmentIssuer:
    """The issuer whose JWKS ``disputes up`` gives the services (``DISPUTES_IDENTITY_DIR``)."""
    directory = os.environ.get("DISPUTES_IDENTITY_DIR") or str(local.identity_dir())
    return DevelopmentIssuer(Path(directory),
                             os.environ.get("DISPUTES_OIDC_AUDIENCE", DEFAULT_AUDIENCE))


def staff_role(service: str, method: str) -> Role | None:
    """The role the simulated staff use for a command: the first the roles table allows that is
    not held to a station, else the first it allows (None: an open command, or one no role may
    use). A station's staff are given their own station's work alone, and the simulated staff
    list every station's work to learn which station holds each case."""
    allowed = roles_for(service, method)
    unbound = [role for role in allowed if role not in ROLES_WITH_STATION]
    chosen = unbound or allowed
    return chosen[0] if chosen else None


class DevelopmentStaff:
    """Tokens for the simulated staff, one per role, issued for ``minutes``."""

    def __init__(self, issuer: DevelopmentIssuer | None = None, minutes: float = 30) -> None:
        self.issuer = issuer or development_issuer()
        self.minutes = minutes

    def token(self, role: Role, station: str | None = None) -> str:
        return self.issuer.issue(role, subject=f"demo-{role}", minutes=self.minutes,
                                 station=(station or DEMO_STATION) if role in ROLES_WITH_STATION else None)
