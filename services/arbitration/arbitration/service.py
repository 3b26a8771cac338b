"""The arbitration service: thin nameko entrypoints over ``handlers.Arbitration``."""

from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from disputes_shared.plumbing.nameko_deps import (
    HandoffDeskRpc,
    Metrics,
    OperationsEndpoints,
    StatutoryClocks,
    Storage,
)

from .adapters import ArbitrationUnitOfWork, metadata, plumbing
from .handlers import Arbitration


class ArbitrationService(HandoffDeskRpc, OperationsEndpoints, StatutoryClocks):
    name = "arbitration"
    agency_logic = Arbitration()

    config = Config()
    storage = Storage(ArbitrationUnitOfWork, metadata, plumbing)
    metrics = Metrics()

    @rpc
    def record_award(self, case_id: str, amount: Any) -> dict[str, Any]:
        return self.command(self.agency_logic.record_award, case_id, amount,
                            self.config["MONTHLY_MINIMUM_WAGE"])

    @rpc
    def record_award_performed(self, case_id: str, amount: Any) -> dict[str, Any]:
        return self.command(self.agency_logic.record_award_performed, case_id, amount)

    @rpc
    def refer_to_court(self, case_id: str, purpose: str, reason: str) -> dict[str, Any]:
        return self.command(self.agency_logic.refer_to_court, case_id, purpose, reason)

