"""The platform's Prometheus metrics, one registry per service container.

Labels are bounded: agencies, event types and outcomes from the contract, never a case id.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from decimal import Decimal
from typing import Any

from nameko.extensions import SharedExtension
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ..contract.payloads import WORK_ENDING_EVENTS
from ..contract.vocabularies import WARNING_RULES

HOUR, DAY = 3600, 86400
# Bucket edges (seconds) at the service-level targets for a handoff to be taken up: 1 hour,
# 1 working day (8 h), 1 day, 3 days, 5 days (art. 29's acceptance period), 15 days (art. 14),
# 30 days (人民调解法 art. 33), 45 days (art. 43); the small edges resolve automated handoffs.
HANDOFF_WAIT_BUCKETS = (0.1, 0.5, 1, 5, 30, 60, 300, 900, HOUR, 8 * HOUR, DAY, 3 * DAY,
                        5 * DAY, 15 * DAY, 30 * DAY, 45 * DAY)
# Work in an agency is measured in the same units as the statutory periods it runs under.
WORK_BUCKETS = (1, 60, 900, HOUR, 8 * HOUR, DAY, 3 * DAY, 5 * DAY, 15 * DAY, 30 * DAY,
                45 * DAY, 60 * DAY, 90 * DAY)
# From an event's occurrence until a consumer handled it: the service's own view of lag.
EVENT_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)
EVENT_DELAY_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 900, HOUR)
# A handoff's delivery is machine time: milliseconds, resolved around the 25 ms it should take.
HANDOFF_DELIVERY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04,
                            0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


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
        self.work_time = Histogram(
            "disputes_agency_work_seconds",
            "Time a case was worked on in an agency: from accepting its handoff until the "
            "agency handed it on, decided it or closed it (the wait before is not included)",
            ["agency", "ended_by"], buckets=WORK_BUCKETS, registry=r)
        self.events_handled = Counter(
            "disputes_events_handled_total", "Events consumed, by outcome",
            ["agency", "event_type", "outcome"], registry=r)
        self.event_delay = Histogram(
            "disputes_event_delay_seconds",
            "Time from an event's occurrence until this agency handled it (consumer lag)",
            ["agency"], buckets=EVENT_DELAY_BUCKETS, registry=r)
        self.handoff_delivery = Histogram(
            "disputes_handoff_delivery_seconds",
            "Time from a handoff's request until this agency, its addressee, handled its dossier: "
            "what the platform adds to a handoff before any staff can see it",
            ["agency"], buckets=HANDOFF_DELIVERY_BUCKETS, registry=r)
        self.outbox_delay = Histogram(
            "disputes_outbox_delay_seconds",
            "Time from an event's commit until the broker confirmed it: the relay's wake and "
            "read, and the confirms of its case's events before it (the sending agency's part of "
            "a handoff's delivery)",
            ["agency"], buckets=HANDOFF_DELIVERY_BUCKETS, registry=r)
        self.events_published = Counter(
            "disputes_events_published_total", "Events published from the outbox",
            ["agency", "event_type"], registry=r)
        self.publish_failures = Counter(
            "disputes_publish_failures_total", "Failed attempts to publish from the outbox",
            ["agency", "reason"], registry=r)
        self.outbox_unpublished = Gauge(
            "disputes_outbox_unpublished", "Events committed but not yet confirmed by the broker",
            ["agency"], registry=r)
        self.outbox_parked = Gauge(
            "disputes_outbox_parked",
            "Outbox events the broker would not take (unroutable or refused), each holding "
            "its case's later events back", ["agency"], registry=r)
        self.dead_lettered = Counter(
            "disputes_events_dead_lettered_total", "Messages parked on the dead-letter queue",
            ["agency"], registry=r)
        # At 0 from the start: an alert on its increase must see the first message parked.
        self.dead_lettered.labels(agency)
        self.events_overtaken = Counter(
            "disputes_events_overtaken_total",
            "Events applied after a later event of their case from the same publisher (the "
            "broker or a consumer did not keep the case's order); 0 is the norm",
            ["agency", "source_agency"], registry=r)
        self.events_overtaken.labels(agency, agency)  # at 0 from the start, for the alert
        self.inbox_shards_applying = Gauge(
            "disputes_inbox_shards_applying",
            "Shards of the agency's inbox this replica applied events from in the last seconds "
            "(the replicas of a service share the shards)", ["agency"], registry=r)
        self.event_batch_size = Histogram(
            "disputes_event_batch_size",
            "Events applied in one transaction by the agency's consumer (more than one only "
            "while they come faster than it applies them one at a time)",
            ["agency"], buckets=EVENT_BATCH_BUCKETS, registry=r)
        self.inbox_shards_handed_over = Counter(
            "disputes_inbox_shards_handed_over_total",
            "Shards this replica handed to another replica, applying more than its share",
            ["agency"], registry=r)
        self.cases_opened = Counter(
            "disputes_cases_opened_total", "Cases filed, by channel", ["agency", "channel"],
            registry=r)
        self.cases_closed = Counter(
            "disputes_cases_closed_total", "Cases closed by this agency, by outcome",
            ["agency", "outcome"], registry=r)
        self.amount_recovered = Counter(
            "disputes_amount_recovered_yuan_total",
            "Money actually recovered for workers (落实金额) in cases this agency closed",
            ["agency", "outcome"], registry=r)
        self.bounced_cases = Gauge(
            "disputes_cases_bounced",
            "Cases returned between agencies twice or more (推诿扯皮), open or closed",
            ["status"], registry=r)
        self.clock_breaches = Counter(
            "disputes_clock_breaches_total", "Statutory clocks that ran out before their act",
            ["clock"], registry=r)
        self.clocks_pending = Gauge(
            "disputes_clocks_pending", "Statutory clocks running", ["clock"], registry=r)
        self.clock_soonest_due = Gauge(
            "disputes_clock_soonest_due_seconds",
            "Seconds until the soonest running clock of this kind is due (negative: overdue)",
            ["clock"], registry=r)
        self.warnings_raised = Counter(
            "disputes_warnings_raised_total",
            "Early warnings announced (warning.raised), by rule", ["rule"], registry=r)
        if agency == "analytics":  # at 0 from the start, so the first warning is an increase
            for rule in WARNING_RULES:
                self.warnings_raised.labels(rule)
        self.rpc_calls = Counter(
            "disputes_rpc_calls_total", "Commands received over RPC and HTTP, by outcome",
            ["agency", "method", "outcome"], registry=r)
        self.access_refused = Counter(
            "disputes_access_refused_total",
            "Calls refused before they ran: no valid token (401) or a role not allowed (403)",
            ["service", "reason"], registry=r)

    def observe_published(self, event_type: str, payload: dict[str, Any]) -> None:
        """Metrics that follow from an event this agency has published."""
        self.events_published.labels(self.agency, event_type).inc()
        if event_type in ("handoff.accepted", "handoff.returned"):
            self.handoff_wait.labels(
                payload["from_agency"], payload["to_agency"], event_type.split(".")[1]
            ).observe(float(payload["wait_seconds"]))
        elif event_type == "case.filed":
            self.cases_opened.labels(self.agency, payload["channel"]).inc()
        elif event_type == "case.closed":
            self.cases_closed.labels(self.agency, payload["outcome"]).inc()
            self.amount_recovered.labels(self.agency, payload["outcome"]).inc(
                float(Decimal(str(payload["amount_recovered"]))))
        elif event_type == "warning.raised":
            self.warnings_raised.labels(payload["rule"]).inc()
        # Not the dossier: it repeats the request's fields.
        if event_type in WORK_ENDING_EVENTS and payload.get("worked_seconds") is not None:
            self.work_time.labels(self.agency, event_type).observe(float(payload["worked_seconds"]))

    def observe_handled(self, event_type: str, outcome: str, occurred_at: datetime,
                        now: datetime) -> None:
        self.events_handled.labels(self.agency, event_type, outcome).inc()
        delay = max(0.0, (now - occurred_at).total_seconds())
        self.event_delay.labels(self.agency).observe(delay)
        # A dossier occurs when its handoff is requested (the same ``requested_at``).
        if event_type == "handoff.dossier" and outcome == "handled":
            self.handoff_delivery.labels(self.agency).observe(delay)

    def clock_breached(self, clock: str) -> None:
        self.clock_breaches.labels(clock).inc()

    def set_pending_clocks(self, pending: Mapping[str, tuple[int, float | None]]) -> None:
        """For each kind of clock: how many run, and seconds until the soonest is due (None
        when none runs: that series is dropped rather than shown as a made-up number)."""
        for clock, (count, due_in) in pending.items():
            self.clock_breaches.labels(clock)  # the series exists, at 0, before any breach
            self.clocks_pending.labels(clock).set(count)
            if due_in is not None:
                self.clock_soonest_due.labels(clock).set(due_in)
            else:
                with suppress(KeyError):  # not there: nothing to drop
                    self.clock_soonest_due.remove(clock)

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
