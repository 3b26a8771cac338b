"""The roles staff sign in with, and the one table of what each may call.

A role belongs to one agency and job. ``PERMITTED`` maps each role to the RPC commands and HTTP
endpoints it may use, per service; a command no role lists is refused to everyone (deny by
default), and ``OPEN`` lists what needs no sign-in at all (a worker filing a claim).
"""

from __future__ import annotations

from enum import StrEnum

from ..contract.agencies import Agency


class Role(StrEnum):
    INTAKE_CLERK = "intake_clerk"          # 立案窗口: takes down claims, holds consultations
    MEDIATOR = "mediator"                  # 调解员 of one station: works its cases
    STATION_ADMIN = "station_admin"        # 调解组织管理员: the station's desk, answers handoffs
    LEGAL_AID_OFFICER = "legal_aid_officer"  # 法律援助工作人员
    ARBITRATOR = "arbitrator"              # 仲裁员 (and the commission's case desk)
    COURT_CLERK = "court_clerk"            # 法院立案/书记员
    OPERATOR = "operator"                  # runs the platform: summaries, never a case's data
    AUDITOR = "auditor"                    # reads the trail, changes nothing
    # A service's own account, not a person's: the worker portal reads a case's trail and
    # clocks for a worker whose access code intake has just checked.
    WORKER_PORTAL = "worker_portal"


# Roles of services rather than people: they act on no case, so no event names them.
SERVICE_ROLES = frozenset({Role.WORKER_PORTAL})


AGENCY_OF_ROLE: dict[Role, Agency | None] = {
    Role.INTAKE_CLERK: Agency.INTAKE,
    Role.MEDIATOR: Agency.MEDIATION,
    Role.STATION_ADMIN: Agency.MEDIATION,
    Role.LEGAL_AID_OFFICER: Agency.LEGAL_AID,
    Role.ARBITRATOR: Agency.ARBITRATION,
    Role.COURT_CLERK: Agency.COURTS,
    Role.OPERATOR: None,  # the platform's, not an agency's
    Role.AUDITOR: None,
    Role.WORKER_PORTAL: None,
}
ROLES_WITH_STATION = frozenset({Role.MEDIATOR, Role.STATION_ADMIN})

# Commands, by service, that need no sign-in: a worker files a claim online, or a hotline or
# referral system files it for them (rate limiting is the HTTP front's business).
OPEN: dict[str, frozenset[str]] = {
    "intake": frozenset({"file_claim", "POST /v1/claims"}),
}
# Endpoints a worker reaches without an account but with the claim's access code, which the
# endpoint itself checks; a caller who sends a token instead is checked as staff, by role.
WORKER_WITH_ACCESS_CODE: dict[str, frozenset[str]] = {
    "intake": frozenset({"GET /v1/claims/<case_id>", "GET /v1/claims/<case_id>/evidence",
                         "POST /v1/claims/<case_id>/evidence",
                         "GET /v1/claims/<case_id>/evidence/<evidence_id>"}),
}

# Every agency's desk (``HandoffDeskRpc``) and clocks (``StatutoryClocks``) commands.
_DESK_READS = frozenset({"open_cases", "pending_handoffs", "clock_summary", "case_clocks",
                         "running_clocks"})
_DESK_ANSWERS = frozenset({"accept_handoff", "return_handoff"})
_CASE_ENDS = frozenset({"close", "sue"})
_CLOCK_SUMMARY = frozenset({"clock_summary"})
# A case's dossier (personal data), for the staff who work the case, never a desk or the
# platform's staff; each read is recorded on the trail (``contract.reads``).
_DOSSIER = frozenset({"dossier"})
_ANALYTICS_READS = frozenset({"report", "report_document", "simulate", "risk_notice"})

PERMITTED: dict[Role, dict[str, frozenset[str]]] = {
    Role.INTAKE_CLERK: {
        # The worker's rights over their data (PIPL arts. 45, 47) are asked at intake's counter:
        # the copy gathers each agency's dossier; the erasure reaches every agency by event.
        "intake": frozenset({"hold_consultation", "consultations_pending", "claim",
                             "GET /v1/claims/<case_id>", "GET /v1/claims/<case_id>/evidence",
                             "GET /v1/claims/<case_id>/evidence/<evidence_id>",
                             "erase_personal_data", "personal_data"}),
        **{service: frozenset({"personal_data"})
           for service in ("mediation", "legal_aid", "arbitration", "courts_bridge")},
    },
    Role.STATION_ADMIN: {
        "mediation": _DESK_READS | _DESK_ANSWERS | _CASE_ENDS,
    },
    Role.MEDIATOR: {
        "mediation": _DESK_READS | _CASE_ENDS | _DOSSIER | {
            "record_session", "record_agreement", "record_payment", "record_failure",
            "refer_unpaid_agreement", "answer_arbitration_offer", "pursue_unpaid_agreement"},
    },
    Role.LEGAL_AID_OFFICER: {
        "legal_aid": _DESK_READS | _DESK_ANSWERS | _CASE_ENDS | _DOSSIER | {"decide"},
    },
    Role.ARBITRATOR: {
        "arbitration": _DESK_READS | _DESK_ANSWERS | _CASE_ENDS | _DOSSIER | {
            "record_award", "record_award_performed", "refer_to_court", "serve_respondent",
            "record_answer", "pass_on_answer", "name_panel", "schedule_hearing",
            "extend_award_period", "apply_to_set_aside"},
    },
    Role.COURT_CLERK: {
        "courts_bridge": _DESK_READS | _DESK_ANSWERS | _CASE_ENDS | _DOSSIER | {
            "enter_ruling", "record_compliance", "start_enforcement", "conclude_enforcement",
            "issue_payment_order", "record_objection"},
    },
    # Summaries across agencies, no personal data and no case's trail.
    Role.OPERATOR: {
        **{service: _CLOCK_SUMMARY | {"open_cases", "pending_handoffs"}
           for service in ("mediation", "legal_aid", "arbitration", "courts_bridge")},
        # The registry of outside agencies (disputes agency): routing, no case's data.
        "intake": frozenset({"consultations_pending", "register_agency", "suspend_agency",
                             "resume_agency", "remove_agency", "agencies"}),
        "trail": frozenset({"case_states", "handoff_summary"}),
        # The centre's figures and warnings (no personal data); rebuilding them from the trail.
        "analytics": _ANALYTICS_READS | {"rebuild"},
    },
    Role.WORKER_PORTAL: {
        "trail": frozenset({"trail"}),
        **{service: frozenset({"case_clocks"})
           for service in ("mediation", "legal_aid", "arbitration", "courts_bridge")},
    },
    Role.AUDITOR: {
        # ``entries``: every case's entries in recorded order, as a rebuild of analytics reads them;
        # ``verify``: the whole chain and its signed checkpoints, checked by the trail itself.
        "trail": frozenset({"trail", "case_states", "handoff_summary", "entries", "verify",
                            "personal_data_reads"}),
        "analytics": _ANALYTICS_READS,
        **{service: _CLOCK_SUMMARY | {"case_clocks"}
           for service in ("mediation", "legal_aid", "arbitration", "courts_bridge")},
    },
}


def is_open(service: str, command: str) -> bool:
    return command in OPEN.get(service, frozenset())


def is_for_worker_with_code(service: str, command: str) -> bool:
    return command in WORKER_WITH_ACCESS_CODE.get(service, frozenset())


def may(role: Role, service: str, command: str) -> bool:
    return command in PERMITTED.get(role, {}).get(service, frozenset())


def roles_for(service: str, command: str) -> list[Role]:
    """The roles that may use a command (for the simulated staff and the documentation)."""
    return [role for role in Role if may(role, service, command)]
