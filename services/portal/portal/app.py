"""The portal's WSGI application: pages over intake's HTTP API and the trail's RPC.

It stores no case data. Every claim goes through ``POST /v1/claims`` exactly as an agency's own
system would send it; a case's steps come from the trail service.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import qrcode
import qrcode.image.svg
import requests
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, ServiceUnavailable, TooManyRequests
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from disputes_shared.clocks.statutory import CHINA_TIME
from disputes_shared.contract.consent import SENSITIVE_DATA_CONSENT_TEXTS, SENSITIVE_DATA_CONSENT_VERSION
from disputes_shared.contract.stations import DISTRICTS, stations
from disputes_shared.identity.roles import may
from disputes_shared.plumbing.forwarding import FORWARDED_FOR, forwarded_for

from . import forms, guidance, i18n, labels, oversight, status
from .city_signin import CityProvider
from .city_signin_pages import CitySignInPages
from .oversight_pages import OversightPages
from .staff import OVERSIGHT_HOME, SignIn, StaffCalls
from .workbench_pages import utc_now

CSRF_COOKIE = "portal_csrf"
LANG_COOKIE = "portal_lang"
TEMPLATES = Path(__file__).parent / "templates"

Trail = Callable[[str], dict[str, Any] | None]
FORM_BYTES = 64 * 1024  # the filing form, and what a file's form adds around the file
ACCESS_COOKIE = "case-"  # + the case number: that case's access code, in this browser only
ACCESS_COOKIE_DAYS = 180
ACCESS_HEADER = "X-Access-Code"  # as intake's API takes it
DEFAULT_EVIDENCE_MAX_BYTES = 8 * 1024 * 1024  # intake decides; the portal only bounds what it reads
# Intake's refusals of a file (its error codes), in the worker's words.
EVIDENCE_REFUSED = {
    "too_large": "The file is too large: at most %(size)s.",
    "unsupported_type": "Only PDF files and JPEG or PNG photos can be sent.",
    "empty": "Please choose a file.",
    "too_many_files": "Your case already has as many files as it can take.",
}
EVIDENCE_UNREACHABLE = "The service cannot be reached right now; nothing was sent. Please try again."
# A case's clocks at every agency that keeps them, and whether every one of them answered.
Clocks = Callable[[str], tuple[list[dict[str, Any]], bool]]


def size_words(size: int) -> str:
    """A file size as a worker reads it: "8 MB", "1.5 MB", "200 KB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


def size_of(upload: Any) -> int:
    """An uploaded file's size, read from its spooled stream (which stays at its start)."""
    stream = upload.stream
    stream.seek(0, 2)
    size = int(stream.tell())
    stream.seek(0)
    return size


def no_clocks(case_id: str) -> tuple[list[dict[str, Any]], bool]:
    return [], True


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code of ``url`` (the qrcode package; no image files, no JavaScript)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return Markup(image.to_string(encoding="unicode"))


def on_behalf_of(request: Request) -> dict[str, str]:
    """The header that names the worker to intake: the portal is a proxy in front of intake's API,
    and intake counts its limits per worker (``DISPUTES_TRUSTED_PROXIES`` there names the portal)."""
    return {FORWARDED_FOR: forwarded_for(request.headers.get(FORWARDED_FOR), request.remote_addr or "")}


class Portal(OversightPages, CitySignInPages):
    def __init__(self, intake_url: str, trail: Trail, secret: bytes | None = None,
                 http: requests.Session | None = None, clocks: Clocks = no_clocks,
                 evidence_max_bytes: int = DEFAULT_EVIDENCE_MAX_BYTES,
                 staff_calls: StaffCalls | None = None, sign_in: SignIn | None = None,
                 now: Callable[[], datetime] = utc_now, city: CityProvider | None = None) -> None:
        self.intake_url = intake_url.rstrip("/")
        self.city = city  # the city's OpenID Connect sign-in for staff, when configured
        # The staff workbench (none without its RPC client: /staff is then not found).
        self.staff_calls, self.sign_in, self.now = staff_calls, sign_in, now
        self.evidence_max_bytes = evidence_max_bytes
        self.trail = trail
        self.clocks = clocks
        self.secret = secret or secrets.token_bytes(32)
        self.http = http or requests.Session()
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                               extensions=["jinja2.ext.i18n"])
        self.env.globals["labels"] = labels
        self.env.globals["state_words"] = status.STATE_WORDS
        self.env.globals.update(may=may, oversight_roles=tuple(OVERSIGHT_HOME), duration=oversight.duration)
        self.env.filters["china_time"] = lambda at: at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
        self.env.filters["china_seconds"] = lambda at: at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M:%S")
        self.urls = Map([
            Rule("/", endpoint="home"),
            Rule("/file", endpoint="file", methods=["GET", "POST"]),
            Rule("/receipt/<case_id>", endpoint="receipt"),
            Rule("/case/<case_id>", endpoint="case", methods=["GET", "POST"]),
            Rule("/case/<case_id>/evidence", endpoint="evidence", methods=["POST"]),
            Rule("/stations", endpoint="stations"),
            Rule("/staff", endpoint="staff"),
            Rule("/staff/signin", endpoint="staff_signin", methods=["GET", "POST"]),
            Rule("/staff/signout", endpoint="staff_signout", methods=["POST"]),
            Rule("/staff/signin/city", endpoint="staff_signin_city"),
            Rule("/staff/signin/callback", endpoint="staff_signin_callback"),
            Rule("/staff/handoffs/<handoff_id>", endpoint="staff_handoff", methods=["POST"]),
            Rule("/staff/cases/<case_id>", endpoint="staff_case", methods=["GET", "POST"]),
            Rule("/staff/operator", endpoint="staff_operator"),
            Rule("/staff/audit", endpoint="staff_audit"),
            Rule("/staff/audit/cases/<case_id>", endpoint="staff_audit_case"),
            Rule("/health/live", endpoint="live"),
            Rule("/health/ready", endpoint="ready"),
        ])

    # --- plumbing -------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = FORM_BYTES
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
        # The form may carry a first piece of evidence: read up to what the server admits, so
        # a file over the limit is refused at its field with everything typed kept.
        request.max_content_length = 2 * (self.evidence_max_bytes + FORM_BYTES)
        try:
            upload = request.files.get("evidence")
            csrf_ok = self.csrf_ok(request)
        except RequestEntityTooLarge:
            return self.form_page(request, forms.Filing(
                {"claim_types": []}, {"evidence": EVIDENCE_REFUSED["too_large"]}), 413)
        if not csrf_ok:
            return self.form_page(request, forms.Filing(
                forms.read_form(request.form).values,
                {"form": "The form expired; please check it and send it again."}), 400)
        filing = forms.read_form(request.form)
        if upload is not None and upload.filename and size_of(upload) > self.evidence_max_bytes:
            filing.errors["evidence"] = EVIDENCE_REFUSED["too_large"]
        if not filing.valid:
            return self.form_page(request, filing, 400)
        try:
            reply = self.http.post(f"{self.intake_url}/v1/claims", json=forms.to_claim(filing), timeout=30,
                                   headers=on_behalf_of(request))
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
        filed = reply.json()
        case_id, code = str(filed["case_id"]), str(filed.get("access_code", ""))
        receipt = f"/receipt/{case_id}"
        if upload is not None and upload.filename:  # the claim is filed whatever becomes of the file
            receipt += f"?evidence={self.send_evidence(request, case_id, code, upload.filename, upload.stream)}"
        response = redirect(receipt, code=303)
        self.remember_code(request, response, case_id, code)
        return response

    def send_evidence(self, request: Request, case_id: str, code: str, name: str, stream: Any) -> str:
        """A file to intake, which checks and keeps it: ``added``, one of intake's refusal
        codes (``EVIDENCE_REFUSED``), ``unknown_case``, or ``unreachable``."""
        try:
            reply = self.http.post(f"{self.intake_url}/v1/claims/{case_id}/evidence",
                                   params={"name": name}, data=stream, timeout=60,
                                   headers={ACCESS_HEADER: code, **on_behalf_of(request)})
        except requests.RequestException:
            return "unreachable"
        if reply.status_code == 201:
            return "added"
        if reply.status_code == 404:
            return "unknown_case"
        error = reply.json().get("error") if reply.headers.get("Content-Type", "").startswith(
            "application/json") else None
        return str(error) if error in EVIDENCE_REFUSED else "unreachable"

    # --- the access code --------------------------------------------------------------------
    # A case page needs the case number and the access code intake gave at filing. The code is
    # kept in this browser only (an http-only cookie per case), never in a URL, and checked by
    # intake on every page view: the portal itself decides nothing about it.
    def remember_code(self, request: Request, response: Response, case_id: str, code: str) -> None:
        response.set_cookie(ACCESS_COOKIE + case_id, code, httponly=True, samesite="Strict",
                            secure=request.is_secure, max_age=ACCESS_COOKIE_DAYS * 86400,
                            path="/")

    def code_of(self, request: Request, case_id: str) -> str:
        return request.cookies.get(ACCESS_COOKIE + case_id, "")

    def open_page(self, request: Request, case_id: str, status_code: int,
                  error: str | None = None) -> Response:
        return self.render(request, "open.html", status_code, case_id=case_id, error=error)

    def form_page(self, request: Request, filing: forms.Filing, status_code: int = 200) -> Response:
        return self.render(
            request, "file.html", status_code, v=filing.values, errors=filing.errors,
            industries=forms.INDUSTRIES, relationships=forms.RELATIONSHIPS,
            claim_types=forms.CLAIM_TYPES, districts=DISTRICTS,
            evidence_size=size_words(self.evidence_max_bytes),
            consent_version=SENSITIVE_DATA_CONSENT_VERSION,
            consent_text=SENSITIVE_DATA_CONSENT_TEXTS[SENSITIVE_DATA_CONSENT_VERSION],
            stations=forms.station_choices(filing.values.get("industry", ""),
                                           filing.values.get("district", "")))

    def on_receipt(self, request: Request, case_id: str) -> Response:
        code = self.code_of(request, case_id)
        claim = self.claim(request, case_id, code)
        if claim is None:
            return self.open_page(request, case_id, 401)
        url = f"{request.host_url.rstrip('/')}/case/{case_id}"
        sent = request.args.get("evidence")
        return self.render(request, "receipt.html", claim=claim, access_code=code, case_url=url,
                           qr=qr_svg(url), evidence_added=sent == "added",
                           evidence_refused=None if sent in (None, "added") else
                           EVIDENCE_REFUSED.get(sent, EVIDENCE_UNREACHABLE),
                           evidence_size=size_words(self.evidence_max_bytes))

    def on_case(self, request: Request, case_id: str) -> Response:
        if request.method == "GET":
            return self.case_page(request, case_id)
        if not self.csrf_ok(request):
            return self.open_page(request, case_id, 400, "The form expired; please check it and send it again.")
        code = request.form.get("access_code", "").strip()[:64]
        if self.claim(request, case_id, code) is None:
            return self.open_page(request, case_id, 404, "This case number and access code do not match.")
        response = redirect(f"/case/{case_id}", code=303)
        self.remember_code(request, response, case_id, code)
        return response

    def case_page(self, request: Request, case_id: str, status_code: int = 200,
                  evidence_error: str | None = None) -> Response:
        code = self.code_of(request, case_id)
        claim = self.claim(request, case_id, code)
        if claim is None:  # no code in this browser yet, or not this case's
            return self.open_page(request, case_id, 401)
        trail = self.trail(case_id)
        if trail is None:
            trail = {"case_id": case_id, "state": claim.get("state"), "entries": []}
        views, complete = self.clocks(case_id)
        clocks = guidance.clocks_from(views)
        state = str(trail.get("state"))
        return self.render(request, "case.html", status_code, case_id=case_id, now=status.now_words(trail),
                           evidence=self.evidence_of(request, case_id, code), evidence_error=evidence_error,
                           evidence_added=request.args.get("added") == "1",
                           evidence_size=size_words(self.evidence_max_bytes),
                           steps=status.steps(trail), trail=trail,
                           next_actor=guidance.who_acts_next(state),
                           deadlines=guidance.deadlines(clocks), clocks_complete=complete,
                           may=guidance.worker_may(state, clocks, str(trail.get("aid_state", "none"))))

    def on_evidence(self, request: Request, case_id: str) -> Response:
        """A file for the case, passed to intake as it came; intake checks it and keeps it."""
        request.max_content_length = self.evidence_max_bytes + FORM_BYTES
        try:
            upload = request.files.get("file")
            csrf_ok = self.csrf_ok(request)
        except RequestEntityTooLarge:
            return self.case_page(request, case_id, 413, EVIDENCE_REFUSED["too_large"])
        if not csrf_ok:
            return self.case_page(request, case_id, 400, "The form expired; please check it and send it again.")
        if upload is None or not upload.filename:
            return self.case_page(request, case_id, 400, EVIDENCE_REFUSED["empty"])
        sent = self.send_evidence(request, case_id, self.code_of(request, case_id), upload.filename,
                                  upload.stream)
        if sent == "unknown_case":
            return self.open_page(request, case_id, 401)
        if sent != "added":
            return self.case_page(request, case_id, 400 if sent in EVIDENCE_REFUSED else 503,
                                  EVIDENCE_REFUSED.get(sent, EVIDENCE_UNREACHABLE))
        return redirect(f"/case/{case_id}?added=1#evidence", code=303)

    def evidence_of(self, request: Request, case_id: str, code: str) -> list[dict[str, Any]]:
        """What the worker sent (names, sizes, dates); an empty list if intake does not answer."""
        try:
            reply = self.http.get(f"{self.intake_url}/v1/claims/{case_id}/evidence", timeout=10,
                                  headers={ACCESS_HEADER: code, **on_behalf_of(request)})
        except requests.RequestException:
            return []
        return list(reply.json().get("evidence", [])) if reply.status_code == 200 else []

    def on_stations(self, request: Request) -> Response:
        base = request.host_url.rstrip("/")
        listed = [(s, f"{base}/file?station={s.station_id}") for s in stations()]
        return self.render(request, "stations.html",
                           stations=[(s, url, qr_svg(url)) for s, url in listed])

    def claim(self, request: Request, case_id: str, code: str) -> dict[str, Any] | None:
        """The claim as intake gives it to its worker; None without the right access code."""
        if not code:
            return None
        try:
            reply = self.http.get(f"{self.intake_url}/v1/claims/{case_id}", timeout=10,
                                  headers={ACCESS_HEADER: code, **on_behalf_of(request)})
        except requests.RequestException as exc:
            raise ServiceUnavailable() from exc
        if reply.status_code == 429:
            raise TooManyRequests()
        return dict(reply.json()) if reply.status_code == 200 else None

    def on_live(self, request: Request) -> Response:
        return Response("ok\n", content_type="text/plain")

    def on_ready(self, request: Request) -> Response:
        # Intake's own readiness is on its operations port, which is closed to the portal. An
        # OPTIONS on the claims API is answered by intake's routing alone (405: no worker, no
        # database, no rate limit spent), so it says whether intake's API answers at all.
        try:
            answered = self.http.options(f"{self.intake_url}/v1/claims", timeout=3).status_code < 500
        except requests.RequestException:
            answered = False
        return Response("ok\n" if answered else "intake does not answer\n",
                        status=200 if answered else 503, content_type="text/plain")


def secret_from_env() -> bytes | None:
    value = os.environ.get("DISPUTES_PORTAL_SECRET")
    return value.encode() if value else None
