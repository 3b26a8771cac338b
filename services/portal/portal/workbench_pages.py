"""The staff workbench's pages (``/staff``): sign-in, the work queue of the person's agency (or
mediation station), a case's page with that agency's actions (``workbench.DESK_OF_ROLE``). Every
action is the same RPC command the command line sends, as the signed-in person; every form is
checked here first (messages at the fields, in the page's language, nothing sent) and the
service has the last word."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from nameko.exceptions import RemoteError, RpcTimeout
from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from disputes_shared.clocks.statutory import china_day
from disputes_shared.contract.stations import stations
from disputes_shared.identity.roles import may

from . import labels, status, workbench
from .city_signin import CityProvider
from .staff import (
    OVERSIGHT_HOME,
    SIGN_IN_ROLES,
    STAFF_COOKIE,
    SignIn,
    SignInRefused,
    StaffCalls,
    StaffMember,
    member_of,
)

UNREACHABLE = "The service cannot be reached right now; nothing was changed. Please try again."
EXPIRED = "The form expired; please check it and send it again."
FORBIDDEN = "Your role may not do this."
NOT_YOURS = "This case is at another station: only that station's staff may act on it."
STATE_WORDS = {**status.STATE_WORDS, **labels.AID_STATE}  # a legal-aid application's own track


class ServiceRefused(Exception):
    """The agency service said no; ``message`` is its reason, ``error_type`` the service's name
    for the refusal (``Forbidden``, ``UnknownCase``...)."""

    def __init__(self, message: str, error_type: str = "") -> None:
        super().__init__(message)
        self.error_type = error_type


class SessionEnded(Exception):
    """The services no longer accept the person's token."""


class WorkbenchPages:
    """Mixed into the portal's application, which gives ``render`` and the CSRF check."""

    staff_calls: StaffCalls | None
    sign_in: SignIn | None
    city: CityProvider | None
    render: Callable[..., Response]
    csrf_ok: Callable[[Request], bool]
    language: Callable[[Request], str]
    now: Callable[[], datetime]

    # --- the session --------------------------------------------------------------------------
    def member(self, request: Request) -> StaffMember | None:
        return member_of(request.cookies.get(STAFF_COOKIE, ""), self.now().timestamp())

    def to_sign_in(self, request: Request, message: str | None = None) -> Response:
        response = redirect(f"/staff/signin?lang={self.language(request)}"
                            + ("&ended=1" if message else ""), code=303)
        response.delete_cookie(STAFF_COOKIE, path="/staff")
        return response

    def start_session(self, request: Request, response: Response, token: str) -> Response:
        """The session of a person signed in, by whichever sign-in: their token in a cookie."""
        response.set_cookie(STAFF_COOKIE, token, httponly=True, samesite="Strict",
                            secure=request.is_secure, path="/staff")
        return response

    def call(self, member: StaffMember, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.call_service(member, desk_of(member).service, method, *args, **kwargs)

    def call_service(self, member: StaffMember, service: str, method: str, *args: Any,
                     **kwargs: Any) -> Any:
        assert self.staff_calls is not None
        try:
            return self.staff_calls.call(member.token, service, method, *args, **kwargs)
        except RemoteError as error:
            if error.exc_type == "Unauthenticated":
                self.staff_calls.forget(member.token)
                raise SessionEnded() from error
            if error.exc_type == "Forbidden":
                station = str(error.value).startswith("station:")
                raise ServiceRefused(NOT_YOURS if station else FORBIDDEN, error.exc_type) from error
            raise ServiceRefused(str(error.value), str(error.exc_type)) from error

    def workbench_ready(self) -> None:
        if self.staff_calls is None:
            raise NotFound()

    # --- pages --------------------------------------------------------------------------------
    def on_staff_signin(self, request: Request) -> Response:
        self.workbench_ready()
        errors: dict[str, str] = {}
        values = {"name": "", "role": "", "station": ""}
        if self.sign_in is None and self.city is None:
            return self.render(request, "staff_signin.html", 503, values=values, errors=errors,
                               roles=SIGN_IN_ROLES, stations=stations(), unavailable=True)
        if request.method == "POST" and self.sign_in is None:
            raise NotFound()
        if request.method == "POST":
            values = {k: request.form.get(k, "").strip()[:64] for k in values}
            if not self.csrf_ok(request):
                errors["form"] = EXPIRED
            else:
                try:
                    assert self.sign_in is not None
                    token = self.sign_in(values["name"], values["role"], values["station"] or None)
                except SignInRefused as refused:
                    errors[refused.field] = str(refused)
                else:
                    return self.start_session(
                        request, redirect(f"/staff?lang={self.language(request)}", code=303), token)
        return self.render(request, "staff_signin.html", 400 if errors else 200, values=values,
                           errors=errors, roles=SIGN_IN_ROLES, stations=stations(),
                           ended=request.args.get("ended") == "1", unavailable=False,
                           development=self.sign_in is not None, city=self.city is not None)

    def on_staff_signout(self, request: Request) -> Response:
        self.workbench_ready()
        member = self.member(request)
        if member is not None and self.csrf_ok(request):
            assert self.staff_calls is not None
            self.staff_calls.forget(member.token)
        return self.to_sign_in(request)

    def on_staff(self, request: Request) -> Response:
        member = self.member(request)
        if member is not None and member.role in OVERSIGHT_HOME:  # no station's queue to work
            return redirect(f"{OVERSIGHT_HOME[member.role]}?lang={self.language(request)}", code=303)
        return self.queue_page(request)

    def queue_page(self, request: Request, status_code: int = 200, error: str | None = None,
                   returning: str | None = None, form: workbench.Form | None = None) -> Response:
        self.workbench_ready()
        member = self.member(request)
        if member is None:
            return self.to_sign_in(request)
        try:
            handoffs = self.call(member, "pending_handoffs")
            cases = self.call(member, "open_cases")
            clocks = self.call(member, "running_clocks")
        except SessionEnded:
            return self.to_sign_in(request, "ended")
        except ServiceRefused as refused:
            return self.staff_page(request, "staff_queue.html", member, 403, waiting=[], cases=[],
                                   error=str(refused), returning=None, form=None)
        except (RpcTimeout, OSError):
            return self.staff_page(request, "staff_queue.html", member, 503, waiting=[], cases=[],
                                   error=UNREACHABLE, returning=None, form=None)
        return self.staff_page(
            request, "staff_queue.html", member, status_code, error=error,
            waiting=workbench.waiting_handoffs(handoffs, station_of(member),
                                               desk_of(member).service_order),
            cases=workbench.open_cases(cases, clocks, station_of(member), self.now()),
            returning=returning, form=form)

    def staff_page(self, request: Request, template: str, member: StaffMember, status_code: int,
                   **context: Any) -> Response:
        """A workbench page: the person's desk and what their role may do there."""
        desk = desk_of(member)
        may_do = {command: may(member.role, desk.service, command) for command in desk.commands}
        return self.render(request, template, status_code, member=member, desk=desk, may=may_do,
                           reasons=desk.return_reasons, state_words=STATE_WORDS, now=self.now(),
                           **context)

    def on_staff_handoff(self, request: Request, handoff_id: str) -> Response:
        self.workbench_ready()
        member = self.member(request)
        if member is None:
            return self.to_sign_in(request)
        if not self.csrf_ok(request):
            return self.queue_page(request, 400, EXPIRED)
        action = request.form.get("action")
        try:
            if action == "accept":
                self.call(member, "accept_handoff", handoff_id)
            elif action == "return":
                form = workbench.read_return(request.form, desk_of(member).return_reasons)
                if not form.valid:
                    return self.queue_page(request, 400, returning=handoff_id, form=form)
                self.call(member, "return_handoff", handoff_id, form.values["reason"])
            else:
                return self.queue_page(request, 400, "Please choose what to do.")
        except SessionEnded:
            return self.to_sign_in(request, "ended")
        except ServiceRefused as refused:
            return self.queue_page(request, 409, str(refused))
        except (RpcTimeout, OSError):
            return self.queue_page(request, 503, UNREACHABLE)
        return redirect(f"/staff?lang={self.language(request)}&done={action}", code=303)

    def on_staff_case(self, request: Request, case_id: str) -> Response:
        self.workbench_ready()
        member = self.member(request)
        if member is None:
            return self.to_sign_in(request)
        if request.method == "GET":
            return self.staff_case_page(request, member, case_id)
        if not self.csrf_ok(request):
            return self.staff_case_page(request, member, case_id, 400, error=EXPIRED)
        action = desk_of(member).action(request.form.get("action", ""))
        if action is None:
            return self.staff_case_page(request, member, case_id, 400, error="Please choose what to do.")
        form = workbench.read_action(action, request.form, china_day(self.now()))
        if not form.valid:
            return self.staff_case_page(request, member, case_id, 400, action=action.name, form=form)
        try:
            self.call(member, action.command, case_id, **workbench.arguments(form))
        except SessionEnded:
            return self.to_sign_in(request, "ended")
        except ServiceRefused as refused:
            return self.staff_case_page(request, member, case_id, 409, error=str(refused),
                                        action=action.name, form=form)
        except (RpcTimeout, OSError):
            return self.staff_case_page(request, member, case_id, 503, error=UNREACHABLE,
                                        action=action.name, form=form)
        return redirect(f"/staff/cases/{case_id}?lang={self.language(request)}&done={action.name}",
                        code=303)

    def staff_case_page(self, request: Request, member: StaffMember, case_id: str,
                        status_code: int = 200, error: str | None = None,
                        action: str | None = None, form: workbench.Form | None = None) -> Response:
        try:
            cases = self.call(member, "open_cases")
            # The case's own clocks: the agency's running ones come soonest first and at most
            # so many, and a case whose deadline is further off than theirs is not among them.
            clocks = [c for c in self.call(member, "case_clocks", case_id) if c.get("status") == "running"]
        except SessionEnded:
            return self.to_sign_in(request, "ended")
        except (ServiceRefused, RpcTimeout, OSError):
            return self.staff_page(request, "staff_case.html", member, 503, case=None,
                                   case_id=case_id, clocks=[], error=UNREACHABLE, action=None,
                                   form=None, actions=[])
        found = [c for c in workbench.open_cases(cases, clocks, station_of(member), self.now())
                 if c.case_id == case_id]
        if not found and not request.args.get("done"):  # not just moved on by an action here
            status_code, error = 404, "No open case with this number here."
        return self.staff_page(request, "staff_case.html", member, status_code,
                               case=found[0] if found else None, case_id=case_id,
                               clocks=sorted(clocks, key=lambda c: c["due_at"]), error=error,
                               action=action, form=form, done=request.args.get("done"),
                               actions=workbench.offered(desk_of(member), found[0].state) if found else [])


def desk_of(member: StaffMember) -> workbench.Desk:
    return workbench.DESK_OF_ROLE[member.role]


def station_of(member: StaffMember) -> str | None:
    """The station whose queue a person sees: a mediation station's staff their own; others
    their whole agency's."""
    return member.station if workbench.works_at_station(member.role) else None


def utc_now() -> datetime:
    return datetime.now(UTC)
