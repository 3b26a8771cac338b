"""Legal aid's service layer: the green channel, aid before review, the decision, and the
lawyer who follows the case into arbitration and court."""

from __future__ import annotations

from typing import Any

from disputes_shared.clocks.statutory import china_day
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import Handoff, HandoffPurpose
from disputes_shared.plumbing.agency import EventHandler, ReceivingAgency, case_view

from .domain import (
    AWAITING_DECISION,
    AidApplication,
    choose_lawyer,
    first_in_line,
    green_channel_reasons,
)
from .ports import LegalAidUnitOfWork


class LegalAid(ReceivingAgency[AidApplication, LegalAidUnitOfWork]):
    agency = Agency.LEGAL_AID
    case_class = AidApplication

    def prepare(self, case: AidApplication, handoff: Handoff) -> None:
        case.green_channel = green_channel_reasons(case.dossier, china_day(handoff.requested_at))

    def pending(self, uow: LegalAidUnitOfWork) -> list[Handoff]:
        """绿色通道: green-channel applications are taken up first."""
        handoffs = self.desk.pending(uow)
        waiting = uow.cases.with_ids(h.case_id for h in handoffs)
        green = {a.case_id for a in waiting if a.green_channel}
        return sorted(handoffs, key=lambda h: (h.case_id not in green, h.requested_at))

    def after_acceptance(self, uow: LegalAidUnitOfWork, case: AidApplication, handoff: Handoff,
                         details: dict[str, Any]) -> list[Envelope]:
        events = super().after_acceptance(uow, case, handoff, details)
        now = uow.clock.now()
        provisional = case.start_provisional_aid(china_day(now), lambda: self._assign(uow))
        if provisional is not None:
            events.append(self.fact(case, "legal_aid.provisional_aid_started", {
                "lawyer_id": provisional.lawyer_id, "citation": "法律援助法 art. 44 (1)",
                "limitation_ends_on": provisional.limitation_ends_on}, now))
        return events

    def decide(self, uow: LegalAidUnitOfWork, case_id: str, hardship_shown: bool = False,
               refusal_reason: str | None = None, exempt_group: str | None = None) -> dict[str, Any]:
        """Grant or refuse aid (``AidApplication.decide``)."""
        application = self.case(uow, case_id)
        now = uow.clock.now()
        decision = application.decide(hardship_shown, refusal_reason, exempt_group,
                                      lambda: self._assign(uow))
        if decision.granted:
            uow.emit(self.fact(application, "legal_aid.granted", {
                "lawyer_id": decision.lawyer_id, "means_test": decision.means_test,
                "worked_seconds": application.worked_seconds(now)}, now))
        else:
            uow.emit(self.fact(application, "legal_aid.refused", {
                "reason": decision.reason, "worked_seconds": application.worked_seconds(now)}, now))
        uow.cases.save(application)
        return self.view(application)

    def _assign(self, uow: LegalAidUnitOfWork) -> str:
        return choose_lawyer(uow.cases.representing_lawyers())

    def broadcast_handlers(self) -> dict[str, EventHandler]:
        return {"handoff.requested": self.follow_case, "case.closed": self.end_representation}

    def follow_case(self, uow: LegalAidUnitOfWork, envelope: Envelope) -> str:
        application = uow.cases.get(envelope.case_id)
        return "ignored" if application is None else self._follow(uow, application, envelope)

    def end_representation(self, uow: LegalAidUnitOfWork, envelope: Envelope) -> str:
        """Representation ends with the case; the lawyer's load falls."""
        application = uow.cases.get(envelope.case_id)
        if application is None:
            return "ignored"
        application.end_representation(envelope.payload["outcome"])
        uow.cases.save(application)
        return "handled"

    def _follow(self, uow: LegalAidUnitOfWork, application: AidApplication,
                envelope: Envelope) -> str:
        """The case moves on to arbitration or a court: the lawyer goes with it."""
        purpose = HandoffPurpose(envelope.payload["purpose"])
        if not application.follow(envelope.payload["to_agency"], purpose):
            return "ignored"
        uow.emit(self.fact(application, "legal_aid.representation_continued", {
            "lawyer_id": application.lawyer_id, "to_agency": envelope.payload["to_agency"],
            "purpose": str(purpose), "handoff_id": envelope.payload["handoff_id"]},
            uow.clock.now()))
        uow.cases.save(application)
        return "handled"

    def open_cases(self, uow: LegalAidUnitOfWork, state: str | None = None) -> list[dict[str, Any]]:
        states = [state] if state else list(AWAITING_DECISION)
        return [self.view(case) for case in first_in_line(uow.cases.in_states(states))]

    def view(self, case: AidApplication) -> dict[str, Any]:
        return case_view(case, lawyer_id=case.lawyer_id, means_test=case.means_test,
                         green_channel=case.green_channel, provisional=case.provisional,
                         representing=case.representing, forums=case.forums)
