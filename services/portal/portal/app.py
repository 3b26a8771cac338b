"""The portal's WSGI application: pages over intake's HTTP API and the trail's RPC.

It stores no case data. Every claim goes through ``POST /v1/claims`` exactly as an agency's own
system would send it; a case's steps come from the trail service.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import qrcode
import qrcode.image.svg
import requests
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from disputes_shared.contract.stations import DISTRICTS, stations

from . import forms, i18n, labels, status

CSRF_COOKIE = "portal_csrf"
LANG_COOKIE = "portal_lang"
TEMPLATES = Path(__file__).parent / "templates"

Trail = Callable[[str], dict[str, Any] | None]


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code of ``url`` (the qrcode package; no image files, no JavaScript)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return Markup(image.to_string(encoding="unicode"))


class Portal:
    def __init__(self, intake_url: str, trail: Trail, secret: bytes | None = None,
                 http: requests.Session | None = None) -> None:
        self.intake_url = intake_url.rstrip("/")
        self.trail = trail
        self.secret = secret or secrets.token_bytes(32)
        self.http = http or requests.Session()
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                               extensions=["jinja2.ext.i18n"])
        self.env.globals["labels"] = labels
        self.urls = Map([
            Rule("/", endpoint="home"),
            Rule("/file", endpoint="file", methods=["GET", "POST"]),
            Rule("/receipt/<case_id>", endpoint="receipt"),
            Rule("/case/<case_id>", endpoint="case"),
            Rule("/stations", endpoint="stations"),
            Rule("/health/live", endpoint="live"),
            Rule("/health/ready", endpoint="ready"),
        ])

    # --- plumbing -------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = 64 * 1024  # the form has no uploads in this version
        try:
            endpoint, args = self.urls.bind_to_environ(environ).match()
            response = getattr(self, f"on_{endpoint}")(request, **args)
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    def language(self, request: Request) -> str:
        return i18n.choose(request.args.get("lang"), request.cookies.get(LANG_COOKIE),
                           request.headers.get("Accept-Language"))

    def csrf_token(self, request: Request) -> str:
        token = request.cookies.get(CSRF_COOKIE, "")
        return token if self._signed(token) else self._new_token()

    def _new_token(self) -> str:
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{hmac.new(self.secret, nonce.encode(), 'sha256').hexdigest()}"

    def _signed(self, token: str) -> bool:
        nonce, _, mac = token.partition(".")
        return bool(nonce) and hmac.compare_digest(
            mac, hmac.new(self.secret, nonce.encode(), "sha256").hexdigest())

    def csrf_ok(self, request: Request) -> bool:
        """Double submit: the form's token must be the signed one in this browser's cookie."""
        cookie, sent = request.cookies.get(CSRF_COOKIE, ""), request.form.get("csrf", "")
        return self._signed(cookie) and hmac.compare_digest(cookie, sent)

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
        lang = self.language(request)
        translations = i18n.translations(lang)
        self.env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        token = self.csrf_token(request)
        other = "en" if lang == "zh" else "zh"
        args = request.args.to_dict()
        args["lang"] = other
        switch = request.path + "?" + "&".join(f"{k}={v}" for k, v in args.items())
        html = self.env.get_template(template).render(
            lang=lang, html_lang="zh-Hans" if lang == "zh" else "en", switch_url=switch,
            switch_label="English" if lang == "zh" else "中文", csrf=token, **context)
        response = Response(html, status=status_code, content_type="text/html; charset=utf-8")
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Strict")
        if request.args.get("lang") in i18n.LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="Lax", max_age=365 * 86400)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'"
        response.headers["Cache-Control"] = "no-store"
        return response

    # --- pages --------------------------------------------------------------------------------
    def on_home(self, request: Request) -> Response:
        return redirect("/file", code=302)

    def on_file(self, request: Request) -> Response:
        if request.method == "GET":
            chosen = request.args.get("station", "")
            if chosen not in {s.station_id for s in stations()}:
                chosen = ""
            return self.form_page(request, forms.Filing({"station": chosen, "claim_types": []}))
        if not self.csrf_ok(request):
            return self.form_page(request, forms.Filing(
                forms.read_form(request.form).values,
                {"form": "The form expired; please check it and send it again."}), 400)
        filing = forms.read_form(request.form)
        if not filing.valid:
            return self.form_page(request, filing, 400)
        try:
            reply = self.http.post(f"{self.intake_url}/v1/claims", json=forms.to_claim(filing), timeout=30)
        except requests.RequestException:
            filing.errors["form"] = "The service cannot be reached right now; nothing was filed. Please try again."
            return self.form_page(request, filing, 503)
        if reply.status_code == 400:
            filing.errors.update(forms.intake_errors(reply.json().get("fields", {})))
            filing.errors.setdefault("form", "The platform did not accept the claim; please check the form.")
            return self.form_page(request, filing, 400)
        if reply.status_code not in (200, 201, 202):
            filing.errors["form"] = "The service cannot be reached right now; nothing was filed. Please try again."
            return self.form_page(request, filing, 503)
        return redirect(f"/receipt/{reply.json()['case_id']}", code=303)

    def form_page(self, request: Request, filing: forms.Filing, status_code: int = 200) -> Response:
        return self.render(
            request, "file.html", status_code, v=filing.values, errors=filing.errors,
            industries=forms.INDUSTRIES, relationships=forms.RELATIONSHIPS,
            claim_types=forms.CLAIM_TYPES, districts=DISTRICTS,
            stations=forms.station_choices(filing.values.get("industry", ""),
                                           filing.values.get("district", "")))

    def on_receipt(self, request: Request, case_id: str) -> Response:
        claim = self.claim(case_id)
        url = f"{request.host_url.rstrip('/')}/case/{case_id}"
        return self.render(request, "receipt.html", claim=claim, case_url=url, qr=qr_svg(url))

    def on_case(self, request: Request, case_id: str) -> Response:
        # Development only: the case number alone opens this page until cases get a secret
        # access code of their own; nothing here pretends to check one.
        trail = self.trail(case_id)
        if trail is None:
            claim = self.claim(case_id)
            trail = {"case_id": case_id, "state": claim.get("state"), "entries": []}
        return self.render(request, "case.html", case_id=case_id, now=status.now_words(trail),
                           steps=status.steps(trail), trail=trail)

    def on_stations(self, request: Request) -> Response:
        base = request.host_url.rstrip("/")
        listed = [(s, f"{base}/file?station={s.station_id}") for s in stations()]
        return self.render(request, "stations.html",
                           stations=[(s, url, qr_svg(url)) for s, url in listed])

    def claim(self, case_id: str) -> dict[str, Any]:
        try:
            reply = self.http.get(f"{self.intake_url}/v1/claims/{case_id}", timeout=10)
        except requests.RequestException as exc:
            raise NotFound() from exc
        if reply.status_code != 200:
            raise NotFound()
        return dict(reply.json())

    def on_live(self, request: Request) -> Response:
        return Response("ok\n", content_type="text/plain")

    def on_ready(self, request: Request) -> Response:
        try:
            answered = self.http.get(f"{self.intake_url}/health/ready", timeout=3).status_code == 200
        except requests.RequestException:
            answered = False
        return Response("ok\n" if answered else "intake does not answer\n",
                        status=200 if answered else 503, content_type="text/plain")


def rpc_trail(amqp: str, timeout: float = 10.0) -> Trail:
    """The trail service's ``trail`` RPC, as the worker (recorded as the accessor)."""
    from nameko.exceptions import RemoteError

    from disputes_shared.contract.agencies import PORTAL
    from disputes_shared.plumbing.messaging import CallerRpcProxy

    def fetch(case_id: str) -> dict[str, Any] | None:
        with CallerRpcProxy({"AMQP_URI": amqp, "serializer": "json"}, PORTAL,
                            timeout=timeout) as rpc:
            try:
                return dict(rpc.trail.trail(case_id, accessed_by="worker portal (case number)"))
            except RemoteError:
                return None
    return fetch


def secret_from_env() -> bytes | None:
    value = os.environ.get("DISPUTES_PORTAL_SECRET")
    return value.encode() if value else None
