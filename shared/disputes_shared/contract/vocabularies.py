"""The word lists of the contract, each defined here once: the payload schemas validate against
them, and the agencies, the CLI and the examples use them instead of a copy."""

from __future__ import annotations

from enum import StrEnum

INDUSTRIES = ["food_delivery", "ride_hailing", "express_delivery", "trucking", "domestic_service",
              "manufacturing", "construction", "retail", "other"]
RELATIONSHIPS = ["employment", "incomplete_employment", "civil"]  # 2021 guideline's three categories
CLAIM_TYPES = ["unpaid_wages", "work_injury", "penalties_deductions", "termination_compensation",
               "social_insurance", "relationship_recognition"]
CHANNELS = ["online", "counter", "hotline_12345", "hotline_12333", "referral"]
CLOSE_OUTCOMES = ["mediated", "withdrawn", "award_performed", "confirmed_and_paid",
                  "judgment_performed", "enforced", "abandoned", "payment_order_paid"]
# 特事急诊: an urgent case is discussed by one of each, who agree one plan for it.
CONSULTATION_ROLES = ["arbitrator", "mediator", "lawyer"]
SESSION_MODES = ["in_person", "video"]  # 线下 / 视频调解
SUBSIDY_DIFFICULTIES = ["simple", "ordinary", "complex", "major"]  # 以案定补: the subsidy grades
# 预警: the early warnings the analytics service raises (see ``payloads.WarningRaised``).
WARNING_RULES = [
    "group_dispute",  # several workers' claims against one employer or platform within a window
    "repeat_employer",  # the same kind of claim against an employer again within a year
    "related_cases",  # several arbitration cases against one employer, or one in court as well
    "spike",  # a series beyond its seasonal baseline
]
INSPECTION_FINDINGS = [
    "arrears_paid",  # the employer paid during the inspection
    "order_issued",  # 责令支付: ordered to pay by a deadline
    "no_violation",
    "referred_to_police",  # 拒不支付劳动报酬罪: refusal to pay is a crime (刑法 art. 276-1)
]


class LimitationStatus(StrEnum):
    """Where the one-year limitation (劳动争议调解仲裁法 art. 27) stood when a claim was filed."""

    RUNNING = "running"  # within the period
    EXPIRED = "expired"  # beyond it: the claim is flagged
    NOT_RUNNING = "not_running"  # wage arrears while the employment lasts (para. 4)
    NOT_APPLICABLE = "not_applicable"  # not a labor dispute (civil relationship)

# The roles staff sign in with (``disputes_shared.identity.roles.Role``): an event records the
# acting person in one of them.
STAFF_ROLES = ["intake_clerk", "mediator", "station_admin", "legal_aid_officer", "arbitrator",
               "court_clerk", "operator", "auditor"]


class ReadPurpose(StrEnum):
    """Why personal data is read: the caller declares one of these, or the command implies it."""

    CASE_WORK = "case_work"              # the agency working the case: contact, hearing, drafting
    CONSULTATION = "consultation"        # 特事急诊: the joint consultation of an urgent case
    SUPERVISION = "supervision"          # a supervisor reviewing the handling (a complaint...)
    LEGAL_OBLIGATION = "legal_obligation"  # a court's or authority's lawful request
    DATA_SUBJECT = "data_subject_access"  # the worker reading their own data (PIPL art. 45)


class ReadVia(StrEnum):
    HTTP = "http"
    RPC = "rpc"
