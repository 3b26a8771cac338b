"""Signing in, in the tests: one development issuer for the whole run, whose JWKS every service
the tests start trusts, and an RPC client that sends each command with the token of the staff
member whose job it is."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from disputes_cli.platform import Platform
from disputes_cli.signin import DevelopmentStaff
from disputes_shared.identity.development import DEFAULT_AUDIENCE, DEVELOPMENT_ISSUER, DevelopmentIssuer

from .broker import uri_of


@functools.cache
def run_issuer() -> DevelopmentIssuer:
    issuer = DevelopmentIssuer(Path(tempfile.mkdtemp(prefix="disputes-test-identity-")))
    issuer.ensure_keys()
    return issuer


def identity_config() -> dict[str, Any]:
    """The ``OIDC_*`` keys of a service's nameko config that trust ``run_issuer``."""
    return {"OIDC_ISSUER": DEVELOPMENT_ISSUER, "OIDC_AUDIENCE": DEFAULT_AUDIENCE,
            "OIDC_JWKS_FILE": str(run_issuer().jwks_file)}


class _Service:
    def __init__(self, platform: Platform, service: str) -> None:
        self.platform, self.service = platform, service

    def __getattr__(self, method: str) -> Any:
        return functools.partial(self.platform.call, self.service, method)


class StaffRpc:
    """``rpc.<service>.<command>(...)``, each sent as the role the roles table gives it."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def __getattr__(self, service: str) -> _Service:
        return _Service(self.platform, service)


@contextmanager
def staff_rpc(config: dict[str, Any]) -> Iterator[StaffRpc]:
    """Staff commands to the services of ``config``'s vhost: over the operator's broker user,
    each signed in as the role that may send it."""
    operator = uri_of(config["AMQP_URI"], "operator")
    with Platform(amqp=operator, tokens=DevelopmentStaff(run_issuer()).token) as platform:
        yield StaffRpc(platform)
