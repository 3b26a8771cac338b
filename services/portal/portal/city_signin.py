"""Staff sign-in with the city's OpenID Connect provider: the authorization-code flow with PKCE
(OpenID Connect Core 1.0 §3.1, RFC 7636).

The portal sends the person to the provider's authorization endpoint with a fresh ``state``,
``nonce`` and PKCE challenge, keeps the three in a signed cookie that lives ten minutes, and on
the way back exchanges the code at the token endpoint (as a confidential client, its secret read
from a file). The ID token is checked by the platform's one ``TokenVerifier`` (signature by the
provider's JWKS, issuer, audience = the client id, expiry) and then its nonce here.

What the person then carries to the services is the access token when the provider issues it as
a JWT (Keycloak does), and the ID token when the access token is opaque: either way the services
must accept it, so it is verified at sign-in with the platform's audience and refused here, not
at the first command. From there on the session is the development sign-in's: the token in a
cookie, sent with every RPC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import requests

from disputes_shared.identity.keys import JwksUrl, KeySource
from disputes_shared.identity.refusals import Unauthenticated
from disputes_shared.identity.tokens import TokenVerifier

log = logging.getLogger(__name__)

FLOW_SECONDS = 600  # from leaving for the provider to coming back
DEFAULT_SCOPES = "openid profile"
HTTP_TIMEOUT = 10.0
PROVIDER_ERROR = re.compile(r"^[a-z_]{1,40}$")  # OAuth error codes; anything else is not logged


class SignInFailed(Exception):
    """The sign-in did not prove who came back. ``reason`` is one of ``flow`` (no flow of this
    browser, expired, or the state does not match), ``provider`` (the provider said no),
    ``token`` (its answer does not verify), ``unreachable``; ``detail`` is for the log and
    never holds a token or a code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    audience: str  # what the services' tokens must name (DISPUTES_OIDC_AUDIENCE)
    scopes: str = DEFAULT_SCOPES
    production: bool = False  # every URL of the provider https

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ProviderSettings | None:
        """None when no staff client is configured; ``ValueError`` naming what is wrong."""
        client_id = environ.get("DISPUTES_OIDC_CLIENT_ID", "")
        if not client_id:
            return None
        missing = [name for name in ("DISPUTES_OIDC_ISSUER", "DISPUTES_OIDC_AUDIENCE",
                                     "DISPUTES_OIDC_REDIRECT_URI", "DISPUTES_OIDC_CLIENT_SECRET_FILE")
                   if not environ.get(name)]
        if missing:
            raise ValueError(f"staff sign-in: set {', '.join(missing)}")
        secret_file = Path(environ["DISPUTES_OIDC_CLIENT_SECRET_FILE"])
        try:
            secret = secret_file.read_text().strip()
        except OSError:
            raise ValueError(f"staff sign-in: {secret_file} cannot be read") from None
        if not secret:
            raise ValueError(f"staff sign-in: {secret_file} is empty")
        settings = cls(environ["DISPUTES_OIDC_ISSUER"].rstrip("/"), client_id, secret,
                       environ["DISPUTES_OIDC_REDIRECT_URI"], environ["DISPUTES_OIDC_AUDIENCE"],
                       environ.get("DISPUTES_OIDC_SCOPES") or DEFAULT_SCOPES,
                       production=environ.get("DISPUTES_DEPLOYMENT") == "production")
        if settings.production and not all(
                url.startswith("https://") for url in (settings.issuer, settings.redirect_uri)):
            raise ValueError("staff sign-in: in production the issuer and redirect URI must be https")
        return settings


@dataclass(frozen=True)
class Flow:
    """What one browser keeps between leaving for the provider and coming back."""

    state: str
    nonce: str
    verifier: str  # the PKCE code verifier; the provider sees only its S256 challenge
    started_at: float

    @classmethod
    def start(cls, now: float) -> Flow:
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48), now)

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class FlowCookie:
    """A flow as a cookie value: its fields, and an HMAC of them under the portal's secret."""

    def __init__(self, secret: bytes) -> None:
        self.key = hmac.new(secret, b"staff sign-in flow", "sha256").digest()  # not the CSRF key

    def _mac(self, body: str) -> bytes:
        return hmac.new(self.key, body.encode(), "sha256").hexdigest().encode()

    def seal(self, flow: Flow) -> str:
        body = base64.urlsafe_b64encode(json.dumps(
            [flow.state, flow.nonce, flow.verifier, flow.started_at]).encode()).decode("ascii")
        return f"{body}.{self._mac(body).decode()}"

    def open(self, value: str, now: float) -> Flow:
        body, _, mac = value.partition(".")
        if not body or not hmac.compare_digest(mac.encode(), self._mac(body)):
            raise SignInFailed("flow", "no sign-in flow of this browser, or an altered one")
        state, nonce, verifier, started_at = json.loads(base64.urlsafe_b64decode(body))
        if not 0 <= now - float(started_at) <= FLOW_SECONDS:
            raise SignInFailed("flow", "the sign-in flow has expired")
        return Flow(str(state), str(nonce), str(verifier), float(started_at))


def is_jwt(token: str) -> bool:
    try:
        jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return False
    return True


class CityProvider:
    """The provider as the portal's client sees it: discovery, the authorization request, the
    code exchange and the checks of what comes back."""

    def __init__(self, settings: ProviderSettings, http: requests.Session | None = None,
                 keys: Callable[[str], KeySource] = JwksUrl) -> None:
        self.settings = settings
        self.http = http or requests.Session()
        self._make_keys = keys
        self._discovered: dict[str, Any] | None = None
        self._id_tokens: TokenVerifier | None = None
        self._bearers: TokenVerifier | None = None

    def discovery(self) -> dict[str, Any]:
        """The provider's metadata, fetched once (and again after a failure)."""
        if self._discovered is None:
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            try:
                reply = self.http.get(url, timeout=HTTP_TIMEOUT)
                reply.raise_for_status()
                document = reply.json()
            except (requests.RequestException, ValueError) as exc:
                raise SignInFailed("unreachable", f"discovery at {url}: {type(exc).__name__}") from None
            needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if not isinstance(document, dict) or any(not document.get(k) for k in needed):
                raise SignInFailed("unreachable", f"discovery at {url} lacks {', '.join(needed)}")
            if document.get("issuer") != self.settings.issuer:  # OpenID Connect Discovery §4.3
                raise SignInFailed("unreachable", f"discovery at {url} names another issuer")
            if self.settings.production and not all(
                    str(document[k]).startswith("https://") for k in needed):
                raise SignInFailed("unreachable", f"discovery at {url} names endpoints not on https")
            keys = self._make_keys(str(document["jwks_uri"]))
            # One verifier for every token: the ID token is for this client, the bearer for the
            # platform; both signed by the same provider's keys.
            self._id_tokens = TokenVerifier(self.settings.issuer, self.settings.client_id, keys)
            self._bearers = TokenVerifier(self.settings.issuer, self.settings.audience, keys)
            self._discovered = document
        return self._discovered

    def authorization_url(self, flow: Flow) -> str:
        endpoint = str(self.discovery()["authorization_endpoint"])
        query = urlencode({
            "response_type": "code", "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri, "scope": self.settings.scopes,
            "state": flow.state, "nonce": flow.nonce,
            "code_challenge": flow.challenge, "code_challenge_method": "S256"})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def finish(self, flow: Flow, answer: Mapping[str, str]) -> str:
        """The bearer token of the person the provider sent back with ``answer`` (the callback's
        query), or ``SignInFailed``."""
        if not hmac.compare_digest(answer.get("state", "").encode(), flow.state.encode()):
            raise SignInFailed("flow", "the state does not match this browser's sign-in")
        if answer.get("error"):
            error = answer["error"]
            raise SignInFailed("provider", error if PROVIDER_ERROR.match(error) else "an error")
        if not answer.get("code"):
            raise SignInFailed("provider", "no code")
        tokens = self._exchange(answer["code"], flow)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("token", "the token endpoint sent no ID token")
        assert self._id_tokens is not None and self._bearers is not None
        try:
            claims = self._id_tokens.claims(id_token)
            if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), flow.nonce.encode()):
                raise SignInFailed("token", "the ID token's nonce is not this sign-in's")
            audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
            if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
                raise SignInFailed("token", "the ID token's authorized party is another client")
            access = tokens.get("access_token")
            bearer = access if isinstance(access, str) and is_jwt(access) else id_token
            person = self._bearers.verify(bearer)
        except Unauthenticated as refused:
            raise SignInFailed("token", f"refused ({refused.reason})") from None
        if person.subject != claims["sub"]:
            raise SignInFailed("token", "the access token names another person than the ID token")
        return bearer

    def _exchange(self, code: str, flow: Flow) -> dict[str, Any]:
        endpoint = str(self.discovery()["token_endpoint"])
        try:
            reply = self.http.post(endpoint, timeout=HTTP_TIMEOUT, auth=(
                self.settings.client_id, self.settings.client_secret), data={
                "grant_type": "authorization_code", "code": code,
                "redirect_uri": self.settings.redirect_uri, "code_verifier": flow.verifier})
        except requests.RequestException as exc:
            raise SignInFailed("unreachable", f"token endpoint: {type(exc).__name__}") from None
        if reply.status_code != 200:
            error = _json_or_empty(reply).get("error", "")
            raise SignInFailed("provider", f"token endpoint answered {reply.status_code} "
                               f"{error if PROVIDER_ERROR.match(str(error)) else ''}".rstrip())
        tokens = _json_or_empty(reply)
        if not tokens:
            raise SignInFailed("token", "the token endpoint's answer is not JSON")
        return tokens


def _json_or_empty(reply: requests.Response) -> dict[str, Any]:
    try:
        document = reply.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}
