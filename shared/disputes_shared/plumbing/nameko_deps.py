"""nameko dependency providers and entrypoint mixins that every service uses.

They hide the database, the outbox relay, metrics and the operational HTTP endpoints from the
service classes, which stay thin: turn a call or a message into a service-layer call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.timer import timer
from sqlalchemy import Connection, MetaData

from ..clocks.keeper import ClockKeeper
from ..clocks.statutory import StatutoryClock
from ..clocks.wall import Clock, SystemClock, clock_of
from ..contract.envelope import Envelope
from ..kit.broker import ConfirmedPublisher
from ..ports import UnitOfWork, apply_all_once
from .access import actor_of, rpc
from .engine import make_engine
from .handoff_desk import handoff_view
from .locks import lease
from .messaging import EventConsumer, consume_events
from .metrics import MetricsRegistry, PlatformMetrics
from .operations import OperationsServer
from .outbox import SqlOutbox
from .parked_personal_data import ParkedDossierKeys
from .personal_data import key_management
from .relay import OutboxRelay
from .schema import ServiceSchema
from .sealed import CaseKeys
from .tables import PlumbingTables
from .unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)


class Storage(DependencyProvider):
    """The service's own database: gives each worker a factory of units of work, and runs the
    outbox relay that publishes what they commit (in a service that has an outbox)."""

    metrics_registry = MetricsRegistry()

    def __init__(self, uow_class: type[SqlUnitOfWork], metadata: MetaData, tables: PlumbingTables,
                 clock: Clock | None = None) -> None:
        self.uow_class = uow_class
        self.metadata = metadata
        self.tables = tables
        self.clock: Clock = clock or SystemClock()
        self._configured_clock = clock is None  # then the configuration's (``clock_of``), at setup

    def setup(self) -> None:
        config = self.container.config
        if self._configured_clock:
            self.clock = clock_of(config)
        # The service's own migration history: revisions in its package (see plumbing.schema).
        schema = ServiceSchema(self.uow_class.__module__.split(".")[0], self.metadata)
        self.schema_head, self.known_revisions = schema.head(), schema.revisions()
        self.engine = make_engine(config["DATABASE_URL"], config.get("DATABASE_TIMEOUTS"))
        self.keys = None if self.tables.data_keys is None else key_management(self.container.service_name, config)
        # The dossiers this service's consumer parks are sealed under their case's key here.
        self.parked_dossier_keys = (None if self.tables.data_keys is None or self.keys is None
                                    else ParkedDossierKeys(self.engine, self.tables.data_keys, self.keys))
        self.relay = None if self.tables.outbox is None else OutboxRelay(
            self.engine, self.tables.outbox, ConfirmedPublisher(config["AMQP_URI"]),
            self.metrics_registry.metrics, self.clock, case_keys=self.case_keys_on())

    def case_keys_on(self) -> Callable[[Connection], CaseKeys] | None:
        """How the relay opens sealed outbox bodies: the case keys on one of its connections."""
        data_keys, keys = self.tables.data_keys, self.keys
        if data_keys is None or keys is None:
            return None
        return lambda connection: CaseKeys(connection, data_keys, keys)

    def start(self) -> None:
        if self.relay is not None:
            self._relay_thread = self.container.spawn_managed_thread(self.relay.run,
                                                                     identifier="outbox-relay")

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
            self._relay_thread.wait()
            self.relay.publisher.close()
        self.engine.dispose()

    def kill(self) -> None:
        if self.relay is not None:
            self.relay.stop()

    def unit_of_work(self) -> SqlUnitOfWork:
        return self.uow_class(self.engine, self.tables, self.clock,
                              on_commit=None if self.relay is None else self.relay.wake, keys=self.keys)

    def database(self, actor: dict[str, str] | None = None) -> ServiceDatabase:
        return ServiceDatabase(self.unit_of_work, self.schema_head, self.known_revisions, actor,
                               lambda name: lease(self.engine, name))

    def get_dependency(self, worker_ctx: Any) -> ServiceDatabase:
        return self.database(actor_of(worker_ctx))


@dataclass(frozen=True)
class ServiceDatabase:
    """What a worker gets from ``Storage``: call it for a unit of work on the service's own
    database; ``schema_lag`` says whether that database has the schema this release needs."""

    unit_of_work: Callable[[], SqlUnitOfWork]
    schema_head: str
    known_revisions: frozenset[str]
    actor: dict[str, str] | None = None  # the signed-in person whose call this worker runs
    # ``with storage.lease(name) as mine``: whether this replica runs the scan ``name`` now.
    lease: Callable[[str], AbstractContextManager[bool]] = lambda name: nullcontext(True)

    def __call__(self) -> SqlUnitOfWork:
        uow = self.unit_of_work()
        uow.actor = self.actor
        return uow

    def schema_lag(self) -> str | None:
        """None when the database is at this release's head revision, or at a revision this
        release does not know: a later release's, migrated ahead of its rollout (revisions keep
        the release before them working). Else what it is at."""
        with self.unit_of_work() as uow:
            current = ServiceSchema.current(uow.connection)
        if current == self.schema_head or (current is not None and current not in self.known_revisions):
            return None
        return f"schema at {current or 'no revision'}, this release needs {self.schema_head} (run migrate)"


class ServiceLayer(DependencyProvider):
    """The service's service layer, composed once when the service starts by its
    ``bootstrap(config)``: the one way every service is wired. A bad configuration (rule
    table, regional figures, roster) raises there and stops the start."""

    def __init__(self, bootstrap: Callable[[Mapping[str, Any]], Any]) -> None:
        self.bootstrap = bootstrap

    def setup(self) -> None:
        self.layer = self.bootstrap(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.layer


def operational(method: Callable[..., Any]) -> Callable[..., Any]:
    """Marks an entrypoint the platform itself calls (timers, health, metrics): not counted
    as a call of the agency's staff or systems."""
    method.operational = True  # type: ignore[attr-defined]
    return method


class Metrics(DependencyProvider):
    """Counts every entrypoint call by outcome; gives the service its ``PlatformMetrics``."""

    metrics_registry = MetricsRegistry()

    def get_dependency(self, worker_ctx: Any) -> PlatformMetrics:
        return self.metrics_registry.metrics

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        metrics = self.metrics_registry.metrics
        entrypoint = worker_ctx.entrypoint
        if isinstance(entrypoint, EventConsumer):
            envelopes, outcomes = worker_ctx.args[0], result
            if not entrypoint.batches:
                envelopes, outcomes = [envelopes], [result]
            elif exc_info and len(envelopes) > 1:
                return  # applied again one at a time, and counted then
            else:
                metrics.event_batch_size.labels(metrics.agency).observe(len(envelopes))
            now = datetime.now(UTC)
            for envelope, outcome in zip(envelopes, outcomes or [None] * len(envelopes), strict=True):
                metrics.observe_handled(envelope.event_type, "failed" if exc_info else (
                    outcome if outcome in ("duplicate", "ignored") else "handled"), envelope.occurred_at, now)
        elif not getattr(getattr(worker_ctx.service, entrypoint.method_name, None), "operational", False):
            metrics.rpc_calls.labels(metrics.agency, entrypoint.method_name,
                                     "failed" if exc_info else "ok").inc()


class OperationsEndpoints:
    """For a service that has ``storage`` and ``metrics``: ``/metrics``, ``/health/live`` and
    ``/health/ready`` on the operations port (``plumbing.operations``), and the timer that
    refreshes the gauges a scrape reads, so that no scrape opens a transaction.
    """

    storage: ServiceDatabase
    metrics: PlatformMetrics
    config: dict[str, Any]
    operations_server = OperationsServer()

    def refresh_gauges(self, uow: UnitOfWork) -> None:
        """Services add their own gauges; the default counts pending inbound handoffs."""
        agency = self.metrics.agency
        pending, oldest = uow.handoffs.pending_count(agency)  # type: ignore[arg-type]
        self.metrics.handoffs_pending.labels(agency).set(pending)
        age = (uow.clock.now() - oldest).total_seconds() if oldest else 0
        self.metrics.oldest_pending_handoff_age.labels(agency).set(age)

    # A timer also lets nameko stop the service in about a second on SIGTERM; with only HTTP
    # entrypoints it waits about a minute for the web server. Eager: the first scrape after
    # start already finds the gauges.
    @timer(interval=5, eager=True)
    @operational
    def refresh_metrics(self) -> None:
        with self.storage() as uow:
            self.refresh_gauges(uow)
            outbox = uow.outbox
            unpublished = outbox.unpublished_count() if isinstance(outbox, SqlOutbox) else None
        if unpublished is not None:
            self.metrics.outbox_unpublished.labels(self.metrics.agency).set(unpublished)


# A work queue shows a station's or a desk's open cases; a bound keeps one answer small.
RUNNING_CLOCKS_LIMIT = 2000


class StatutoryClocks:
    """Fires the service's due statutory clocks, and reports on them.

    The service's ``agency_logic`` (its ``ServiceLayer``) has ``clocks`` (a ``ClockKeeper``) and
    ``on_clock_elapsed(uow, clock)``, which returns the events that follow from a clock elapsing.
    Due times are read from the injected clock (``Storage``'s), so tests move time by hand; the
    timer only decides how often to look.
    """

    storage: ServiceDatabase
    agency_logic: Any
    metrics: PlatformMetrics

    @timer(interval=1)
    @operational
    def fire_due_clocks(self) -> None:
        """Fire what is due; then the clock gauges (per kind: running, soonest due)."""
        keeper: ClockKeeper = self.agency_logic.clocks
        try:
            # One replica looks each tick; should two (a lease lost with its connection), the
            # conditional update still fires each clock once.
            with self.storage.lease("statutory-clocks") as mine:
                if mine:
                    keeper.fire_due(self.storage, self.agency_logic.on_clock_elapsed,
                                    fired=lambda clock: self.metrics.clock_breached(str(clock.kind)))
        finally:
            with self.storage() as uow:
                summary = keeper.summary(uow)
            self.metrics.set_pending_clocks({
                kind: (row["pending"], row["seconds_to_soonest_due"])
                for kind, row in summary.items()})

    @rpc
    def clock_summary(self) -> dict[str, dict[str, Any]]:
        """Per clock kind: pending, seconds to the soonest due, breaches, provisional."""
        with self.storage() as uow:
            summary: dict[str, dict[str, Any]] = self.agency_logic.clocks.summary(uow)
        return summary

    @rpc
    def case_clocks(self, case_id: str) -> list[dict[str, Any]]:
        """The statutory clocks of one case at this agency, running or ended."""
        with self.storage() as uow:
            return [clock_view(clock) for clock in uow.clocks.for_case(case_id)]

    @rpc
    def running_clocks(self, limit: int = RUNNING_CLOCKS_LIMIT) -> list[dict[str, Any]]:
        """Every case's running clocks here, the soonest due first: a work queue's order."""
        with self.storage() as uow:
            found = uow.clocks.running_soonest_first(max(1, min(int(limit), RUNNING_CLOCKS_LIMIT)))
            return [clock_view(clock) for clock in found]


class AgencyEvents:
    """Consumes the agency's inbound queue; ``agency_logic.handle`` applies each event once,
    several of different cases in one transaction when they come faster than one at a time."""

    name: str
    storage: Callable[[], UnitOfWork]
    agency_logic: Any
    metrics: PlatformMetrics

    @consume_events(batches=True)
    def on_events(self, envelopes: list[Envelope]) -> list[str]:
        return apply_all_once(self.storage, self.name, envelopes, self.agency_logic.handle,
                              overtaken=self.overtaken)

    def overtaken(self, envelope: Envelope, later: int) -> None:
        """An event applied after a later one of its case from the same publisher: the order
        the platform keeps (docs/design.md) was broken somewhere; counted and logged by ids."""
        log.error("%s %s of case %s (place %d at %s) was applied after a later one of its case "
                  "(place %d)", envelope.event_type, envelope.event_id, envelope.case_id,
                  envelope.case_sequence, envelope.source_agency, later)
        self.metrics.events_overtaken.labels(self.metrics.agency, str(envelope.source_agency)).inc()


class HandoffDeskRpc(AgencyEvents):
    """RPC for agency staff at a desk that receives handoffs: list, accept, return.

    The service class's ``agency_logic`` is its ``ServiceLayer``, a ``ReceivingAgency``.
    """

    storage: Callable[[], UnitOfWork]
    agency_logic: Any

    def command(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one service-layer command in its own transaction."""
        with self.storage() as uow:
            result = action(uow, *args, **kwargs)
            uow.commit()
        return result

    def query(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self.storage() as uow:
            return action(uow, *args, **kwargs)

    @rpc
    def open_cases(self, state: str | None = None) -> list[dict[str, Any]]:
        """The agency's work list: its cases, optionally in one state (no personal data)."""
        return self.query(self.agency_logic.open_cases, state)

    @rpc
    def dossier(self, case_id: str, purpose: str) -> dict[str, Any]:
        """A case's dossier (personal data), for a purpose of ``ReadPurpose``; every read is
        recorded on the trail."""
        return self.command(self.agency_logic.read_dossier, case_id, purpose)

    @rpc
    def close(self, case_id: str, outcome: str = "abandoned") -> dict[str, Any]:
        return self.command(self.agency_logic.close, case_id, outcome)

    @rpc
    def sue(self, case_id: str, reason: str) -> dict[str, Any]:
        """The worker sues (e.g. after arbitration refused or stayed silent, art. 29)."""
        return self.command(self.agency_logic.sue, case_id, reason)

    @rpc
    def personal_data(self, case_id: str) -> dict[str, Any]:
        """PIPL art. 45: the case's dossier held here, for the worker's copy."""
        return self.command(self.agency_logic.personal_data, case_id)  # the read recorded

    @rpc
    def pending_handoffs(self) -> list[dict[str, Any]]:
        return [handoff_view(h) for h in self.query(self.agency_logic.pending)]

    @rpc
    def accept_handoff(self, handoff_id: str, **details: Any) -> dict[str, Any]:
        return handoff_view(self.command(self.agency_logic.accept_handoff, handoff_id, **details))

    @rpc
    def return_handoff(self, handoff_id: str, reason: str) -> dict[str, Any]:
        return handoff_view(self.command(self.agency_logic.return_handoff, handoff_id, reason))


def clock_view(clock: StatutoryClock) -> dict[str, Any]:
    return {
        "clock_id": clock.clock_id, "case_id": clock.case_id, "kind": str(clock.kind),
        "citation": clock.rule.citation, "status": str(clock.status),
        "started_at": clock.started_at.isoformat(), "last_day": clock.last_day.isoformat(),
        "due_at": clock.due_at.isoformat(), "provisional": clock.provisional,
        "extension_days": clock.extension_days,
        "ended_at": clock.ended_at.isoformat() if clock.ended_at else None, "reason": clock.reason,
    }
