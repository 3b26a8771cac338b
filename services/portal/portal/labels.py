"""The words for the contract's codes (msgids; the page translates them)."""

INDUSTRY = {
    "food_delivery": "Food delivery", "ride_hailing": "Ride hailing",
    "express_delivery": "Express delivery", "trucking": "Trucking",
    "domestic_service": "Domestic service", "manufacturing": "Manufacturing",
    "construction": "Construction", "retail": "Retail", "other": "Other work",
}
RELATIONSHIP = {
    "employment": "Employee: they hired you, set your hours and pay you a wage.",
    "incomplete_employment": "Platform worker: the platform directs and pays your work, "
                             "but you have no ordinary employment contract.",
    "civil": "Independent: you took jobs on your own terms, like a contractor.",
}
CLAIM_TYPE = {
    "unpaid_wages": "Unpaid wages", "work_injury": "Injury at work",
    "penalties_deductions": "Fines or deductions", "termination_compensation": "Compensation for dismissal",
    "social_insurance": "Social insurance", "relationship_recognition": "Recognition of the work relationship",
}
DISTRICT = {
    "jinjiang": "Jinjiang", "qingyang": "Qingyang", "jinniu": "Jinniu",
    "wuhou": "Wuhou", "chenghua": "Chenghua", "gaoxin": "Gaoxin",
}
AGENCY = {  # who acted, as a worker names them (the trail's source_agency codes)
    "intake": "Labor dispute service centre", "mediation": "Mediation station",
    "legal_aid": "Legal aid centre", "arbitration": "Labor dispute arbitration commission",
    "courts": "Court", "labor_inspection": "Labor inspection",
}
STAFF_ROLE = {  # the staff pages' roles (identity.roles.Role values)
    "station_admin": "Station desk (answers handoffs)", "mediator": "Mediator",
    "operator": "Platform operator", "auditor": "Auditor",
    "legal_aid_officer": "Legal aid officer", "arbitrator": "Arbitrator",
    "court_clerk": "Court clerk",
}
AID_STATE = {  # a legal-aid application's track (lifecycle.AidState values), on the workbench
    "requested": "Application waiting to be taken on.",
    "under_review": "Application under review.",
}
PURPOSE = {  # what an agency is asked to do (handoff.HandoffPurpose values)
    "mediation": "Mediation", "legal_aid": "Legal aid", "arbitration": "Arbitration",
    "judicial_confirmation": "Judicial confirmation of a mediation agreement",
    "litigation": "A suit", "enforcement": "Enforcement", "payment_order": "A payment order",
    "labor_inspection": "Labor inspection",
}
