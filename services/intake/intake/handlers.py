"""Intake's service layer: file a claim, route it, react to the answers of the agencies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.events import Envelope
from disputes_shared.contract.handoff import Handoff, HandoffPurpose, HandoffStatus
from disputes_shared.contract.lifecycle import CaseState, move_of
from disputes_shared.contract.stations import stations
from disputes_shared.plumbing.handoff_desk import HandoffDesk

from .adapters import IntakeUnitOfWork
from .domain import Claim, refers_to_labor_inspection, triage


class UnknownCase(LookupError):
    pass


def new_case_id(at: datetime) -> str:
    return f"LD-{at:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"


class Intake:
    agency = Agency.INTAKE

    def __init__(self) -> None:
        self.desk = HandoffDesk(self.agency, self)

    # -- commands ----------------------------------------------------------------------------

    def file_claim(self, uow: IntakeUnitOfWork, submission: dict[str, Any],
                   inspection_referrals: bool = False) -> Claim:
        """Store a validated claim and, in the same transaction, announce it, route it and hand
        it to mediation (and to legal aid when the worker asked; and wage arrears to labor
        inspection when ``inspection_referrals``: the bureau's system is connected)."""
        now = uow.clock.now()
        case_id = new_case_id(now)
        claim = Claim(case_id=case_id, correlation_id=str(uuid.uuid4()), received_at=now,
                      **submission)
        filed = Envelope(
            event_type="case.filed", case_id=case_id, source_agency=self.agency, occurred_at=now,
            correlation_id=claim.correlation_id, payload={
                "channel": claim.channel, "industry": claim.industry,
                "relationship": claim.relationship, "claim_types": claim.claim_types,
                "amount_claimed": claim.amount_claimed, "worker_count": claim.worker_count,
                "district": claim.district, "legal_aid_requested": claim.legal_aid_requested,
                "chosen_station_id": claim.chosen_station_id,
            })
        uow.emit(filed)
        self._route(uow, claim, cause=filed.event_id)
        if claim.legal_aid_requested:
            self.desk.request(uow, case_id=case_id, correlation_id=claim.correlation_id,
                              purpose=HandoffPurpose.LEGAL_AID, dossier=claim.dossier(),
                              cause=filed.event_id, reason="worker requested legal aid")
        if inspection_referrals and refers_to_labor_inspection(claim):
            self.desk.request(uow, case_id=case_id, correlation_id=claim.correlation_id,
                              purpose=HandoffPurpose.LABOR_INSPECTION, dossier=claim.dossier(),
                              cause=filed.event_id, reason="wage arrears (欠薪)")
        uow.claims.add(claim)
        return claim

    def _route(self, uow: IntakeUnitOfWork, claim: Claim, cause: str | None) -> None:
        decision = triage(claim, stations())
        now = uow.clock.now()
        claim.rules_fired = list(decision.rules_fired)
        claim.urgent, claim.collective = decision.urgent, decision.collective
        if claim.state == "filed":
            station = decision.station
            triaged = Envelope(
                event_type="case.triaged", case_id=claim.case_id, source_agency=self.agency,
                occurred_at=now, correlation_id=claim.correlation_id, causation_id=cause,
                payload={"station_id": station.station_id if station else "none",
                         "station_kind": station.kind if station else "none",
                         "urgent": decision.urgent, "collective": decision.collective,
                         "rules_fired": list(decision.rules_fired)})
            uow.emit(triaged)
            claim.move("case.triaged")
            cause = triaged.event_id
        if decision.station is None:
            claim.station_id = None
            claim.move(move_of("handoff.requested", HandoffPurpose.ARBITRATION))
            self.desk.request(uow, case_id=claim.case_id, correlation_id=claim.correlation_id,
                              purpose=HandoffPurpose.ARBITRATION, dossier=claim.dossier(),
                              cause=cause, reason="; ".join(decision.rules_fired))
            return
        claim.station_id = decision.station.station_id
        claim.tried_stations = [*claim.tried_stations, decision.station.station_id]
        claim.move(move_of("handoff.requested", HandoffPurpose.MEDIATION))
        self.desk.request(uow, case_id=claim.case_id, correlation_id=claim.correlation_id,
                          purpose=HandoffPurpose.MEDIATION, dossier=claim.dossier(), cause=cause,
                          reason="; ".join(decision.rules_fired),
                          to_unit=decision.station.station_id)

    # -- events ------------------------------------------------------------------------------

    def handle(self, uow: IntakeUnitOfWork, envelope: Envelope) -> str:
        if envelope.event_type in ("handoff.accepted", "handoff.returned"):
            self.desk.record_answer(uow, envelope)
        elif envelope.event_type == "case.closed":
            claim = uow.claims.get(envelope.case_id)
            if claim is None:
                return "ignored"
            claim.outcome = envelope.payload["outcome"]
            claim.closed_at = envelope.occurred_at
            claim.state = CaseState.CLOSED  # told, not moved: the case was with another agency
            uow.claims.save(claim)
        else:
            return "ignored"
        return "handled"

    # -- desk hooks --------------------------------------------------------------------------

    def correlation_of(self, uow: IntakeUnitOfWork, case_id: str) -> str:
        return self._claim(uow, case_id).correlation_id

    def on_received(self, uow: Any, handoff: Handoff, dossier: dict, envelope: Envelope) -> None:
        raise ValueError("intake receives no handoffs")

    def on_answered_inbound(self, uow: Any, handoff: Handoff, answer: Envelope,
                            details: dict) -> list[Envelope]:
        raise ValueError("intake receives no handoffs")

    def on_answered_outbound(self, uow: IntakeUnitOfWork, handoff: Handoff,
                             envelope: Envelope) -> None:
        if handoff.purpose in (HandoffPurpose.LEGAL_AID, HandoffPurpose.LABOR_INSPECTION):
            return  # the tracks beside the main one do not move the claim
        claim = self._claim(uow, handoff.case_id)
        claim.move(move_of(envelope.event_type, handoff.purpose))
        if handoff.status is HandoffStatus.RETURNED and handoff.purpose is HandoffPurpose.MEDIATION:
            self._route(uow, claim, cause=envelope.event_id)  # try the next station
        uow.claims.save(claim)

    def _claim(self, uow: IntakeUnitOfWork, case_id: str) -> Claim:
        claim = uow.claims.get(case_id)
        if claim is None:
            raise UnknownCase(case_id)
        return claim


def claim_view(claim: Claim) -> dict[str, Any]:
    """What the worker sees of a claim on intake's side."""
    return {
        "case_id": claim.case_id, "received_at": claim.received_at.isoformat(),
        "state": str(claim.state), "station_id": claim.station_id, "urgent": claim.urgent,
        "collective": claim.collective, "rules_fired": claim.rules_fired,
        "tried_stations": claim.tried_stations, "outcome": claim.outcome,
        "legal_aid_requested": claim.legal_aid_requested,
    }
