"""Arbitration's service layer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.events import money
from disputes_shared.contract.handoff import Handoff, HandoffPurpose
from disputes_shared.plumbing.agency import ReceivingAgency, case_view

from .adapters import ArbitrationUnitOfWork
from .domain import ArbitrationCase, choose_arbitrator, final_for_employer


class Arbitration(ReceivingAgency[ArbitrationCase, ArbitrationUnitOfWork]):
    agency = Agency.ARBITRATION
    case_class = ArbitrationCase

    def prepare(self, case: ArbitrationCase, handoff: Handoff) -> None:
        case.arbitrator_id = None
        case.amount_awarded = None
        case.final_for_employer = None

    def after_answer(self, uow: ArbitrationUnitOfWork, case: ArbitrationCase, handoff: Handoff,
                     details: dict[str, Any]) -> list:
        arbitrator_id = details.pop("arbitrator_id", None)
        super().after_answer(uow, case, handoff, details)
        if case.state == "in_arbitration":
            table = uow.cases.table
            case.arbitrator_id = arbitrator_id or choose_arbitrator(
                uow.cases.find(table.c.state == "in_arbitration"))
        return []

    def record_award(self, uow: ArbitrationUnitOfWork, case_id: str, amount: Any,
                     monthly_minimum_wage: Any) -> dict[str, Any]:
        case = self.case(uow, case_id)
        case.amount_awarded = money(amount)
        case.final_for_employer = final_for_employer(
            case.dossier["claim_types"], case.amount_awarded, Decimal(str(monthly_minimum_wage)))
        case.history = {**case.history, "award": str(case.amount_awarded),
                        "final_for_employer": case.final_for_employer}
        uow.emit(self.event(case, "arbitration.awarded", {
            "amount_awarded": case.amount_awarded, "final_for_employer": case.final_for_employer,
            "arbitrator_id": case.arbitrator_id}, uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def record_award_performed(self, uow: ArbitrationUnitOfWork, case_id: str,
                               amount: Any) -> dict[str, Any]:
        case = self.case(uow, case_id)
        uow.emit(self.closed(case, "award_performed", money(amount), uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def refer_to_court(self, uow: ArbitrationUnitOfWork, case_id: str, purpose: str,
                       reason: str) -> dict[str, Any]:
        """A party sues after the award (诉讼), or the worker applies to enforce it (执行)."""
        if purpose not in (HandoffPurpose.LITIGATION, HandoffPurpose.ENFORCEMENT):
            raise ValueError(f"arbitration refers to court for litigation or enforcement, not {purpose}")
        case = self.case(uow, case_id)
        self.hand_on(uow, case, HandoffPurpose(purpose), reason=reason)
        uow.cases.save(case)
        return self.view(case)


    def view(self, case: ArbitrationCase) -> dict[str, Any]:
        return case_view(case, arbitrator_id=case.arbitrator_id,
                         amount_awarded=str(case.amount_awarded) if case.amount_awarded is not None else None,
                         final_for_employer=case.final_for_employer)
