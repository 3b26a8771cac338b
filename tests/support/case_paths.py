"""The moves each planned path of the synthetic claims makes on a case's trail, as the
end-to-end and fault runs check them."""

from __future__ import annotations

from disputes_shared.contract.lifecycle import NEUTRAL_EVENTS

FACTS = NEUTRAL_EVENTS - {"case.filed"}

MEDIATION = ["case.filed", "case.triaged", "handoff.requested:mediation", "handoff.accepted:mediation"]
FAILED = MEDIATION + ["mediation.failed", "handoff.requested:arbitration"]
AWARDED = FAILED + ["handoff.accepted:arbitration", "arbitration.awarded"]
UNPAID = MEDIATION + ["mediation.agreement_reached", "handoff.requested:judicial_confirmation",
                      "handoff.accepted:judicial_confirmation", "court.ruling_entered"]
EXPECTED_MOVES = {
    "mediated_paid": MEDIATION + ["mediation.agreement_reached", "case.closed"],
    "withdrawn": MEDIATION + ["case.closed"],
    "station_returned_then_mediated": [
        "case.filed", "case.triaged", "handoff.requested:mediation", "handoff.returned:mediation",
        "handoff.requested:mediation", "handoff.accepted:mediation", "mediation.agreement_reached",
        "case.closed"],
    "agreement_unpaid_confirmed_paid": UNPAID + ["case.closed"],
    "agreement_unpaid_enforced": UNPAID + ["court.enforcement_started", "case.closed"],
    "failed_award_performed": AWARDED + ["case.closed"],
    "failed_award_litigated": AWARDED + ["handoff.requested:litigation", "handoff.accepted:litigation",
                                         "court.ruling_entered", "case.closed"],
    "failed_award_enforced": AWARDED + ["handoff.requested:enforcement", "handoff.accepted:enforcement",
                                        "court.enforcement_started", "case.closed"],
    "arbitration_refused_closed": FAILED + ["handoff.returned:arbitration", "case.closed"],
    "civil_failed_litigated": MEDIATION + ["mediation.failed", "handoff.requested:litigation",
                                           "handoff.accepted:litigation", "court.ruling_entered",
                                           "case.closed"],
}
AID_MOVES = {
    "none": [],
    "granted": ["handoff.requested:legal_aid", "handoff.accepted:legal_aid", "legal_aid.granted"],
    "refused": ["handoff.requested:legal_aid", "handoff.accepted:legal_aid", "legal_aid.refused"],
}
