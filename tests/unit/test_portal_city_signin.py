"""Staff sign-in with the city's OpenID Connect provider, end to end through the portal's WSGI
application against a tiny provider on loopback; and every forbidden answer refused."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.test import Client, TestResponse

from disputes_shared.identity.development import DevelopmentIssuer
from portal import i18n
from portal.app import Portal
from portal.city_signin import CityProvider, Flow, FlowCookie, ProviderSettings, SignInFailed
from portal.city_signin_pages import FAILED, FLOW_COOKIE, NO_ROLE
from portal.staff import STAFF_COOKIE, DevelopmentSignIn
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, TinyProvider, running_provider

AUDIENCE = "disputes-platform"
REDIRECT = "http://portal.test/staff/signin/callback"


class FakeMediation:
    """Mediation's RPC as the workbench reaches it, recording the token each call bore."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def call(self, token: str, service: str, method: str, *args: Any) -> Any:
        self.tokens.append(token)
        return []

    def forget(self, token: str) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[TinyProvider]:
    with running_provider(AUDIENCE) as running:
        yield running


def settings(issuer: str, audience: str = AUDIENCE) -> ProviderSettings:
    return ProviderSettings(issuer, CLIENT_ID, CLIENT_SECRET, REDIRECT, audience)


def portal(issuer: str, mediation: FakeMediation | None = None, audience: str = AUDIENCE,
           development: Path | None = None) -> Portal:
    return Portal("http://intake", trail=lambda case_id: None, secret=b"k" * 32,
                  staff_calls=mediation or FakeMediation(),  # type: ignore[arg-type]
                  sign_in=DevelopmentSignIn(DevelopmentIssuer(development)) if development else None,
                  city=CityProvider(settings(issuer, audience)))


def to_provider_and_back(client: Client) -> str:
    """Leave for the provider as a browser would and come back: the callback's path and query."""
    assert client.get("/staff/signin?lang=en").status_code == 200  # the page's language is kept
    leaving = client.get("/staff/signin/city?lang=en")
    assert leaving.status_code == 302
    flow = client.get_cookie(FLOW_COOKIE, path="/staff/signin")
    assert flow is not None and flow.http_only and flow.same_site == "Lax"
    back = requests.get(leaving.headers["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302 and back.headers["Location"].startswith(REDIRECT)
    parts = urlsplit(back.headers["Location"])
    return f"{parts.path}?{parts.query}"


def signed_out(reply: TestResponse, client: Client, message: str) -> None:
    assert message in reply.get_data(as_text=True)
    assert client.get_cookie(STAFF_COOKIE, path="/staff") is None


def test_a_person_signs_in_at_the_citys_provider_and_works_with_its_token(
        provider: TinyProvider, caplog: pytest.LogCaptureFixture) -> None:
    mediation = FakeMediation()
    client = Client(portal(provider.issuer, mediation))
    assert "Sign in with your city staff account" in client.get("/staff/signin?lang=en").get_data(as_text=True)
    caplog.set_level(logging.DEBUG)
    back = client.get(to_provider_and_back(client))
    assert back.status_code == 200 and 'http-equiv="refresh"' in back.get_data(as_text=True)
    session = client.get_cookie(STAFF_COOKIE, path="/staff")
    assert session is not None and session.http_only and session.same_site == "Strict"
    assert client.get_cookie(FLOW_COOKIE, path="/staff/signin") is None  # used once
    access_token = provider.issued[1]
    assert session.value == access_token  # the provider's access token is the bearer
    queue = client.get("/staff?lang=en")
    assert queue.status_code == 200 and "wang.fang" in queue.get_data(as_text=True)
    assert mediation.tokens and set(mediation.tokens) == {access_token}  # as the dev sign-in's
    assert not [token for token in provider.issued if token in caplog.text]
    again = client.get(to_provider_and_back(client).replace("code=", "code=x"))  # no second use
    assert again.status_code == 400


def test_an_opaque_access_token_leaves_the_id_token_as_the_bearer(provider: TinyProvider) -> None:
    provider.opaque_access = True
    mediation = FakeMediation()
    client = Client(portal(provider.issuer, mediation, audience=CLIENT_ID))
    assert client.get(to_provider_and_back(client)).status_code == 200
    client.get("/staff")
    assert set(mediation.tokens) == {provider.issued[0]}


def test_a_tampered_state_or_flow_cookie_is_refused(provider: TinyProvider) -> None:
    client = Client(portal(provider.issuer))
    callback = to_provider_and_back(client)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    reply = client.get(callback.replace(state, state[:-2] + "xx"))
    assert reply.status_code == 400
    signed_out(reply, client, FAILED["flow"][0])
    callback = to_provider_and_back(client)
    flow = client.get_cookie(FLOW_COOKIE, path="/staff/signin")
    assert flow is not None
    client.set_cookie(FLOW_COOKIE, "A" + flow.value[1:], path="/staff/signin")
    signed_out(client.get(callback), client, FAILED["flow"][0])
    client.set_cookie(FLOW_COOKIE, "流程.签名", path="/staff/signin")  # not even ASCII
    signed_out(client.get(callback), client, FAILED["flow"][0])
    client.delete_cookie(FLOW_COOKIE, path="/staff/signin")  # another browser's way back
    signed_out(client.get(to_provider_and_back(Client(portal(provider.issuer)))), client,
               FAILED["flow"][0])


@pytest.mark.parametrize("bent", [
    {"id_claims": {"nonce": "another sign-in's"}},
    {"id_claims": {"iss": "https://another.issuer.example"}},
    {"access_claims": {"iss": "https://another.issuer.example"}},
    {"id_claims": {"exp": 1_000_000_000}},
    {"access_claims": {"exp": 1_000_000_000}},
    {"id_claims": {"aud": "another-client"}},
    {"id_claims": {"aud": [CLIENT_ID, "another-client"], "azp": "another-client"}},
    {"access_claims": {"aud": "another-platform"}},
    {"access_claims": {"sub": "someone.else"}},
    {"signing_key": "another"},
], ids=["nonce", "id-issuer", "access-issuer", "id-expired", "access-expired", "id-audience",
        "id-authorized-party", "access-audience", "another-person", "another-key"])
def test_a_token_that_does_not_verify_is_refused(provider: TinyProvider, bent: dict[str, Any],
                                                 caplog: pytest.LogCaptureFixture) -> None:
    provider.id_claims = bent.get("id_claims", {})
    provider.access_claims = bent.get("access_claims", {})
    if "signing_key" in bent:
        provider.signing_key = ec.generate_private_key(ec.SECP256R1())
    client = Client(portal(provider.issuer))
    reply = client.get(to_provider_and_back(client))
    assert reply.status_code == 400
    signed_out(reply, client, FAILED["token"][0])
    assert "staff sign-in refused (token)" in caplog.text
    assert not [token for token in provider.issued if token in caplog.text]


def test_the_providers_refusal_and_a_person_without_a_workbench_role_are_shown(
        provider: TinyProvider) -> None:
    client = Client(portal(provider.issuer))
    callback = to_provider_and_back(client)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    refused = client.get(f"/staff/signin/callback?error=access_denied&state={state}")
    assert refused.status_code == 400
    signed_out(refused, client, FAILED["provider"][0])
    provider.person = {**provider.person, "roles": ["worker_portal"]}
    no_role = client.get(to_provider_and_back(client))
    assert no_role.status_code == 403
    signed_out(no_role, client, NO_ROLE)


def test_a_provider_that_does_not_answer_gives_a_page_not_an_error(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        issuer = f"http://127.0.0.1:{closed.getsockname()[1]}"
    client = Client(portal(issuer, development=tmp_path))
    reply = client.get("/staff/signin/city?lang=en")
    assert reply.status_code == 503
    page = reply.get_data(as_text=True)
    assert FAILED["unreachable"][0] in page and 'name="name"' in page  # the dev form still there


def test_a_token_endpoint_that_does_not_answer_after_the_redirect_gives_a_page(
        provider: TinyProvider) -> None:
    app = portal(provider.issuer)
    client = Client(app)
    callback = to_provider_and_back(client)
    assert app.city is not None
    app.city.discovery()["token_endpoint"] = "http://127.0.0.1:9/token"  # nothing listens there
    reply = client.get(callback)
    assert reply.status_code == 503
    signed_out(reply, client, FAILED["unreachable"][0])


def test_in_production_a_provider_naming_plain_http_endpoints_is_not_used(provider: TinyProvider) -> None:
    city = CityProvider(ProviderSettings(provider.issuer, CLIENT_ID, CLIENT_SECRET, REDIRECT,
                                         AUDIENCE, production=True))
    with pytest.raises(SignInFailed, match="https"):
        city.authorization_url(Flow.start(0))


def test_a_flow_cookie_lives_ten_minutes_and_only_under_its_key() -> None:
    flow = Flow.start(1000.0)
    sealed = FlowCookie(b"k" * 32).seal(flow)
    assert FlowCookie(b"k" * 32).open(sealed, 1500.0) == flow
    for secret, now in ((b"k" * 32, 1700.0), (b"j" * 32, 1500.0)):
        with pytest.raises(SignInFailed):
            FlowCookie(secret).open(sealed, now)


def test_the_client_secret_comes_from_a_file_and_production_wants_https(tmp_path: Path) -> None:
    secret = tmp_path / "client-secret"
    secret.write_text(CLIENT_SECRET + "\n")
    environ = {"DISPUTES_OIDC_CLIENT_ID": CLIENT_ID, "DISPUTES_OIDC_ISSUER": "https://id.city.example/realms/x/",
               "DISPUTES_OIDC_AUDIENCE": AUDIENCE, "DISPUTES_OIDC_REDIRECT_URI": "https://portal.example/staff/signin/callback",
               "DISPUTES_OIDC_CLIENT_SECRET_FILE": str(secret), "DISPUTES_DEPLOYMENT": "production"}
    read = ProviderSettings.from_environ(environ)
    assert read is not None and read.client_secret == CLIENT_SECRET
    assert read.issuer == "https://id.city.example/realms/x"
    assert ProviderSettings.from_environ({}) is None
    for wrong in ({"DISPUTES_OIDC_CLIENT_SECRET_FILE": str(tmp_path / "none")},
                  {"DISPUTES_OIDC_REDIRECT_URI": "http://portal.example/staff/signin/callback"},
                  {"DISPUTES_OIDC_ISSUER": ""}):
        with pytest.raises(ValueError):
            ProviderSettings.from_environ({**environ, **wrong})


def test_every_city_sign_in_message_has_a_chinese_translation() -> None:
    zh = i18n.translations("zh")
    words = [message for message, _ in FAILED.values()] + [
        NO_ROLE, "Sign in with your city staff account", "Signed in", "Continue to your work queue"]
    assert not [w for w in words if zh.gettext(w) == w]


def test_the_authorization_request_carries_state_nonce_and_an_s256_challenge(
        provider: TinyProvider) -> None:
    flow = Flow.start(0)
    asked = parse_qs(urlsplit(CityProvider(settings(provider.issuer)).authorization_url(flow)).query)
    assert asked["state"] == [flow.state] and asked["nonce"] == [flow.nonce]
    assert asked["code_challenge"] == [flow.challenge] and asked["code_challenge_method"] == ["S256"]
    assert flow.verifier not in str(asked) and re.fullmatch(r"[\w-]{43}", flow.challenge)
