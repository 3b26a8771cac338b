"""The operator's and auditor's pages (``/staff/operator``, ``/staff/audit``): the bottleneck
view of ``disputes handoffs`` and a case's trail with the verification of ``disputes verify``.

Both read the trail service's RPC as the signed-in person, as the command line does: the trail
checks their role, and records an auditor's reading of a case's trail under their name. The
figures are the trail's (``handoff_summary``, ``verify``); the pages only draw them.
"""

from __future__ import annotations

from urllib.parse import quote

from nameko.exceptions import RpcTimeout
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from disputes_shared.identity.roles import may

from . import oversight
from .workbench_pages import ServiceRefused, SessionEnded, WorkbenchPages

TRAIL = "trail"
NOT_ANSWERING = "The service cannot be reached right now. Please try again."
NO_TRAIL = "No trail for this case number."
CASE_ID_LIMIT = 64


class OversightPages(WorkbenchPages):
    """Mixed into the portal's application with the workbench, whose session and calls it uses."""

    def on_staff_operator(self, request: Request) -> Response:
        self.workbench_ready()
        member = self.member(request)
        if member is None:
            return self.to_sign_in(request)
        context = {"member": member, "may_audit": may(member.role, TRAIL, "trail")}
        try:
            summary = self.call_service(member, TRAIL, "handoff_summary")
        except SessionEnded:
            return self.to_sign_in(request, "ended")
        except ServiceRefused as refused:
            return self.render(request, "staff_operator.html", 403, error=str(refused), summary=None,
                               **context)
        except (RpcTimeout, OSError):
            return self.render(request, "staff_operator.html", 503, error=NOT_ANSWERING, summary=None,
                               **context)
        return self.render(request, "staff_operator.html", summary=summary,
                           chart=oversight.wait_chart(summary["pairs"]), **context)

    def on_staff_audit(self, request: Request) -> Response:
        """The auditor's start: a case number to open (a GET form: reading changes nothing)."""
        self.workbench_ready()
        member = self.member(request)
        if member is None:
            return self.to_sign_in(request)
        case_id = request.args.get("case_id", "").strip()[:CASE_ID_LIMIT]
        if case_id:
            return redirect(f"/staff/audit/cases/{quote(case_id, safe='')}?lang={self.language(request)}",
                            code=303)
        return self.render(request, "staff_audit.html", member=member, trail=None, case_id="")

    def on_staff_audit_case(self, request: Request, case_id: str) -> Response:
        self.workbench_ready()
        member = self.member(request)
        if member is None:
            return self.to_sign_in(request)
        case_id = case_id[:CASE_ID_LIMIT]
        context = {"member": member, "case_id": case_id, "trail": None, "verification": None}
        try:
            # Recorded on the trail as read by this person, with their role, as the CLI's reading is.
            trail = self.call_service(member, TRAIL, "trail", case_id)
        except SessionEnded:
            return self.to_sign_in(request, "ended")
        except ServiceRefused as refused:
            unknown = refused.error_type == "UnknownCase"
            return self.render(request, "staff_audit.html", 404 if unknown else 403,
                               error=NO_TRAIL if unknown else str(refused), **context)
        except (RpcTimeout, OSError):
            return self.render(request, "staff_audit.html", 503, error=NOT_ANSWERING, **context)
        try:
            report = self.call_service(member, TRAIL, "verify")
        except SessionEnded:
            return self.to_sign_in(request, "ended")
        except (ServiceRefused, RpcTimeout, OSError):
            report = None  # the trail is still shown; the page says it could not be verified
        checked = oversight.verification(report, trail["entries"]) if report else None
        return self.render(request, "staff_audit.html", **{
            **context, "trail": trail, "verification": checked,
            "rows": oversight.trail_rows(trail["entries"], checked.first_bad_entry if checked else None)})
