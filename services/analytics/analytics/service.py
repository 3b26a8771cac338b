"""The analytics service: reads every lifecycle event into its read model, announces early
warnings, and answers a period's figures over RPC (``disputes report``)."""

from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config

from disputes_shared.contract.envelope import Envelope
from disputes_shared.plumbing.access import rpc
from disputes_shared.plumbing.messaging import consume_events
from disputes_shared.plumbing.nameko_deps import (
    AgencyEvents,
    Metrics,
    OperationsEndpoints,
    ServiceLayer,
    Storage,
)

from .adapters import SqlAnalyticsUnitOfWork, metadata, plumbing
from .bootstrap import bootstrap
from .documents import render


class AnalyticsService(AgencyEvents, OperationsEndpoints):
    name = "analytics"

    config = Config()
    storage = Storage(SqlAnalyticsUnitOfWork, metadata, plumbing)
    metrics = Metrics()
    agency_logic = ServiceLayer(bootstrap)

    @consume_events(in_one_lane=True, batches=True)
    def on_events(self, envelopes: list[Envelope]) -> list[str]:
        """Every event in delivery order, one batch at a time: a warning counts the filings
        before it, which concurrent workers would each miss until the others commit."""
        return AgencyEvents.on_events(self, envelopes)

    def refresh_gauges(self, uow: Any) -> None:
        pass  # receives no handoffs; its warnings are counted as they are published

    @rpc
    def report(self, period: str) -> dict[str, Any]:
        """The figures of a month (``2026-11``) or a year (``2026``)."""
        with self.storage() as uow:
            return self.agency_logic.report(uow, period)

    @rpc
    def report_document(self, period: str, format: str = "json") -> str:
        """The period's report as a document: ``json``, ``csv``, ``html`` (with its plots) or
        ``pdf`` (base64: the RPC carries text)."""
        with self.storage() as uow:
            figures = self.agency_logic.report(uow, period)
        return render(figures, format)

    @rpc
    def simulate(self, period: str, changes: dict[str, int]) -> dict[str, Any]:
        """What if: the period's handoffs replayed with each agency's staff changed by ``changes``."""
        with self.storage() as uow:
            return self.agency_logic.simulate(uow, period, changes)

    @rpc
    def risk_notice(self, event_id: str) -> str:
        """The risk notice (风险提示函) for the warning announced as ``event_id``."""
        with self.storage() as uow:
            return self.agency_logic.risk_notice(uow, event_id)

    @rpc
    def rebuild(self, entries: list[dict[str, Any]], first: bool = True) -> int:
        """Fold a page of the trail's entries into the read model (from nothing when ``first``)."""
        if first:
            # Committed apart: the clear waits for the applies under way, which hold their
            # case's lock, so it must hold none itself.
            with self.storage() as uow:
                self.agency_logic.clear(uow)
                uow.commit()
        with self.storage() as uow:
            folded: int = self.agency_logic.rebuild(uow, entries)
            uow.commit()
        return folded
