"""The courts bridge's service layer: what a court clerk (or a court system) reports."""

from __future__ import annotations

from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.events import money
from disputes_shared.contract.handoff import Handoff
from disputes_shared.plumbing.agency import ReceivingAgency, case_view

from .adapters import CourtsUnitOfWork
from .domain import COMPLIANCE_OUTCOME, CourtMatter


class CourtsBridge(ReceivingAgency[CourtMatter, CourtsUnitOfWork]):
    agency = Agency.COURTS
    case_class = CourtMatter

    def prepare(self, case: CourtMatter, handoff: Handoff) -> None:
        case.court_case_number = case.ruling = None
        case.amount_ruled = case.amount_recovered = None

    def after_answer(self, uow: CourtsUnitOfWork, case: CourtMatter, handoff: Handoff,
                     details: dict[str, Any]) -> list:
        case.court_case_number = details.pop("court_case_number", None)
        return super().after_answer(uow, case, handoff, details)

    def enter_ruling(self, uow: CourtsUnitOfWork, case_id: str, ruling: str,
                     amount: Any) -> dict[str, Any]:
        """司法确认 granted (``confirmed``), a ``judgment``, or the claim ``dismissed``."""
        case = self.case(uow, case_id)
        case.ruling, case.amount_ruled = ruling, money(amount)
        case.history = {**case.history, "ruling": ruling, "amount_ruled": str(case.amount_ruled)}
        uow.emit(self.event(case, "court.ruling_entered", {
            "proceeding": case.purpose, "ruling": ruling, "amount": case.amount_ruled},
            uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def record_compliance(self, uow: CourtsUnitOfWork, case_id: str, amount: Any) -> dict[str, Any]:
        """The debtor paid what the court confirmed or ordered."""
        case = self.case(uow, case_id)
        case.amount_recovered = money(amount)
        uow.emit(self.closed(case, COMPLIANCE_OUTCOME[case.purpose], case.amount_recovered,
                             uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def start_enforcement(self, uow: CourtsUnitOfWork, case_id: str, amount_due: Any) -> dict[str, Any]:
        case = self.case(uow, case_id)
        uow.emit(self.event(case, "court.enforcement_started", {"amount_due": money(amount_due)},
                            uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def conclude_enforcement(self, uow: CourtsUnitOfWork, case_id: str,
                             amount_recovered: Any) -> dict[str, Any]:
        case = self.case(uow, case_id)
        case.amount_recovered = money(amount_recovered)
        uow.emit(self.closed(case, "enforced", case.amount_recovered, uow.clock.now()))
        uow.cases.save(case)
        return self.view(case)

    def view(self, case: CourtMatter) -> dict[str, Any]:
        return case_view(case, court_case_number=case.court_case_number, ruling=case.ruling,
                         amount_ruled=str(case.amount_ruled) if case.amount_ruled is not None else None)
