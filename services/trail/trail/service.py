"""The trail service: records every lifecycle event; auditors and the CLI read it over RPC."""

from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from disputes_shared.plumbing.nameko_deps import AgencyEvents, Metrics, OperationsEndpoints, Storage

from .adapters import TrailUnitOfWork, metadata, plumbing
from .handlers import Trail


class TrailService(AgencyEvents, OperationsEndpoints):
    name = "trail"
    agency_logic = Trail()

    config = Config()
    storage = Storage(TrailUnitOfWork, metadata, plumbing)
    metrics = Metrics()

    @rpc
    def trail(self, case_id: str) -> dict[str, Any]:
        with self.storage() as uow:
            return self.agency_logic.trail(uow, case_id)

    @rpc
    def case_states(self, case_ids: list[str] | None = None) -> dict[str, Any]:
        with self.storage() as uow:
            return self.agency_logic.case_states(uow, case_ids)

    @rpc
    def handoff_summary(self) -> dict[str, Any]:
        with self.storage() as uow:
            return self.agency_logic.handoff_summary(uow)
