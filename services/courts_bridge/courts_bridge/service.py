"""The courts bridge service: thin nameko entrypoints over ``handlers.CourtsBridge``."""

from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config
from nameko.timer import timer

from disputes_shared.plumbing.access import rpc
from disputes_shared.plumbing.nameko_deps import (
    HandoffDeskRpc,
    Metrics,
    OperationsEndpoints,
    ServiceLayer,
    StatutoryClocks,
    Storage,
    operational,
)

from .adapters import SqlCourtsUnitOfWork, metadata, plumbing
from .bootstrap import bootstrap


class CourtsBridgeService(HandoffDeskRpc, OperationsEndpoints, StatutoryClocks):
    name = "courts_bridge"
    agency_logic = ServiceLayer(bootstrap)

    config = Config()
    storage = Storage(SqlCourtsUnitOfWork, metadata, plumbing)
    metrics = Metrics()

    @rpc
    def enter_ruling(self, case_id: str, ruling: str, amount: Any) -> dict[str, Any]:
        return self.command(self.agency_logic.enter_ruling, case_id, ruling, amount)

    @rpc
    def record_compliance(self, case_id: str, amount: Any) -> dict[str, Any]:
        return self.command(self.agency_logic.record_compliance, case_id, amount)

    @rpc
    def start_enforcement(self, case_id: str, amount_due: Any) -> dict[str, Any]:
        return self.command(self.agency_logic.start_enforcement, case_id, amount_due)

    @rpc
    def conclude_enforcement(self, case_id: str, amount_recovered: Any) -> dict[str, Any]:
        return self.command(self.agency_logic.conclude_enforcement, case_id, amount_recovered)

    @rpc
    def issue_payment_order(self, case_id: str, amount: Any) -> dict[str, Any]:
        return self.command(self.agency_logic.issue_payment_order, case_id, amount)

    @rpc
    def record_objection(self, case_id: str, applicant_sues: bool = True) -> dict[str, Any]:
        return self.command(self.agency_logic.record_objection, case_id, applicant_sues)

    @timer(interval=5)
    @operational
    def consult_court(self) -> None:
        """Record what the court's own system reports (``COURT_SYSTEM``: simulated or none).
        One replica at a time: the others would only find the steps recorded already."""
        with self.storage.lease("consult-court") as mine:
            if mine:
                self.agency_logic.consult_court(self.storage)
