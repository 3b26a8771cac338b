"""The mediation service: thin nameko entrypoints over ``handlers.Mediation``, composed by
``bootstrap``."""

from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config

from disputes_shared.plumbing.access import rpc
from disputes_shared.plumbing.nameko_deps import (
    HandoffDeskRpc,
    Metrics,
    OperationsEndpoints,
    ServiceLayer,
    StatutoryClocks,
    Storage,
)

from .adapters import SqlMediationUnitOfWork, metadata, plumbing
from .bootstrap import bootstrap


class MediationService(HandoffDeskRpc, OperationsEndpoints, StatutoryClocks):
    name = "mediation"
    agency_logic = ServiceLayer(bootstrap)

    config = Config()
    storage = Storage(SqlMediationUnitOfWork, metadata, plumbing)
    metrics = Metrics()


    @rpc
    def record_session(self, case_id: str, mode: str = "in_person", note: str | None = None) -> dict[str, Any]:
        return self.command(self.agency_logic.record_session, case_id, mode, note)

    @rpc
    def answer_arbitration_offer(self, case_id: str, worker_agrees: bool) -> dict[str, Any]:
        return self.command(self.agency_logic.answer_arbitration_offer, case_id, worker_agrees)

    @rpc
    def pursue_unpaid_agreement(self, case_id: str, remedy: str) -> dict[str, Any]:
        return self.command(self.agency_logic.pursue_unpaid_agreement, case_id, remedy)

    @rpc
    def record_agreement(self, case_id: str, amount: Any, pay_by: str) -> dict[str, Any]:
        return self.command(self.agency_logic.record_agreement, case_id, amount, pay_by)

    @rpc
    def record_payment(self, case_id: str, amount: Any) -> dict[str, Any]:
        return self.command(self.agency_logic.record_payment, case_id, amount)

    @rpc
    def refer_unpaid_agreement(self, case_id: str) -> dict[str, Any]:
        return self.command(self.agency_logic.refer_unpaid_agreement, case_id)

    @rpc
    def record_failure(self, case_id: str, reason: str, refer_to_arbitration: bool = True) -> dict[str, Any]:
        return self.command(self.agency_logic.record_failure, case_id, reason, refer_to_arbitration)
