"""The events that carry a handoff: its request (broadcast, then the dossier to the receiving
agency alone) and its answer, and the pending handoff a request describes."""

from __future__ import annotations

from typing import Any

from .agencies import Agency
from .envelope import Envelope
from .handoff import Handoff, HandoffPurpose
from .purposes import dossier_for


def handoff_fields(handoff: Handoff) -> dict[str, Any]:
    return {
        "handoff_id": handoff.handoff_id,
        "from_agency": str(handoff.from_agency),
        "to_agency": str(handoff.to_agency),
        "purpose": str(handoff.purpose),
        "requested_at": handoff.requested_at,
        "to_unit": handoff.to_unit,
    }


def handoff_request_events(handoff: Handoff, correlation_id: str, dossier: dict[str, Any],
                           cause: str | None = None,
                           worked_seconds: float | None = None) -> tuple[Envelope, Envelope]:
    """A handoff's request: the broadcast ``handoff.requested`` (no personal data), then the
    ``handoff.dossier`` for the receiving agency alone, with only the fields of ``dossier`` its
    purpose receives (``purposes.PURPOSES``). The broadcast goes first so that every observer
    sees the request before anyone can answer it."""
    fields = {**handoff_fields(handoff), "reason": handoff.reason, "worked_seconds": worked_seconds}
    cut = dossier_for(handoff.purpose, dossier)
    requested, with_dossier = (
        Envelope(event_type=event_type, payload=payload, case_id=handoff.case_id,
                 source_agency=handoff.from_agency, occurred_at=handoff.requested_at,
                 correlation_id=correlation_id, causation_id=cause)
        for event_type, payload in (("handoff.requested", fields),
                                    ("handoff.dossier", {**fields, "dossier": cut})))
    return requested, with_dossier


def handoff_from_payload(case_id: str, payload: dict[str, Any]) -> Handoff:
    """The pending handoff a ``handoff.requested`` or ``handoff.dossier`` payload describes."""
    return Handoff(
        handoff_id=payload["handoff_id"], case_id=case_id,
        from_agency=Agency(payload["from_agency"]), to_agency=Agency(payload["to_agency"]),
        purpose=HandoffPurpose(payload["purpose"]), requested_at=payload["requested_at"],
        reason=payload.get("reason"), to_unit=payload.get("to_unit"),
    )


def handoff_answer_payload(handoff: Handoff) -> tuple[str, dict[str, Any]]:
    """The event type and payload that announce a handoff's answer."""
    payload = handoff_fields(handoff)
    payload["wait_seconds"] = handoff.wait_seconds
    if handoff.status == "accepted":
        payload["accepted_at"] = handoff.answered_at
        return "handoff.accepted", payload
    payload["returned_at"] = handoff.answered_at
    payload["reason"] = handoff.reason
    return "handoff.returned", payload


def handoff_answer_event(handoff: Handoff, correlation_id: str,
                         cause: str | None = None) -> Envelope:
    """``handoff.accepted`` / ``handoff.returned``, announced by the agency that answered."""
    if handoff.answered_at is None:
        raise ValueError(f"handoff {handoff.handoff_id} is not answered yet")
    event_type, payload = handoff_answer_payload(handoff)
    return Envelope(event_type=event_type, case_id=handoff.case_id,
                    source_agency=handoff.to_agency, occurred_at=handoff.answered_at,
                    payload=payload, correlation_id=correlation_id, causation_id=cause)

