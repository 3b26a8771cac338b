"""The arbitration service: thin nameko entrypoints over ``handlers.Arbitration``."""

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

from .adapters import SqlArbitrationUnitOfWork, metadata, plumbing
from .bootstrap import bootstrap


class ArbitrationService(HandoffDeskRpc, OperationsEndpoints, StatutoryClocks):
    name = "arbitration"
    agency_logic = ServiceLayer(bootstrap)

    config = Config()
    storage = Storage(SqlArbitrationUnitOfWork, metadata, plumbing)
    metrics = Metrics()

    @rpc
    def record_award(self, case_id: str, amount: Any,
                     items: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.command(self.agency_logic.record_award, case_id, amount, items)

    @rpc
    def record_award_performed(self, case_id: str, amount: Any) -> dict[str, Any]:
        return self.command(self.agency_logic.record_award_performed, case_id, amount)

    @rpc
    def refer_to_court(self, case_id: str, purpose: str, reason: str,
                       by: str = "worker") -> dict[str, Any]:
        return self.command(self.agency_logic.refer_to_court, case_id, purpose, reason, by)

    @rpc
    def serve_respondent(self, case_id: str) -> dict[str, Any]:
        return self.command(self.agency_logic.serve_respondent, case_id)

    @rpc
    def record_answer(self, case_id: str) -> dict[str, Any]:
        return self.command(self.agency_logic.record_answer, case_id)

    @rpc
    def pass_on_answer(self, case_id: str) -> dict[str, Any]:
        return self.command(self.agency_logic.pass_on_answer, case_id)

    @rpc
    def name_panel(self, case_id: str, members: list[str] | None = None) -> dict[str, Any]:
        return self.command(self.agency_logic.name_panel, case_id, members)

    @rpc
    def schedule_hearing(self, case_id: str, hearing_on: str) -> dict[str, Any]:
        return self.command(self.agency_logic.schedule_hearing, case_id, hearing_on)

    @rpc
    def extend_award_period(self, case_id: str, days: int, approved_by: str) -> dict[str, Any]:
        return self.command(self.agency_logic.extend_award_period, case_id, days, approved_by)

    @rpc
    def apply_to_set_aside(self, case_id: str) -> dict[str, Any]:
        return self.command(self.agency_logic.apply_to_set_aside, case_id)
