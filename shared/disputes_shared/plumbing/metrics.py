"""The platform's Prometheus metrics, one registry per service container.

Labels are bounded: agencies, event types and outcomes from the contract, never a case id.
"""

from __future__ import annotations

from nameko.extensions import SharedExtension
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Bucket edges (seconds) include the service-level targets for a handoff to be taken up:
# 1 hour, 1 working day (8 h), 1 day, 3 days, 5 days (art. 29's acceptance period).
HANDOFF_WAIT_BUCKETS = (0.1, 0.5, 1, 5, 30, 60, 300, 900, 3600, 8 * 3600, 86400, 3 * 86400,
                        5 * 86400, 15 * 86400, 45 * 86400)


class PlatformMetrics:
    def __init__(self, agency: str) -> None:
        self.agency = agency
        self.registry = CollectorRegistry()
        r = self.registry
        self.handoff_wait = Histogram(
            "disputes_handoff_wait_seconds",
            "Time from a handoff's request until the receiving agency accepted or returned it",
            ["from_agency", "to_agency", "answer"], buckets=HANDOFF_WAIT_BUCKETS, registry=r)
        self.handoffs_pending = Gauge(
            "disputes_handoffs_pending", "Handoffs to this agency not yet answered",
            ["agency"], registry=r)
        self.oldest_pending_handoff_age = Gauge(
            "disputes_handoff_oldest_pending_age_seconds",
            "Age of the oldest handoff to this agency not yet answered", ["agency"], registry=r)
        self.events_handled = Counter(
            "disputes_events_handled_total", "Events consumed, by outcome",
            ["agency", "event_type", "outcome"], registry=r)
        self.events_published = Counter(
            "disputes_events_published_total", "Events published from the outbox",
            ["agency", "event_type"], registry=r)
        self.publish_failures = Counter(
            "disputes_publish_failures_total", "Failed attempts to publish from the outbox",
            ["agency", "reason"], registry=r)
        self.outbox_unpublished = Gauge(
            "disputes_outbox_unpublished", "Events committed but not yet confirmed by the broker",
            ["agency"], registry=r)
        self.dead_lettered = Counter(
            "disputes_events_dead_lettered_total", "Messages parked on the dead-letter queue",
            ["agency"], registry=r)
        self.cases_closed = Counter(
            "disputes_cases_closed_total", "Cases closed by this agency, by outcome",
            ["agency", "outcome"], registry=r)
        self.rpc_calls = Counter(
            "disputes_rpc_calls_total", "Commands received over RPC and HTTP, by outcome",
            ["agency", "method", "outcome"], registry=r)

    def observe_published(self, event_type: str, payload: dict) -> None:
        """Metrics that follow from an event this agency has published."""
        self.events_published.labels(self.agency, event_type).inc()
        if event_type in ("handoff.accepted", "handoff.returned"):
            self.handoff_wait.labels(
                payload["from_agency"], payload["to_agency"], event_type.split(".")[1]
            ).observe(float(payload["wait_seconds"]))
        elif event_type == "case.closed":
            self.cases_closed.labels(self.agency, payload["outcome"]).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsRegistry(SharedExtension):
    """One ``PlatformMetrics`` per service container, shared by its extensions."""

    _metrics: PlatformMetrics | None = None

    @property
    def metrics(self) -> PlatformMetrics:
        # Made on first use: sibling extensions may ask before this one's setup has run.
        if self._metrics is None:
            from .config import agency_of_service

            self._metrics = PlatformMetrics(str(agency_of_service(self.container.service_name)))
        return self._metrics
