"""The legal-aid service: thin nameko entrypoints over ``handlers.LegalAid``."""

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

from .adapters import SqlLegalAidUnitOfWork, metadata, plumbing
from .bootstrap import bootstrap


class LegalAidService(HandoffDeskRpc, OperationsEndpoints, StatutoryClocks):
    name = "legal_aid"
    agency_logic = ServiceLayer(bootstrap)

    config = Config()
    storage = Storage(SqlLegalAidUnitOfWork, metadata, plumbing)
    metrics = Metrics()

    @rpc
    def decide(self, case_id: str, hardship_shown: bool = False,
               refusal_reason: str | None = None, exempt_group: str | None = None) -> dict[str, Any]:
        return self.command(self.agency_logic.decide, case_id, hardship_shown, refusal_reason,
                            exempt_group)
