"""A tiny OpenID Connect provider on loopback, for the staff sign-in's tests: discovery, an
authorization endpoint that signs in one person at once, a token endpoint that checks the code,
the client's secret and the PKCE verifier, and a JWKS. ``id_claims`` and ``access_claims`` bend
what it issues, so a test can make it lie."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID, CLIENT_SECRET = "disputes-portal-staff", "a secret of the client"
KID = "city-key-1"


class TinyProvider:
    def __init__(self, audience: str) -> None:
        self.issuer = ""  # set once the server has its port
        self.audience = audience
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.person: dict[str, Any] = {"sub": "wang.fang", "roles": ["mediator"],
                                       "agency": "mediation", "station": "ind-fooddelivery-wuhou"}
        self.id_claims: dict[str, Any] = {}  # merged into the ID token's claims
        self.access_claims: dict[str, Any] = {}  # merged into the access token's claims
        self.opaque_access = False  # an access token that is not a JWT
        self.signing_key: ec.EllipticCurvePrivateKey | None = None  # another key than the JWKS's
        self.codes: dict[str, dict[str, str]] = {}
        self.issued: list[str] = []  # every token handed out, to look for in logs
        self.urls = Map([Rule("/.well-known/openid-configuration", endpoint="discovery"),
                         Rule("/authorize", endpoint="authorize"),
                         Rule("/token", endpoint="token", methods=["POST"]),
                         Rule("/jwks", endpoint="jwks")])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        endpoint, _ = self.urls.bind_to_environ(environ).match()
        return getattr(self, f"on_{endpoint}")(request)(environ, start_response)

    def on_discovery(self, request: Request) -> Response:
        return _json({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                      "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                      "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["ES256"],
                      "code_challenge_methods_supported": ["S256"]})

    def on_jwks(self, request: Request) -> Response:
        jwk = json.loads(ECAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KID, "alg": "ES256", "use": "sig"})
        return _json({"keys": [jwk]})

    def on_authorize(self, request: Request) -> Response:
        """Signs the person in at once and sends them back with a code."""
        asked = request.args
        if asked.get("client_id") != CLIENT_ID or asked.get("response_type") != "code" \
                or asked.get("code_challenge_method") != "S256" or "openid" not in asked.get("scope", ""):
            return _json({"error": "invalid_request"}, 400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {k: asked[k] for k in ("nonce", "code_challenge", "redirect_uri")}
        back = f"{asked['redirect_uri']}?{urlencode({'code': code, 'state': asked['state']})}"
        return Response(status=302, headers={"Location": back})

    def on_token(self, request: Request) -> Response:
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return _json({"error": "invalid_client"}, 401)
        grant = self.codes.pop(request.form.get("code", ""), None)
        verifier = request.form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant is None or grant["code_challenge"] != challenge \
                or grant["redirect_uri"] != request.form.get("redirect_uri"):
            return _json({"error": "invalid_grant"}, 400)
        now = int(time.time())
        times = {"iat": now, "exp": now + 300, "iss": self.issuer}
        id_token = self.sign({**self.person, **times, "aud": CLIENT_ID, "nonce": grant["nonce"],
                              **self.id_claims})
        access = secrets.token_urlsafe(24) if self.opaque_access else self.sign(
            {**self.person, **times, "aud": self.audience, **self.access_claims})
        self.issued += [id_token, access]
        return _json({"access_token": access, "id_token": id_token, "token_type": "Bearer",
                      "expires_in": 300})

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.signing_key or self.key, algorithm="ES256", headers={"kid": KID})


def _json(document: Any, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, mimetype="application/json")


@contextmanager
def running_provider(audience: str) -> Iterator[TinyProvider]:
    provider = TinyProvider(audience)
    server = make_server("127.0.0.1", 0, provider, threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(5)
