"""The pages of the staff sign-in with the city's provider: ``/staff/signin/city`` sends the
person there, ``/staff/signin/callback`` takes them back and starts the workbench's session.
A failure is a page in the person's language, logged by its reason and never with a token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from disputes_shared.contract.stations import stations

from .city_signin import FLOW_SECONDS, CityProvider, Flow, FlowCookie, SignInFailed
from .staff import SIGN_IN_ROLES, member_of

log = logging.getLogger(__name__)

FLOW_COOKIE = "portal_signin"
FLOW_PATH = "/staff/signin"
FAILED = {  # SignInFailed.reason → what the person reads, and the page's status
    "flow": ("This sign-in did not start here or took too long; please sign in again.", 400),
    "provider": ("The city's sign-in service did not sign you in; please try again.", 400),
    "token": ("The city's sign-in service's answer could not be verified; you are not signed in. "
              "Please try again, or tell your administrator if it happens again.", 400),
    "unreachable": ("The city's sign-in service cannot be reached right now; please try again.", 503),
}
NO_ROLE = "Your account has no role on this workbench; please ask your administrator."


class CitySignInPages:
    """Mixed into the portal's application with the workbench's pages."""

    city: CityProvider | None
    secret: bytes
    sign_in: Callable[..., str] | None
    render: Callable[..., Response]
    start_session: Callable[[Request, Response, str], Response]
    now: Callable[[], datetime]

    def on_staff_signin_city(self, request: Request) -> Response:
        if self.city is None:
            raise NotFound()
        flow = Flow.start(self.now().timestamp())
        try:
            url = self.city.authorization_url(flow)
        except SignInFailed as failed:
            return self.sign_in_failed(request, failed)
        response = redirect(url, code=302)
        # Lax, not Strict: the way back is the provider's redirect, a cross-site navigation on
        # which a Strict cookie would not be sent. Signed, ten minutes, this path only.
        response.set_cookie(FLOW_COOKIE, FlowCookie(self.secret).seal(flow), max_age=FLOW_SECONDS,
                            httponly=True, samesite="Lax", secure=request.is_secure, path=FLOW_PATH)
        return response

    def on_staff_signin_callback(self, request: Request) -> Response:
        if self.city is None:
            raise NotFound()
        try:
            flow = FlowCookie(self.secret).open(request.cookies.get(FLOW_COOKIE, ""),
                                                self.now().timestamp())
            token = self.city.finish(flow, request.args)
        except SignInFailed as failed:
            return self.sign_in_failed(request, failed)
        member = member_of(token, self.now().timestamp())
        if member is None:
            log.warning("staff sign-in refused (role): the provider's token names no workbench role")
            return self.forget_flow(self.sign_in_page(request, 403, NO_ROLE))
        log.info("staff sign-in: %s as %s", member.subject, member.role)
        # A page that moves on by itself rather than a redirect: after the provider's cross-site
        # redirect the browser would not send the session's Strict cookie with a redirect's
        # request, but it does with one this page starts.
        page = self.render(request, "staff_signed_in.html", member=member)
        return self.forget_flow(self.start_session(request, page, token))

    def sign_in_failed(self, request: Request, failed: SignInFailed) -> Response:
        log.warning("staff sign-in refused (%s): %s", failed.reason, failed.detail)
        message, status_code = FAILED[failed.reason]
        return self.forget_flow(self.sign_in_page(request, status_code, message))

    def sign_in_page(self, request: Request, status_code: int, message: str) -> Response:
        return self.render(request, "staff_signin.html", status_code, error=message,
                           values={"name": "", "role": "", "station": ""}, errors={},
                           roles=SIGN_IN_ROLES, stations=stations(), ended=False,
                           unavailable=False, development=self.sign_in is not None, city=True)

    def forget_flow(self, response: Response) -> Response:
        response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
        return response
