"""Mediation's service layer: take up a case, mediate, and end or hand on."""

from __future__ import annotations

from datetime import date
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.events import money
from disputes_shared.contract.handoff import Handoff, HandoffPurpose
from disputes_shared.plumbing.agency import ReceivingAgency, case_view

from .adapters import MediationUnitOfWork
from .domain import ACTIVE_STATES, MediationCase, choose_mediator


class Mediation(ReceivingAgency[MediationCase, MediationUnitOfWork]):
    agency = Agency.MEDIATION
    case_class = MediationCase

    def prepare(self, case: MediationCase, handoff: Handoff) -> None:
        case.station_id = handoff.to_unit
        case.mediator_id = None
        case.amount_agreed = case.pay_by = case.amount_paid = None

    def after_answer(self, uow: MediationUnitOfWork, case: MediationCase, handoff: Handoff,
                     details: dict[str, Any]) -> list:
        mediator_id = details.pop("mediator_id", None)
        super().after_answer(uow, case, handoff, details)
        if case.state == "in_mediation":
            table = uow.cases.table
            active = uow.cases.find(table.c.station_id == case.station_id,
                                    table.c.state.in_(ACTIVE_STATES))
            case.mediator_id = mediator_id or choose_mediator(case.station_id or "", active)
        return []

    def record_agreement(self, uow: MediationUnitOfWork, case_id: str, amount: Any,
                         pay_by: str) -> dict[str, Any]:
        """调解协议: the parties agreed; the employer pays ``amount`` by ``pay_by``."""
        case = self.case(uow, case_id)
        case.amount_agreed, case.pay_by = money(amount), date.fromisoformat(pay_by)
        case.history = {**case.history, "mediation_agreement": str(case.amount_agreed)}
        uow.emit(self.event(case, "mediation.agreement_reached", {
            "amount_agreed": case.amount_agreed, "pay_by": case.pay_by,
            "mediator_id": case.mediator_id}, uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def record_payment(self, uow: MediationUnitOfWork, case_id: str, amount: Any) -> dict[str, Any]:
        """The agreement was performed: the case ends here."""
        case = self.case(uow, case_id)
        case.amount_paid = money(amount)
        uow.emit(self.closed(case, "mediated", case.amount_paid, uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def refer_unpaid_agreement(self, uow: MediationUnitOfWork, case_id: str) -> dict[str, Any]:
        """The employer did not pay: the parties apply for judicial confirmation (司法确认)."""
        case = self.case(uow, case_id)
        self.hand_on(uow, case, HandoffPurpose.JUDICIAL_CONFIRMATION,
                     reason=f"agreement of {case.amount_agreed} unpaid by {case.pay_by}")
        uow.cases.save(case)
        return self.view(case)

    def record_failure(self, uow: MediationUnitOfWork, case_id: str, reason: str,
                       refer_to_arbitration: bool = True) -> dict[str, Any]:
        """No agreement: the worker may apply for arbitration (art. 14)."""
        case = self.case(uow, case_id)
        case.history = {**case.history, "mediation_failed": reason}
        uow.emit(self.event(case, "mediation.failed", {
            "reason": reason, "mediator_id": case.mediator_id}, uow.clock.now()))
        if refer_to_arbitration:
            self.hand_on(uow, case, HandoffPurpose.ARBITRATION, reason=f"mediation failed: {reason}")
        uow.cases.save(case)
        return self.view(case)


    def view(self, case: MediationCase) -> dict[str, Any]:
        return case_view(case, station_id=case.station_id, mediator_id=case.mediator_id,
                         amount_agreed=str(case.amount_agreed) if case.amount_agreed else None,
                         pay_by=case.pay_by.isoformat() if case.pay_by else None)
