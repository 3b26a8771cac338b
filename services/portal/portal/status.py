"""A case's trail (the trail service's ``trail`` RPC) told to the worker in plain words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .labels import AGENCY

# What each recorded event means to the worker (msgids; the page translates them).
STEP_WORDS = {
    "case.filed": "Your claim was received.",
    "case.triaged": "Your claim was sent to a mediation station.",
    "case.evidence_received": "Evidence you sent was received.",
    "handoff.requested": "Your case was passed to another office.",
    "handoff.accepted": "The office took on your case.",
    "handoff.returned": "The office sent your case back.",
    "handoff.dossier": "Your case file was passed on.",
    "mediation.session_held": "A mediation session was held.",
    "mediation.agreement_reached": "An agreement was reached in mediation.",
    "mediation.agreement_unperformed": "The employer did not pay as agreed.",
    "mediation.failed": "Mediation ended without agreement.",
    "mediation.arbitration_offered": "You were offered to go to arbitration.",
    "mediation.arbitration_declined": "Arbitration was declined.",
    "mediation.subsidy_assessed": "The mediation subsidy was assessed.",
    "legal_aid.granted": "Legal aid was granted.",
    "legal_aid.refused": "Legal aid was refused.",
    "legal_aid.provisional_aid_started": "Urgent legal aid started before the decision.",
    "legal_aid.representation_continued": "Your legal aid lawyer continues with you.",
    "arbitration.awarded": "The arbitration commission made an award.",
    "arbitration.award_effective": "The arbitration award is in force.",
    "court.payment_order_issued": "The court issued a payment order.",
    "court.payment_order_objected": "The employer objected to the payment order.",
    "court.ruling_entered": "The court ruled.",
    "court.enforcement_started": "The court started enforcement.",
    "case.closed": "Your case was closed.",
    "case.personal_data_erased": "Your personal data was erased.",
    "case.evidence_deleted": "Evidence you sent was deleted at the end of its retention period.",
}
OTHER_STEP = "A step was recorded."
# A handoff whose receiving office is known names it (``to`` is a labels.AGENCY msgid).
PASSED_TO = "Your case was passed to another office: %(to)s."

# Where the case stands now, by the trail's state (msgids).
STATE_WORDS = {  # keyed by disputes_shared.contract.lifecycle.CaseState's values
    "filed": "Received; being sorted.",
    "triaged": "Waiting for the mediation station.",
    "mediation_requested": "Waiting for the mediation station.",
    "in_mediation": "In mediation.",
    "agreement_reached": "Agreement reached; waiting for payment.",
    "mediation_failed": "Mediation ended without agreement.",
    "arbitration_requested": "Waiting for the arbitration commission.",
    "in_arbitration": "At the arbitration commission.",
    "arbitration_refused": "The arbitration commission did not accept the case.",
    "awarded": "The arbitration commission made an award.",
    "court_requested": "Waiting for the court.",
    "court_refused": "The court did not accept the case.",
    "in_court": "At the court.",
    "ruled": "The court ruled.",
    "enforcing": "The court is enforcing.",
    "closed": "Closed.",
}
OTHER_STATE = "In progress."


def steps(trail: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each recorded step: its date and time (as recorded, to the minute), the agency, its meaning.
    The trail's own notes (who read it) are not steps of the case."""
    return [step(entry) for entry in trail.get("entries", []) if entry.get("agency") != "trail"]


def step(entry: Mapping[str, Any]) -> dict[str, str]:
    event_type = str(entry["event_type"])
    to = str((entry.get("details") or {}).get("to_agency", ""))
    passed = event_type == "handoff.requested" and to in AGENCY
    return {"at": str(entry["at"])[:16].replace("T", " "), "agency": str(entry["agency"]),
            "words": PASSED_TO if passed else STEP_WORDS.get(event_type, OTHER_STEP),
            "to": AGENCY[to] if passed else ""}


def now_words(trail: Mapping[str, Any]) -> str:
    return STATE_WORDS.get(str(trail.get("state")), OTHER_STATE)
