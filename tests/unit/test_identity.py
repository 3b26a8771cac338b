"""Staff sign-in: a token is accepted only as an OpenID Connect provider of the configured
issuer signs it for the platform, and a role opens only the commands its table lists."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from disputes_shared.contract.vocabularies import STAFF_ROLES
from disputes_shared.identity.development import DEFAULT_AUDIENCE, DEVELOPMENT_ISSUER, DevelopmentIssuer
from disputes_shared.identity.keys import JwksFile, JwksUrl
from disputes_shared.identity.refusals import Forbidden, Unauthenticated
from disputes_shared.identity.roles import OPEN, PERMITTED, SERVICE_ROLES, Role, roles_for
from disputes_shared.identity.settings import IdentitySettings
from disputes_shared.identity.tokens import AccessPolicy, TokenVerifier, authorize


@pytest.fixture
def issuer(tmp_path: Path) -> DevelopmentIssuer:
    return DevelopmentIssuer(tmp_path / "identity")


@pytest.fixture
def verifier(issuer: DevelopmentIssuer) -> TokenVerifier:
    return TokenVerifier(DEVELOPMENT_ISSUER, DEFAULT_AUDIENCE, JwksFile(issuer.ensure_keys()))


def refused(verifier: TokenVerifier, token: str | None) -> str:
    with pytest.raises(Unauthenticated) as refusal:
        verifier.verify(token)
    return refusal.value.reason


def test_a_token_of_the_issuer_for_the_platform_names_the_person_and_role(issuer, verifier):
    person = verifier.verify(issuer.issue(Role.MEDIATOR, subject="li.ming", station="chengdu-wuhou-1"))
    assert (person.subject, person.roles, person.station) == ("li.ming", (Role.MEDIATOR,), "chengdu-wuhou-1")


def test_no_token_is_refused(verifier):
    assert refused(verifier, None) == "missing"
    assert refused(verifier, "") == "missing"
    assert refused(verifier, "not.a.jwt") == "malformed"


def test_an_expired_token_is_refused_past_the_leeway(issuer, verifier):
    an_hour_ago = time.time() - 3600
    assert refused(verifier, issuer.issue(Role.ARBITRATOR, minutes=30, now=an_hour_ago)) == "expired"
    # Expired 10 s ago: within the 30 s leeway for clocks that differ.
    just_now = time.time() - 70
    assert verifier.verify(issuer.issue(Role.ARBITRATOR, minutes=1, now=just_now)).subject


def _reissued(issuer: DevelopmentIssuer, **changes: object) -> str:
    """A token signed with the issuer's own key but with claims changed."""
    token = issuer.issue(Role.ARBITRATOR)
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, issuer._private_key(), algorithm="ES256",
                      headers={"kid": jwt.get_unverified_header(token)["kid"]})


def test_a_token_of_another_issuer_is_refused(issuer, verifier):
    assert refused(verifier, _reissued(issuer, iss="https://sso.elsewhere.example/realms/x")) == "issuer"


def test_a_token_for_another_audience_is_refused(issuer, verifier):
    assert refused(verifier, _reissued(issuer, aud="another-application")) == "audience"


def test_a_token_without_a_subject_is_refused(issuer, verifier):
    token = issuer.issue(Role.ARBITRATOR)
    claims = jwt.decode(token, options={"verify_signature": False})
    del claims["sub"]
    forged = jwt.encode(claims, issuer._private_key(), algorithm="ES256",
                        headers={"kid": jwt.get_unverified_header(token)["kid"]})
    assert refused(verifier, forged) == "claims"


def test_a_token_whose_signature_does_not_verify_is_refused(issuer, verifier):
    header, payload, signature = issuer.issue(Role.MEDIATOR, station="s").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["arbitrator"]  # a mediator making themself an arbitrator
    tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert refused(verifier, f"{header}.{tampered}.{signature}") == "signature"


def test_a_token_signed_by_a_key_the_issuer_does_not_publish_is_refused(issuer, verifier, tmp_path):
    stranger = DevelopmentIssuer(tmp_path / "stranger")
    assert refused(verifier, stranger.issue(Role.ARBITRATOR)) == "unknown_key"
    # The stranger's key under the issuer's own kid: the signature does not verify.
    kid = jwt.get_unverified_header(issuer.issue(Role.ARBITRATOR))["kid"]
    claims = jwt.decode(stranger.issue(Role.ARBITRATOR), options={"verify_signature": False})
    forged = jwt.encode(claims, stranger._private_key(), algorithm="ES256", headers={"kid": kid})
    assert refused(verifier, forged) == "signature"


def test_an_unsigned_token_is_refused(issuer, verifier):
    claims = jwt.decode(issuer.issue(Role.ARBITRATOR), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert refused(verifier, unsigned) == "algorithm"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_hs256_signed_with_the_public_key_as_secret_is_refused(issuer, verifier):
    """The classic confusion: the public key (known to all) used as an HMAC secret."""
    public = json.loads(issuer.jwks_file.read_text())["keys"][0]
    pem = jwt.PyJWK(public).key.public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = jwt.decode(issuer.issue(Role.ARBITRATOR), options={"verify_signature": False})
    signing_input = (_b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": public["kid"]}).encode())
                     + "." + _b64(json.dumps(claims).encode()))
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    assert refused(verifier, f"{signing_input}.{_b64(signature)}") == "algorithm"


def test_an_rs256_provider_such_as_keycloak_is_accepted_and_its_key_must_match_the_alg(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "kc-1", "alg": "RS256"}
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk]}))
    issuer = "https://sso.city.example/realms/disputes"
    verifier = TokenVerifier(issuer, "disputes-platform", JwksFile(jwks))
    now = int(time.time())
    claims = {"iss": issuer, "aud": ["disputes-platform", "account"], "sub": "f3b1", "iat": now,
              "exp": now + 300, "roles": ["court_clerk", "offline_access"], "agency": "courts"}
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    person = verifier.verify(jwt.encode(claims, pem, algorithm="RS256", headers={"kid": "kc-1"}))
    assert person.roles == (Role.COURT_CLERK,)  # the provider's other roles are not ours


def test_the_jwks_url_is_cached_and_fetched_again_for_a_new_key(tmp_path):
    first, second = DevelopmentIssuer(tmp_path / "a"), DevelopmentIssuer(tmp_path / "b")
    published = {"keys": json.loads(first.jwks_file.read_text() if first.ensure_keys() else "")["keys"]}
    fetches: list[str] = []

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            fetches.append(self.path)
            body = json.dumps(published).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/realms/disputes/protocol/openid-connect/certs"
        verifier = TokenVerifier(DEVELOPMENT_ISSUER, DEFAULT_AUDIENCE, JwksUrl(url, min_refetch=0))
        verifier.verify(first.issue(Role.AUDITOR))
        verifier.verify(first.issue(Role.AUDITOR))
        assert len(fetches) == 1  # cached
        # The provider rotates its key: a token with the new kid makes it fetch again.
        published["keys"] = published["keys"] + json.loads(second.jwks_file.read_text()
                                                            if second.ensure_keys() else "")["keys"]
        verifier.verify(second.issue(Role.AUDITOR))
        assert len(fetches) == 2
    finally:
        server.shutdown()


def test_the_jwks_url_is_not_fetched_again_for_every_made_up_kid():
    fetched: list[int] = []

    def fetch(url: str, timeout: float) -> dict:
        fetched.append(1)
        return {"keys": []}

    keys = JwksUrl("https://sso.example/certs", min_refetch=60, fetch=fetch)
    for kid in ("a", "b", "c"):
        with pytest.raises(Unauthenticated):
            keys.key(kid)
    assert len(fetched) == 1


def test_a_token_verified_once_is_taken_again_without_decoding_it(issuer, verifier, monkeypatch):
    token = issuer.issue(Role.MEDIATOR, subject="li.ming", station="s1")
    first = verifier.verify(token)
    decoded: list[str] = []
    decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append("again") or decode(*a, **k))
    assert verifier.verify(token) == first
    assert decoded == []
    verifier.verify(issuer.issue(Role.AUDITOR))  # another token is verified
    assert decoded == ["again"]


def test_a_token_verified_before_is_refused_once_it_expires(issuer):
    verifier = TokenVerifier(DEVELOPMENT_ISSUER, DEFAULT_AUDIENCE, JwksFile(issuer.ensure_keys()), leeway=0)
    token = issuer.issue(Role.ARBITRATOR, minutes=1, now=time.time() - 58)  # 1 to 2 s left
    assert verifier.verify(token).subject
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    assert refused(verifier, token) == "expired"


def test_a_token_verified_before_is_refused_once_its_key_is_withdrawn(issuer, verifier, tmp_path):
    token = issuer.issue(Role.ARBITRATOR)
    assert verifier.verify(token).subject
    stranger = DevelopmentIssuer(tmp_path / "rotated")
    stranger.ensure_keys()
    jwks = verifier.keys.path  # type: ignore[attr-defined]
    jwks.write_text(stranger.jwks_file.read_text())  # the issuer now publishes another key alone
    os.utime(jwks, (time.time() + 5, time.time() + 5))  # a new mtime, however coarse the clock
    assert refused(verifier, token) == "unknown_key"


def test_a_role_opens_only_its_commands(issuer, verifier):
    mediator = verifier.verify(issuer.issue(Role.MEDIATOR, station="s1"))
    assert authorize(mediator, "mediation", "record_session").role == Role.MEDIATOR
    for service, command in [("arbitration", "record_award"), ("mediation", "accept_handoff"),
                             ("trail", "trail"), ("intake", "hold_consultation")]:
        with pytest.raises(Forbidden) as refusal:
            authorize(mediator, service, command)
        assert refusal.value.reason == "role" and refusal.value.status == 403



def test_only_an_auditor_may_verify_the_trail_or_read_a_cases_trail(issuer, verifier):
    auditor = verifier.verify(issuer.issue(Role.AUDITOR))
    for command in ("verify", "trail", "handoff_summary"):
        assert authorize(auditor, "trail", command).role == Role.AUDITOR
    operator = verifier.verify(issuer.issue(Role.OPERATOR))
    assert authorize(operator, "trail", "handoff_summary").role == Role.OPERATOR
    for person in (operator, verifier.verify(issuer.issue(Role.MEDIATOR, station="s1"))):
        for command in ("verify", "trail"):
            with pytest.raises(Forbidden):
                authorize(person, "trail", command)
    with pytest.raises(Forbidden):  # the worker portal's own account reads trails for workers only
        authorize(verifier.verify(issuer.issue(Role.WORKER_PORTAL)), "trail", "verify")


def test_a_station_staffs_actor_carries_their_station_for_the_service_to_check(issuer, verifier):
    mediator = authorize(verifier.verify(issuer.issue(Role.MEDIATOR, station="s1")), "mediation",
                         "record_session")
    assert mediator.as_dict() == {"subject": mediator.subject, "role": "mediator", "station": "s1"}
    clerk = authorize(verifier.verify(issuer.issue(Role.COURT_CLERK, station="s1")), "courts_bridge",
                      "enter_ruling")
    assert "station" not in clerk.as_dict()  # a station is a mediation station's staff's alone


def test_a_mediator_without_a_station_may_not_act(issuer, verifier):
    claims = jwt.decode(issuer.issue(Role.MEDIATOR, station="s1"), options={"verify_signature": False})
    del claims["station"]
    token = jwt.encode(claims, issuer._private_key(), algorithm="ES256",
                       headers={"kid": jwt.get_unverified_header(issuer.issue(Role.AUDITOR))["kid"]})
    with pytest.raises(Forbidden):
        authorize(verifier.verify(token), "mediation", "record_session")


def test_a_token_claiming_a_role_of_another_agency_is_refused(issuer, verifier):
    assert refused(verifier, _reissued(issuer, agency="mediation")) == "claims"  # an arbitrator


def test_filing_a_claim_needs_no_token_and_nothing_else_is_open(verifier, issuer):
    policy = AccessPolicy(verifier)
    assert policy.admit("intake", "file_claim", None) is None
    assert policy.admit("intake", "POST /v1/claims", None) is None
    assert OPEN == {"intake": frozenset({"file_claim", "POST /v1/claims"})}
    with pytest.raises(Unauthenticated):
        policy.admit("intake", "claim", None)
    # A worker reads a claim with its access code (the endpoint checks it), no token...
    assert policy.admit("intake", "GET /v1/claims/<case_id>", None) is None
    # ...but a token sent there is checked as staff: a valid one of a role that may not is refused.
    with pytest.raises(Unauthenticated):
        policy.admit("intake", "GET /v1/claims/<case_id>", "not-a-token")
    with pytest.raises(Forbidden):
        policy.admit("intake", "GET /v1/claims/<case_id>", issuer.issue(Role.ARBITRATOR))


def _rpc_commands(service_cls: type) -> set[str]:
    from nameko.rpc import Rpc

    return {name for name in dir(service_cls)
            if any(isinstance(e, Rpc) for e in getattr(getattr(service_cls, name), "nameko_entrypoints", ()))}


def test_every_staff_command_of_every_service_is_in_the_roles_table():
    from analytics.service import AnalyticsService
    from arbitration.service import ArbitrationService
    from courts_bridge.service import CourtsBridgeService
    from intake.service import IntakeService
    from legal_aid.service import LegalAidService
    from mediation.service import MediationService
    from trail.service import TrailService

    for service_cls in (AnalyticsService, ArbitrationService, CourtsBridgeService, IntakeService,
                        LegalAidService, MediationService, TrailService):
        commands = _rpc_commands(service_cls)
        assert commands, service_cls
        unlisted = {c for c in commands
                    if not roles_for(service_cls.name, c) and c not in OPEN.get(service_cls.name, ())}
        assert unlisted == set(), f"{service_cls.name}: no role may use {unlisted}"


def test_the_roles_are_the_contracts_and_each_has_a_row():
    assert [r.value for r in Role if r not in SERVICE_ROLES] == STAFF_ROLES  # people's roles
    assert set(PERMITTED) == set(Role)


def test_production_refuses_the_development_issuer(tmp_path):
    config = {"OIDC_ISSUER": DEVELOPMENT_ISSUER, "OIDC_AUDIENCE": DEFAULT_AUDIENCE,
              "OIDC_JWKS_FILE": str(tmp_path / "jwks.json")}
    assert IdentitySettings.from_config(config).issuer == DEVELOPMENT_ISSUER
    with pytest.raises(ValueError, match="development issuer"):
        IdentitySettings.from_config({**config, "DEPLOYMENT": "production"})
    city = {**config, "DEPLOYMENT": "production", "OIDC_ISSUER": "https://sso.city.example/realms/d",
            "OIDC_JWKS_FILE": "", "OIDC_JWKS_URL": "http://sso.city.example/certs"}
    with pytest.raises(ValueError, match="https"):
        IdentitySettings.from_config(city)
    assert IdentitySettings.from_config({**city, "OIDC_JWKS_URL": "https://sso.city.example/certs"})


def test_the_development_key_is_owner_only(issuer):
    issuer.ensure_keys()
    assert (issuer.directory / "dev-issuer-key.pem").stat().st_mode & 0o077 == 0
    assert issuer.directory.stat().st_mode & 0o077 == 0


def test_disputes_token_prints_a_short_lived_token_the_services_accept(tmp_path, monkeypatch, capsys):
    from disputes_cli.main import main

    monkeypatch.setenv("DISPUTES_IDENTITY_DIR", str(tmp_path / "identity"))
    assert main(["token", "--role", "mediator", "--agency", "mediation", "--station", "s1",
                 "--minutes", "5"]) == 0
    printed = capsys.readouterr().out.strip()
    jwks = tmp_path / "identity" / "dev-issuer-jwks.json"
    person = TokenVerifier(DEVELOPMENT_ISSUER, DEFAULT_AUDIENCE, JwksFile(jwks)).verify(printed)
    assert (person.roles, person.station) == ((Role.MEDIATOR,), "s1")
    assert jwt.decode(printed, options={"verify_signature": False})["exp"] - time.time() <= 300
    assert main(["token", "--role", "mediator", "--agency", "courts", "--station", "s1"]) == 2
    assert main(["token", "--role", "mediator"]) == 2  # a mediator needs a station
