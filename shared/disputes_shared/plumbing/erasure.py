"""Erasing a case's personal data in one service (crypto-shredding: its data key destroyed) and
announcing it with ``case.personal_data_erased``. Intake decides (on the retention schedule, or
on the worker's request) and its announcement is the request every other service holding the
case acts on, each announcing its own erasure, so the trail shows every service's.

The same key seals every dossier of the case this service parked on the dead-letter stream
(``plumbing.parked_personal_data``), so those can no longer be opened either; an agency that
never took the case in destroys it all the same if it made one to park a dossier.

What readers get afterwards is ``ERASED`` in place of each sealed value (``plumbing.sealed``):
lists and case pages show the case without personal data, and the lifecycle goes on where it
needs none; a step that needs the erased data (handing the dossier on) raises ``ErasedData``.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..contract.agencies import Agency
from ..contract.envelope import Envelope
from ..ports import ERASED, ERASED_TEXT, UnitOfWork

ERASED_EVENT = "case.personal_data_erased"
# Intake's evidence files deleted on their own (shorter) period, the rest of the case kept.
EVIDENCE_DELETED_EVENT = "case.evidence_deleted"


def shown(value: Any) -> Any:
    """A value as a view shows it: ``"erased"`` where the case's personal data was erased."""
    return "erased" if value is ERASED else value


def erase_case(uow: UnitOfWork, agency: Agency, case_id: str, correlation_id: str, *,
               grounds: str, reason: str, request_id: str | None = None,
               requested_by: dict[str, str] | None = None) -> Envelope | None:
    """Destroy this service's key of the case and announce it, in the unit of work; None when
    there was nothing to erase here (never held, or erased already, by another replica too).
    Without ``request_id`` this erasure is the request: its own event id names it."""
    if not uow.erase_personal_data(case_id):
        return None
    erase_handoff_reasons(uow, case_id)
    event_id = str(uuid.uuid4())
    now = uow.clock.now()
    erased = Envelope(
        event_type=ERASED_EVENT, case_id=case_id, source_agency=agency, occurred_at=now,
        correlation_id=correlation_id, event_id=event_id, payload={
            "grounds": grounds, "reason": reason, "request_id": request_id or event_id,
            "requested_by": requested_by, "erased_at": now})
    uow.emit(erased)
    return erased


def erase_handoff_reasons(uow: UnitOfWork, case_id: str) -> None:
    """The reasons staff typed when handing the case on or back, kept in the clear with the
    service's handoffs (the trail's copy of them too)."""
    handoffs = getattr(uow, "handoffs", None)  # a service that keeps none has no such repository
    if handoffs is None:
        return
    for handoff in handoffs.for_case(case_id):
        if handoff.reason is not None and handoff.reason != ERASED_TEXT:
            handoff.reason = ERASED_TEXT
            handoffs.save(handoff)


def act_on_erasure(uow: UnitOfWork, agency: Agency, envelope: Envelope) -> str:
    """Another service's erasure: intake's is a request to erase here too; the others' are
    reports this service has no need of."""
    if envelope.source_agency != Agency.INTAKE:
        return "ignored"
    payload: dict[str, Any] = envelope.payload
    erased = erase_case(uow, agency, envelope.case_id, envelope.correlation_id,
                        grounds=payload["grounds"], reason=payload["reason"],
                        request_id=payload["request_id"], requested_by=payload.get("requested_by"))
    return "ignored" if erased is None else "handled"
