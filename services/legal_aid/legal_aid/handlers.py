"""Legal aid's service layer."""

from __future__ import annotations

from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.events import Envelope
from disputes_shared.plumbing.agency import ReceivingAgency, case_view

from .adapters import LegalAidUnitOfWork
from .domain import AidApplication, choose_lawyer, means_test


class LegalAid(ReceivingAgency[AidApplication, LegalAidUnitOfWork]):
    agency = Agency.LEGAL_AID
    case_class = AidApplication

    def decide(self, uow: LegalAidUnitOfWork, case_id: str, hardship_shown: bool = False,
               refusal_reason: str | None = None) -> dict[str, Any]:
        """Grant aid (and assign the least-loaded lawyer) when the means test is passed or
        exempted and no refusal reason is given; refuse it otherwise."""
        application = self.case(uow, case_id)
        application.means_test = means_test(application.dossier, hardship_shown)
        now = uow.clock.now()
        if application.means_test == "failed" or refusal_reason:
            reason = refusal_reason or "economic hardship not shown"
            uow.emit(self.event(application, "legal_aid.refused", {
                "reason": reason, "worked_seconds": application.worked_seconds(now)}, now))
        else:
            table = uow.cases.table
            application.lawyer_id = choose_lawyer(uow.cases.find(table.c.representing.is_(True)))
            application.representing = True
            uow.emit(self.event(application, "legal_aid.granted", {
                "lawyer_id": application.lawyer_id, "means_test": application.means_test,
                "worked_seconds": application.worked_seconds(now)}, now))
        uow.cases.save(application)
        return self.view(application)

    def handle_broadcast(self, uow: LegalAidUnitOfWork, envelope: Envelope) -> str:
        if envelope.event_type != "case.closed":
            return "ignored"
        application = uow.cases.get(envelope.case_id)
        if application is None:
            return "ignored"
        # Representation ends with the case; the lawyer's load falls.
        application.history = {**application.history, "case_outcome": envelope.payload["outcome"]}
        application.representing = False
        uow.cases.save(application)
        return "handled"

    def open_cases(self, uow: LegalAidUnitOfWork, state: str | None = None) -> list[dict[str, Any]]:
        table = uow.cases.table
        where = [table.c.state == state] if state else [table.c.state.in_(("requested", "under_review"))]
        return [self.view(case) for case in uow.cases.find(*where)]

    def view(self, case: AidApplication) -> dict[str, Any]:
        return case_view(case, lawyer_id=case.lawyer_id, means_test=case.means_test)
