"""The portal's own sign-in: the token of its service account (role ``worker_portal``), sent
with every RPC call. From the city's OpenID Connect provider by the client-credentials grant
(``DISPUTES_PORTAL_CLIENT_ID``, ``DISPUTES_PORTAL_CLIENT_SECRET``, ``DISPUTES_OIDC_TOKEN_URL``),
or locally from the development issuer ``disputes up`` made; production refuses the latter."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

from disputes_shared.identity.development import DEFAULT_AUDIENCE, DevelopmentIssuer
from disputes_shared.identity.roles import Role
from disputes_shared.plumbing.config import identity_dir

TOKEN_MINUTES = 15  # a development token's life; a provider's says its own


class ClientCredentials:
    """Tokens from the provider's token endpoint, kept until shortly before they expire."""

    def __init__(self, token_url: str, client_id: str, client_secret: str,
                 http: requests.Session | None = None) -> None:
        self.token_url, self.client_id, self.client_secret = token_url, client_id, client_secret
        self.http = http or requests.Session()
        self._token, self._renew_at = "", 0.0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if time.monotonic() >= self._renew_at:
                reply = self.http.post(self.token_url, timeout=10, data={
                    "grant_type": "client_credentials", "client_id": self.client_id,
                    "client_secret": self.client_secret})
                reply.raise_for_status()
                answer = reply.json()
                self._token = str(answer["access_token"])
                self._renew_at = time.monotonic() + 0.8 * float(answer.get("expires_in", 300))
            return self._token


def token_source(environ: Mapping[str, str] = os.environ) -> Callable[[], str]:
    client_id = environ.get("DISPUTES_PORTAL_CLIENT_ID")
    if client_id:
        return ClientCredentials(environ["DISPUTES_OIDC_TOKEN_URL"], client_id,
                                 environ["DISPUTES_PORTAL_CLIENT_SECRET"])
    if environ.get("DISPUTES_DEPLOYMENT") == "production":
        raise SystemExit("portal: production needs DISPUTES_PORTAL_CLIENT_ID, "
                         "DISPUTES_PORTAL_CLIENT_SECRET and DISPUTES_OIDC_TOKEN_URL; "
                         "the development issuer is refused")
    issuer = DevelopmentIssuer(Path(environ.get("DISPUTES_IDENTITY_DIR") or identity_dir()),
                               environ.get("DISPUTES_OIDC_AUDIENCE", DEFAULT_AUDIENCE))
    return lambda: issuer.issue(Role.WORKER_PORTAL, subject="worker-portal", minutes=TOKEN_MINUTES)
