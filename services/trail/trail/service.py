"""The trail service: records every lifecycle event; auditors and the CLI read it over RPC."""

from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config
from nameko.timer import timer

from disputes_shared.plumbing.access import ActingPerson, rpc
from disputes_shared.plumbing.nameko_deps import (
    AgencyEvents,
    Metrics,
    OperationsEndpoints,
    ServiceLayer,
    Storage,
    operational,
)

from .adapters import SqlTrailUnitOfWork, metadata, plumbing
from .bootstrap import bootstrap

CHECKPOINT_SECONDS = 2  # how long the newest entries can go without a signed checkpoint


class TrailService(AgencyEvents, OperationsEndpoints):
    name = "trail"

    config = Config()
    storage = Storage(SqlTrailUnitOfWork, metadata, plumbing)
    metrics = Metrics()
    agency_logic = ServiceLayer(bootstrap)
    acting = ActingPerson()

    def refresh_gauges(self, uow: Any) -> None:
        # The trail receives no handoffs; it is the one place that sees cases passed around.
        for status, count in self.agency_logic.bounced_cases(uow).items():
            self.metrics.bounced_cases.labels(status).set(count)

    @timer(interval=CHECKPOINT_SECONDS)
    @operational
    def sign_checkpoint(self) -> None:
        """A signed checkpoint of the chain's head, every few seconds when it has moved."""
        with self.storage() as uow:
            if self.agency_logic.checkpoint(uow):
                uow.commit()

    def _reader(self) -> dict[str, str]:
        """Who reads, as their token names them (never a name the caller sends)."""
        return self.acting or {"subject": "unknown", "role": "unknown"}

    @rpc
    def trail(self, case_id: str) -> dict[str, Any]:
        """The case's trail; who read it, as their token names them, is recorded on it
        (auditors read, never change)."""
        reader = self._reader()
        with self.storage() as uow:
            found = self.agency_logic.trail(uow, case_id, reader["subject"], reader["role"])
            uow.commit()
        return found

    @rpc
    def verify(self) -> dict[str, Any]:
        """The whole trail checked as ``disputes verify`` checks it (``Verdict.report``), by the
        trail itself with its own public key: for the auditor's page. An auditor who does not
        take the trail's word for it runs ``disputes verify`` on the database and the public
        key alone."""
        with self.storage() as uow:
            return self.agency_logic.verify(uow).report()

    @rpc
    def personal_data_reads(self, case_id: str | None = None, worker_ref: str | None = None,
                            whole_worker: bool = False) -> list[dict[str, Any]]:
        """Reads of personal data, of a case or of one worker's data (``disputes reads``); the
        listing is recorded on the trail of each case it shows."""
        reader = self._reader()
        with self.storage() as uow:
            found = self.agency_logic.personal_data_reads(
                uow, reader["subject"], reader["role"], case_id, worker_ref, whole_worker)
            uow.commit()
        return found

    @rpc
    def entries(self, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Entries recorded after the entry ``after``, in recorded order (a page of ``limit``)."""
        with self.storage() as uow:
            return self.agency_logic.entries(uow, after, limit)

    @rpc
    def case_states(self, case_ids: list[str] | None = None) -> dict[str, Any]:
        with self.storage() as uow:
            return self.agency_logic.case_states(uow, case_ids)

    @rpc
    def handoff_summary(self) -> dict[str, Any]:
        with self.storage() as uow:
            return self.agency_logic.handoff_summary(uow)
