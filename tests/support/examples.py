"""Hand-written example data for the unit tests: valid claims, dossiers and event payloads.

Each builder returns a fresh value that a test may change with keyword arguments.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.consent import sensitive_data_consent
from disputes_shared.contract.envelope import Envelope, decode, encode
from disputes_shared.contract.handoff import PURPOSE_RECEIVER, HandoffPurpose
from disputes_shared.contract.personal_numbers import with_check_character
from disputes_shared.contract.purposes import dossier_for

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORKER = {"name": "王芳", "id_number": with_check_character("51010419900101123"), "phone": "13800001111"}
PERSONAL_VALUES = tuple(WORKER.values())

# A claim as a worker files it online (POST /v1/claims), with legal aid asked for.
CLAIM = {
    "channel": "online",
    "worker": {"name": "李强", "id_number": with_check_character("51010719880506123"), "phone": "13912345678"},
    "migrant_worker": True,
    "employer": {"name": "成都安顺物流有限公司", "platform": "顺丰"},
    "industry": "express_delivery", "relationship": "employment",
    "claim_types": ["unpaid_wages"], "amount_claimed": "8600", "district": "jinniu",
    "legal_aid_requested": True, **sensitive_data_consent(),
}


def claim_document(**changes: Any) -> dict[str, Any]:
    """A claim as a worker submits it (JSON types): a food-delivery rider in Wuhou."""
    document: dict[str, Any] = {
        "channel": "online",
        "worker": dict(WORKER),
        "migrant_worker": True,
        "employer": {"name": "成都迅达配送服务有限公司", "platform": "美团", "intermediary": "众包服务商"},
        "industry": "food_delivery",
        "relationship": "incomplete_employment",
        "claim_types": ["unpaid_wages"],
        "amount_claimed": "3200",
        "district": "wuhou",
        "legal_aid_requested": False,
        "evidence": [{"kind": "platform_record", "description": "收入记录截图"}],
        **sensitive_data_consent(),
    }
    document.update(changes)
    return document


def dossier(**changes: Any) -> dict[str, Any]:
    """A whole case dossier, as intake holds it; a handoff carries what its purpose receives of
    it (``dossier_for``)."""
    document: dict[str, Any] = {
        "worker": dict(WORKER),
        "migrant_worker": True,
        "worker_count": 1,
        "employer": {"name": "成都迅达配送服务有限公司", "platform": "美团", "intermediary": None},
        "industry": "food_delivery",
        "relationship": "incomplete_employment",
        "claim_types": ["unpaid_wages"],
        "amount_claimed": Decimal("3200.00"),
        "district": "wuhou",
        "filed_at": AT,
        "history": {},
        "urgent": False,
        "limitation": None,
    }
    document.update(changes)
    return document


def handoff_payload(purpose: str = "mediation", from_agency: str = "intake", **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "handoff_id": str(uuid.uuid4()),
        "from_agency": from_agency,
        "to_agency": str(PURPOSE_RECEIVER[HandoffPurpose(purpose)]),
        "purpose": purpose,
        "requested_at": AT,
        "to_unit": None,
    }
    payload.update(changes)
    return payload


def example_payloads() -> dict[str, dict[str, Any]]:
    """One valid payload for every event type of the contract."""
    return {
        "case.filed": {
            "channel": "online", "industry": "food_delivery", "relationship": "civil",
            "claim_types": ["unpaid_wages", "work_injury"], "amount_claimed": Decimal("3200.50"),
            "worker_count": 1, "district": "wuhou", "legal_aid_requested": True,
            "chosen_station_id": None, "employer_ref": "0123456789abcdef", "platform": "美团",
            "worker_ref": "fedcba9876543210",
        },
        "case.triaged": {
            "station_id": "ind-fooddelivery-wuhou", "station_kind": "industry", "urgent": False,
            "collective": False, "rules_fired": ["industry_station"], "hand_to": "mediation",
            "rule_reasons": {"industry_station": "the industry's own mediation station"},
            "relationship": "incomplete_employment",
            "limitation": {"status": "running", "runs_from": AT.date(), "ends_on": AT.date(),
                           "rule": "劳动争议调解仲裁法 art. 27 para. 1"},
        },
        "consultation.convened": {"reasons": ["collective_dispute"],
                                  "roles": ["arbitrator", "mediator", "lawyer"]},
        "consultation.held": {"participants": {"arbitrator": "arbitrator-01",
                                               "mediator": "prearb-city-m1", "lawyer": "lawyer-02"},
                              "plan": "employer to pay the wages in two instalments"},
        "case.evidence_received": {"evidence_id": "e0e0e0e0-0000-4000-8000-000000000001",
                                   "media_type": "image/jpeg", "size_bytes": 48213,
                                   "sha256": "ab" * 32, "files_on_case": 1, "received_at": AT},
        "handoff.requested": {**handoff_payload(to_unit="ind-fooddelivery-wuhou"),
                              "reason": "industry:food_delivery", "worked_seconds": None},
        "handoff.dossier": {**handoff_payload(to_unit="ind-fooddelivery-wuhou"), "reason": None,
                            "worked_seconds": 5400.0, "dossier": dossier_for("mediation", dossier())},
        "handoff.accepted": {**handoff_payload(), "accepted_at": AT.replace(hour=11),
                             "wait_seconds": 7200.0},
        "handoff.returned": {**handoff_payload(), "returned_at": AT.replace(hour=10),
                             "wait_seconds": 3600.0, "reason": "station at capacity"},
        "mediation.agreement_reached": {"amount_agreed": Decimal("2560.00"),
                                        "pay_by": AT.date(), "mediator_id": "people-wuhou-m1"},
        "mediation.failed": {"reason": "employer disputes the amount", "mediator_id": "people-wuhou-m2"},
        "mediation.session_held": {"session_number": 2, "mode": "video",
                                   "mediator_id": "people-wuhou-m1"},
        "mediation.arbitration_offered": {"citation": "劳动争议调解仲裁法 art. 14",
                                          "mediator_id": "people-wuhou-m1"},
        "mediation.arbitration_declined": {"mediator_id": "people-wuhou-m1"},
        "mediation.agreement_unperformed": {"pay_by": AT.date(), "amount_agreed": Decimal("2560.00"),
                                            "remedies": ["judicial_confirmation", "arbitration",
                                                         "payment_order"]},
        "mediation.subsidy_assessed": {"mediator_id": "people-wuhou-m1", "difficulty": "ordinary",
                                       "amount": Decimal("400.00"), "ended": "agreement",
                                       "sessions": 2},
        "legal_aid.granted": {"lawyer_id": "lawyer-01", "means_test": "exempt",
                              "worked_seconds": 86400.0},
        "legal_aid.provisional_aid_started": {"lawyer_id": "lawyer-01",
                                              "citation": "法律援助法 art. 44 (1)",
                                              "limitation_ends_on": AT.date()},
        "legal_aid.representation_continued": {"lawyer_id": "lawyer-01", "to_agency": "arbitration",
                                               "purpose": "arbitration", "handoff_id": "h-1"},
        "legal_aid.refused": {"reason": "economic hardship not shown", "worked_seconds": None},
        "arbitration.awarded": {"amount_awarded": Decimal("2880.00"), "final_for_employer": True,
                                "arbitrator_id": "arbitrator-01",
                                "items": {"unpaid_wages": Decimal("2880.00")}},
        "arbitration.award_effective": {"final_for_employer": False, "effective_on": AT.date()},
        "court.ruling_entered": {"proceeding": "judicial_confirmation", "ruling": "confirmed",
                                 "amount": Decimal("2560.00")},
        "court.payment_order_issued": {"amount": Decimal("2560.00"), "respond_by": AT.date()},
        "court.payment_order_objected": {"turned_to_litigation": True},
        "court.enforcement_started": {"amount_due": Decimal("2560.00")},
        "case.closed": {"outcome": "mediated", "amount_recovered": Decimal("2560.00"), "days_open": 12,
                        "worked_seconds": 864000.0},
        "clock.started": clock_fields(),
        "clock.recounted": clock_fields(),
        "clock.extended": {**clock_fields(extension_days=15), "approved_by": "chair-01"},
        "clock.stopped": {**clock_fields(), "reason": "award made"},
        "clock.elapsed": {**clock_fields(), "elapsed_means": "no award in time: either party may sue"},
        "inspection.concluded": {"handoff_id": str(uuid.uuid4()), "finding": "order_issued",
                                 "amount_recovered": Decimal("3200.00"), "workers_paid": 1,
                                 "note": None},
        "warning.raised": {"rule": "group_dispute", "subject": "0123456789abcdef",
                           "case_ids": ["LD-20260302-0000000001", "LD-20260302-0000000002"],
                           "figures": {"workers": 6.0, "threshold_workers": 5.0},
                           "explanation": "6 workers in 2 separate claims against 0123456789abcdef",
                           "agencies": []},
        "agency.changed": {"agency": "labor_inspection", "status": "active",
                           "purpose": "wage_arrears_referrals", "changed_at": AT},
        "personal_data.read": {"fields_read": ["worker.id_number", "worker.name"],
                               "purpose": "case_work", "via": "rpc", "data_subject": False,
                               "actor": {"subject": "mediator-1", "role": "mediator"}},
        "case.personal_data_erased": {"grounds": "worker_request", "reason": "request 2026-0042",
                                      "request_id": "0b5e3a52-5d3c-4f0e-9f3c-1d2a3b4c5d6e",
                                      "requested_by": {"subject": "clerk-7", "role": "intake_clerk"},
                                      "erased_at": AT},
        "case.evidence_deleted": {"grounds": "retention_expired", "files_deleted": 2,
                                  "reason": "3 years after the case closed on 2026-03-02",
                                  "deleted_at": AT},
    }


def clock_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "clock_id": "c0c0c0c0-0000-4000-8000-000000000001", "kind": "award",
        "citation": "劳动争议调解仲裁法 art. 43", "started_at": AT, "last_day": AT.date(),
        "due_at": AT, "provisional": False, "extension_days": 0,
    }
    fields.update(changes)
    return fields


def envelope(event_type: str, payload: dict[str, Any] | None = None, **changes: Any) -> Envelope:
    fields: dict[str, Any] = {
        "event_type": event_type, "case_id": "LD-20260302-0000000001",
        "source_agency": Agency.INTAKE, "occurred_at": AT,
        "payload": example_payloads()[event_type] if payload is None else payload,
        "correlation_id": "corr-1",
    }
    fields.update(changes)
    return Envelope(**fields)


def delivered(sent: Envelope) -> Envelope:
    """The envelope as a consumer receives it: encoded on the wire, decoded and validated."""
    return decode(encode(sent))


def dossier_envelope(purpose: str = "mediation", case_id: str = "LD-20260302-0000000001",
                     requested_at: datetime = AT, to_unit: str | None = None,
                     from_agency: str = "intake", **dossier_changes: Any) -> Envelope:
    """A ``handoff.dossier`` as the receiving agency gets it off its queue."""
    payload = {**handoff_payload(purpose, from_agency, requested_at=requested_at, to_unit=to_unit),
               "reason": "routed", "dossier": dossier_for(purpose, dossier(**dossier_changes))}
    return delivered(envelope("handoff.dossier", payload, case_id=case_id,
                              source_agency=Agency(from_agency), occurred_at=requested_at))
