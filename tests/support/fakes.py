"""Hand-written fakes of the storage ports: every service's unit of work and repositories on
plain dictionaries, so the service layers are tested with no database at all.

They keep what the tests rely on from the real adapters: a unit of work commits all or nothing;
``get`` hands out a copy (a change counts only once saved); JSON columns come back as JSON
(dates as text, as from the database); queries return rows in the adapters' order. The adapter
contract tests (tests/integration/test_adapter_contracts.py) hold both to the same behaviour.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import secrets
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, TypeVar

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.clocks.statutory import ClockStatus, StatutoryClock
from disputes_shared.clocks.wall import Clock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope, decode, encode
from disputes_shared.contract.handoff import Handoff, HandoffStatus
from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.contract.routing import route
from disputes_shared.plumbing.column_types import _json_default
from disputes_shared.plumbing.personal_data import KeyManagement, PersonalDataError
from disputes_shared.ports import (
    WITHHELD,
    CaseRepository,
    ClockRepository,
    HandoffRepository,
    Inbox,
    InboxClaim,
    Outbox,
    Repository,
    UnitOfWork,
    WithheldData,
)

T = TypeVar("T")
Tables = dict[str, Any]


def _as_stored(value: Any) -> Any:
    """What a JSON column gives back: a dict or list as plain JSON."""
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=_json_default))
    return value


class InMemoryRepository(Repository[T]):
    """Objects of one table by key; changes are staged until the unit of work commits."""

    def __init__(self, rows: dict[Any, T], key: str) -> None:
        self.rows = rows
        self.key = key
        self.staged: dict[Any, T] = {}

    def _stored(self, obj: T) -> T:
        fields = {f.name: _as_stored(getattr(obj, f.name)) for f in dataclasses.fields(obj)}  # type: ignore[arg-type]
        withheld = [name for name, value in fields.items() if value is WITHHELD]
        if withheld:
            raise WithheldData(f"{type(obj).__name__}: {', '.join(withheld)} withheld from a list")
        return type(obj)(**fields)

    def _known(self, key: Any) -> bool:
        return key in self.staged or key in self.rows

    def get(self, key: Any) -> T | None:
        found = self.staged.get(key, self.rows.get(key))
        return None if found is None else copy.deepcopy(found)

    def add(self, obj: T) -> None:
        key = getattr(obj, self.key)
        if self._known(key):
            raise KeyError(f"{type(obj).__name__} {key!r} exists already")
        self.staged[key] = self._stored(obj)

    def save(self, obj: T) -> None:
        key = getattr(obj, self.key)
        if not self._known(key):
            raise LookupError(f"no {type(obj).__name__} {key!r} to update")
        self.staged[key] = self._stored(obj)

    def _merged(self) -> dict[Any, T]:
        return {**self.rows, **self.staged} if self.staged else self.rows

    def every(self) -> list[T]:
        """Every object, by key (as the adapters order them unless told otherwise)."""
        return self.where(lambda obj: True)

    def where(self, test: Callable[[T], bool]) -> list[T]:
        """Copies of the objects that pass ``test``, by key."""
        merged = self._merged()
        return [copy.deepcopy(merged[k]) for k in sorted(merged) if test(merged[k])]

    def listed(self, test: Callable[[T], bool], withheld: Iterable[str]) -> list[T]:
        """``where``, with the ``withheld`` fields (personal data) ``WITHHELD``, as the adapters
        list them."""
        hidden = dict.fromkeys(withheld, WITHHELD)
        return [dataclasses.replace(obj, **hidden) for obj in self.where(test)]  # type: ignore[type-var]

    def size(self) -> int:
        return len(self._merged())

    def commit(self) -> None:
        self.rows.update(self.staged)
        self.staged = {}


class InMemoryCases(InMemoryRepository[T], CaseRepository[T]):
    def in_states(self, states: Iterable[str]) -> list[T]:
        wanted = {str(s) for s in states}
        return self.listed(lambda case: str(case.state) in wanted, ["dossier"])  # type: ignore[attr-defined]

    def not_in_states(self, states: Iterable[str]) -> list[T]:
        unwanted = {str(s) for s in states}
        return self.listed(lambda case: str(case.state) not in unwanted, ["dossier"])  # type: ignore[attr-defined]


class InMemoryHandoffs(InMemoryRepository[Handoff], HandoffRepository):
    def pending_to(self, agency: Agency) -> list[Handoff]:
        found = self.where(lambda h: h.to_agency == agency and h.status is HandoffStatus.PENDING)
        return sorted(found, key=lambda h: h.requested_at)

    def pending_count(self, agency: Agency) -> tuple[int, datetime | None]:
        pending = self.pending_to(agency)
        return len(pending), pending[0].requested_at if pending else None

    def for_case(self, case_id: str) -> list[Handoff]:
        return sorted(self.where(lambda h: h.case_id == case_id), key=lambda h: h.requested_at)


class InMemoryClocks(InMemoryRepository[StatutoryClock], ClockRepository):
    def running(self, case_id: str, kind: ClockKind) -> StatutoryClock | None:
        found = self.where(lambda c: c.case_id == case_id and c.kind == kind
                           and c.status is ClockStatus.RUNNING)
        return found[0] if found else None

    def for_case(self, case_id: str) -> list[StatutoryClock]:
        return sorted(self.where(lambda c: c.case_id == case_id), key=lambda c: c.started_at)

    def running_for_case(self, case_id: str) -> list[StatutoryClock]:
        return self.where(lambda c: c.case_id == case_id and c.status is ClockStatus.RUNNING)

    def due(self, now: datetime, limit: int) -> list[StatutoryClock]:
        due = self.where(lambda c: c.status is ClockStatus.RUNNING and c.due_at <= now)
        return sorted(due, key=lambda c: c.due_at)[:limit]

    def running_soonest_first(self, limit: int) -> list[StatutoryClock]:
        running = self.where(lambda c: c.status is ClockStatus.RUNNING)
        return sorted(running, key=lambda c: c.due_at)[:limit]

    def provisional_running(self) -> list[StatutoryClock]:
        return self.where(lambda c: c.status is ClockStatus.RUNNING and c.provisional)

    def claim_elapsed(self, clock: StatutoryClock, at: datetime) -> bool:
        stored = self.get(clock.clock_id)
        if stored is None or stored.status is not ClockStatus.RUNNING or stored.due_at > at:
            return False
        stored.status, stored.ended_at = ClockStatus.ELAPSED, at
        self.staged[clock.clock_id] = stored
        return True

    def summary(self, now: datetime) -> dict[str, dict[str, Any]]:
        kinds: dict[str, dict[str, Any]] = {
            str(kind): {"pending": 0, "seconds_to_soonest_due": None, "breaches": 0,
                        "satisfied": 0, "provisional": 0} for kind in ClockKind}
        for clock in self.every():
            entry = kinds[str(clock.kind)]
            if clock.status is ClockStatus.RUNNING:
                entry["pending"] += 1
                entry["provisional"] += int(clock.provisional)
                seconds = (clock.due_at - now).total_seconds()
                soonest = entry["seconds_to_soonest_due"]
                entry["seconds_to_soonest_due"] = seconds if soonest is None else min(soonest, seconds)
            elif clock.status is ClockStatus.ELAPSED:
                entry["breaches"] += 1
            else:
                entry["satisfied"] += 1
        return kinds


class InMemoryInbox(Inbox):
    """Events handled, by (consumer, event id), with each one's case mark (publisher, case,
    place), as the inbox table keeps them."""

    def __init__(self, handled: dict[tuple[str, str], tuple[str, str, int | None]]) -> None:
        self.handled = handled
        self.staged: dict[tuple[str, str], tuple[str, str, int | None]] = {}

    def claim(self, consumer: str, envelope: Envelope, at: datetime) -> InboxClaim:
        key = (consumer, envelope.event_id)
        if key in self.handled or key in self.staged:
            return InboxClaim(new=False)
        source, case = str(envelope.source_agency), envelope.case_id
        later = max((place for (by, _), (of_source, of_case, place) in (self.handled | self.staged).items()
                     if (by, of_source, of_case) == (consumer, source, case) and place is not None),
                    default=None)
        self.staged[key] = (source, case, envelope.case_sequence)
        overtaken = envelope.case_sequence is not None and later is not None and later > envelope.case_sequence
        return InboxClaim(new=True, overtaken_by=later if overtaken else None)

    def commit(self) -> None:
        self.handled.update(self.staged)


class InMemoryOutbox(Outbox):
    """Rows shaped as the outbox table's, numbered in commit order."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.staged: list[dict[str, Any]] = []

    def add(self, envelopes: Iterable[Envelope], at: datetime) -> int:
        added = 0
        for envelope in envelopes:
            exchange, routing_key = route(envelope)
            self.staged.append({
                "event_id": envelope.event_id, "event_type": envelope.event_type,
                "case_id": envelope.case_id, "exchange": exchange, "routing_key": routing_key,
                "body": encode(envelope), "created_at": at, "published_at": None, "attempts": 0,
                "last_error": None})
            added += 1
        return added

    def commit(self) -> None:
        for row in self.staged:
            self.rows.append({"id": len(self.rows) + 1, **row})
        self.staged = []


class InMemoryUnitOfWork(UnitOfWork):
    """A service's unit of work on ``tables`` (one dict per table, by the table's name).
    Subclasses name their repositories in ``bind``; ``publishes``/``keeps_handoffs``/
    ``keeps_clocks`` say which plumbing the service has, as its tables do."""

    publishes = True
    keeps_handoffs = True
    keeps_clocks = True

    def __init__(self, tables: Tables, clock: Clock,
                 on_commit: Callable[[list[Envelope]], None] | None = None) -> None:
        super().__init__(clock, on_commit)
        self.tables = tables

    def table(self, name: str) -> Any:
        return self.tables.setdefault(name, {})

    def begin(self) -> None:
        self.parts: list[Any] = []
        self.inbox = self._part(InMemoryInbox(self.tables.setdefault("inbox", {})))
        self.outbox = (self._part(InMemoryOutbox(self.tables.setdefault("outbox", [])))
                       if self.publishes else None)
        if self.keeps_handoffs:
            self.handoffs = self._part(InMemoryHandoffs(self.table("handoffs"), "handoff_id"))
        if self.keeps_clocks:
            self.clocks = self._part(InMemoryClocks(self.table("clocks"), "clock_id"))
        self.bind()

    def _part(self, part: Any) -> Any:
        self.parts.append(part)
        return part

    def erase_personal_data(self, case_id: str) -> bool:
        """The key of the case destroyed: the first time only, and only where the service keeps
        the case (nothing is sealed in memory: the case's record stands for its key)."""
        erased: set[str] = self.tables.setdefault("erased_cases", set())
        kept = getattr(self, "cases", None) or getattr(self, "claims", None)
        if case_id in erased or kept is None or kept.get(case_id) is None:
            return False
        erased.add(case_id)
        return True

    def bind(self) -> None:
        """Subclasses make their own repositories here, each through ``_part``."""

    def commit_changes(self) -> None:
        for part in self.parts:
            part.commit()

    def roll_back(self) -> None:
        self.parts = []

    def end(self) -> None:
        pass


# -- each service's repositories and unit of work ----------------------------------------------


def _mediation() -> type[InMemoryUnitOfWork]:
    from mediation.domain import ACTIVE_STATES
    from mediation.ports import MediationCases, MediationUnitOfWork

    class InMemoryMediationCases(InMemoryCases[Any], MediationCases):
        def _active_at(self, station_id: str) -> list[Any]:
            return self.where(lambda c: c.station_id == station_id and c.state in ACTIVE_STATES)

        def active_count_at(self, station_id: str) -> int:
            return len(self._active_at(station_id))

        def mediators_of_active_cases_at(self, station_id: str) -> list[str | None]:
            return [c.mediator_id for c in self._active_at(station_id)]

        def open_at(self, station_id: str, state: str | None = None) -> list[Any]:
            return self.listed(lambda c: c.station_id == station_id
                               and (str(c.state) == str(state) if state else c.state != CaseState.CLOSED),
                               ["dossier"])

    class InMemoryMediationUnitOfWork(InMemoryUnitOfWork, MediationUnitOfWork):
        def bind(self) -> None:
            self.cases = self._part(InMemoryMediationCases(self.table("mediation_cases"), "case_id"))

    return InMemoryMediationUnitOfWork


def _arbitration() -> type[InMemoryUnitOfWork]:
    from arbitration.ports import ArbitrationCases, ArbitrationUnitOfWork

    class InMemoryArbitrationCases(InMemoryCases[Any], ArbitrationCases):
        def assigned_arbitrators(self) -> list[str | None]:
            return [c.arbitrator_id for c in self.in_states([CaseState.IN_ARBITRATION])]

    class InMemoryArbitrationUnitOfWork(InMemoryUnitOfWork, ArbitrationUnitOfWork):
        def bind(self) -> None:
            self.cases = self._part(InMemoryArbitrationCases(self.table("arbitration_cases"), "case_id"))

    return InMemoryArbitrationUnitOfWork


def _legal_aid() -> type[InMemoryUnitOfWork]:
    from legal_aid.ports import AidApplications, LegalAidUnitOfWork

    class InMemoryAidApplications(InMemoryCases[Any], AidApplications):
        def with_ids(self, case_ids: Iterable[str]) -> list[Any]:
            wanted = set(case_ids)
            return self.listed(lambda a: a.case_id in wanted, ["dossier"])

        def representing_lawyers(self) -> list[str | None]:
            return [a.lawyer_id for a in self.where(lambda a: a.representing)]

    class InMemoryLegalAidUnitOfWork(InMemoryUnitOfWork, LegalAidUnitOfWork):
        def bind(self) -> None:
            self.cases = self._part(InMemoryAidApplications(self.table("aid_applications"), "case_id"))

    return InMemoryLegalAidUnitOfWork


def _courts_bridge() -> type[InMemoryUnitOfWork]:
    from courts_bridge.ports import CourtMatters, CourtsUnitOfWork

    class InMemoryCourtMatters(InMemoryCases[Any], CourtMatters):
        def quiet_since(self, moment: datetime) -> list[str]:
            return sorted(m.case_id for m in self.not_in_states([CaseState.CLOSED])
                          if (m.last_step_at or m.received_at) <= moment)

    class InMemoryCourtsUnitOfWork(InMemoryUnitOfWork, CourtsUnitOfWork):
        def bind(self) -> None:
            self.cases = self._part(InMemoryCourtMatters(self.table("court_matters"), "case_id"))

    return InMemoryCourtsUnitOfWork


def _intake() -> type[InMemoryUnitOfWork]:
    from intake.adapters import SEALED_CLAIM_FIELDS
    from intake.ports import Claims, EvidenceFiles, IntakeUnitOfWork, RegisteredAgencies, RequestCounts

    class InMemoryClaims(InMemoryRepository[Any], Claims):
        def count_against_employer(self, key: str, since: datetime) -> int:
            return len(self.where(lambda c: c.employer_key == key and c.received_at >= since))

        def access_digest(self, case_id: str) -> str | None:
            claim = self.get(case_id)
            return claim.access_code_digest if claim is not None else None

        def urgent_open(self) -> list[Any]:
            withheld = [name for name in SEALED_CLAIM_FIELDS if name != "consultation"]
            return self.listed(lambda c: c.urgent and c.state != CaseState.CLOSED,
                               [*withheld, "employer_key"])

        def closed_before_unerased(self, bound: datetime, limit: int) -> list[tuple[str, str, datetime]]:
            # Erased ones too: the fake's erasure answers False for them, as a replica's would.
            found = sorted(self.where(lambda c: c.closed_at is not None and c.closed_at < bound),
                           key=lambda c: c.closed_at)
            return [(c.case_id, c.correlation_id, c.closed_at) for c in found[:limit]]

    class InMemoryEvidenceFiles(InMemoryRepository[Any], EvidenceFiles):
        def described(self, case_id: str) -> list[dict[str, Any]]:
            files = sorted(self.where(lambda f: f.case_id == case_id), key=lambda f: f.received_at)
            return [{k: v for k, v in dataclasses.asdict(f).items() if k != "content"} for f in files]

        def count_for(self, case_id: str) -> int:
            return len(self.where(lambda f: f.case_id == case_id))

        claims: Any = None  # the unit of work's claims, for the closing times

        def of_cases_closed_before(self, bound: datetime, limit: int) -> list[tuple[str, str, datetime]]:
            with_files = {f.case_id for f in self.every()}
            closed = sorted((c.closed_at, c.case_id, c.correlation_id) for c in self.claims.every()
                            if c.case_id in with_files and c.closed_at is not None and c.closed_at < bound)
            return [(case_id, correlation, closed_at) for closed_at, case_id, correlation in closed[:limit]]

        def delete_for(self, case_id: str) -> int:
            gone = [key for key, f in self._merged().items() if f.case_id == case_id]
            for key in gone:  # at once, not staged: a fake's deletion needs no rollback yet
                self.rows.pop(key, None)
                self.staged.pop(key, None)
            return len(gone)

    class InMemoryRegisteredAgencies(InMemoryRepository[Any], RegisteredAgencies):
        def listed(self) -> list[Any]:
            return self.every()

    class InMemoryRequestCounts(RequestCounts):
        """Counted at once, not staged: a count stands whether or not its transaction commits."""

        def __init__(self, table: dict[tuple[str, str, int], int]) -> None:
            self.table = table

        def counted(self, scope: str, client: str, minute: int) -> tuple[int, int]:
            self.table[scope, client, minute] = self.table.get((scope, client, minute), 0) + 1
            return self.table[scope, client, minute], self.table.get((scope, client, minute - 1), 0)

        def forget_before(self, minute: int) -> int:
            gone = [key for key in self.table if key[2] < minute]
            for key in gone:
                del self.table[key]
            return len(gone)

    class InMemoryIntakeUnitOfWork(InMemoryUnitOfWork, IntakeUnitOfWork):
        keeps_clocks = False

        def bind(self) -> None:
            self.claims = self._part(InMemoryClaims(self.table("claims"), "case_id"))
            self.evidence = self._part(InMemoryEvidenceFiles(self.table("evidence_files"), "evidence_id"))
            self.evidence.claims = self.claims
            self.agencies = self._part(InMemoryRegisteredAgencies(self.table("registered_agencies"), "name"))
            self.request_counts = InMemoryRequestCounts(self.table("request_counts"))

    return InMemoryIntakeUnitOfWork


def _trail() -> type[InMemoryUnitOfWork]:
    from trail.chain import GENESIS
    from trail.domain import bounces, tally_pairs, tally_work
    from trail.ports import (
        CaseSummaries,
        Checkpoints,
        PersonalDataReads,
        TrailEntries,
        TrailHandoffs,
        TrailUnitOfWork,
    )

    class InMemoryNumberedRows(InMemoryRepository[Any]):
        def add(self, obj: Any) -> None:
            # The row's number (an entry's place in the chain), as the database's autoincrement gives it.
            obj = dataclasses.replace(obj, id=self.size() + 1)
            super().add(obj)

    class InMemoryTrailEntries(InMemoryNumberedRows, TrailEntries):
        def head_hash(self) -> tuple[int | None, str | None]:
            merged = self._merged()
            if not merged:
                return (None, None)
            last = merged[max(merged)]
            return (last.id, last.entry_hash)

        def hold_end(self) -> None:
            return None  # one transaction at a time here

        def append_after(self, entry: Any, end: str) -> bool:
            if (self.head_hash()[1] or GENESIS) != end:
                return False
            self.add(entry)
            return True

        def count_through(self, entry_id: int) -> int:
            return len(self.where(lambda e: e.id <= entry_id))

        def of_case(self, case_id: str) -> list[Any]:
            return self.where(lambda e: e.case_id == case_id)

        def in_recorded_order(self) -> list[Any]:
            return self.every()

        def after(self, entry_id: int, limit: int) -> list[Any]:
            return self.where(lambda e: e.id > entry_id)[:limit]

        def of_types(self, event_types: Iterable[str]) -> list[Any]:
            wanted = set(event_types)
            return self.where(lambda e: e.event_type in wanted)

        def work_tallies(self) -> dict[str, Any]:
            return tally_work((e.source_agency, e.worked_seconds) for e in self.every() if e.worked_seconds is not None)

        def count(self) -> int:
            return self.size()

        def count_between(self, after: int, up_to: int) -> int:
            return len(self.where(lambda e: after < e.id <= up_to))

        def erase_texts(self, case_id: str, keep: str) -> int:
            found = self.where(lambda e: e.case_id == case_id and e.event_type != keep and e.texts)
            for entry in found:
                self.save(dataclasses.replace(entry, texts=None))
            return len(found)

    class InMemoryCaseSummaries(InMemoryRepository[Any], CaseSummaries):
        def of_cases(self, case_ids: Iterable[str] | None) -> list[Any]:
            if case_ids is None:
                return self.every()
            wanted = set(case_ids)
            return self.where(lambda s: s.case_id in wanted)

        def count_returned_at_least(self, returns: int) -> tuple[int, int]:
            returned = self.where(lambda s: s.returns >= returns)
            return len(returned), sum(1 for s in returned if s.closed_at is not None)

        entries: Any = None  # the unit of work's entries, for the case's last one

        def save_if_last(self, summary: Any, entry_hash: str) -> bool:
            recorded = self.entries.of_case(summary.case_id)
            if not recorded or recorded[-1].entry_hash != entry_hash:
                return False
            self.save(summary)
            return True

        def seen_at(self, case_id: str, at: Any) -> None:
            summary = self.get(case_id)
            if summary is not None and summary.last_event_at < at:
                self.save(dataclasses.replace(summary, last_event_at=at))

    class InMemoryCheckpoints(InMemoryRepository[Any], Checkpoints):
        def latest(self) -> Any:
            every = self.every()
            return every[-1] if every else None

        def in_order(self) -> list[Any]:
            return self.every()

    class InMemoryTrailHandoffs(InMemoryHandoffs, TrailHandoffs):
        def add_unless_known(self, handoff: Any) -> None:
            if self.get(handoff.handoff_id) is None:
                self.add(handoff)

        def pair_tallies(self) -> list[Any]:
            return tally_pairs(self.every())

        def bounces(self, listed: int) -> Any:
            return bounces(self.every(), listed)

    class InMemoryPersonalDataReads(InMemoryNumberedRows, PersonalDataReads):
        def of_case(self, case_id: str) -> list[Any]:
            return self.where(lambda r: r.case_id == case_id)

        def of_worker(self, worker_ref: str) -> list[Any]:
            return self.where(lambda r: r.worker_ref == worker_ref)

        def name_worker(self, case_id: str, worker_ref: str) -> None:
            for read in self.where(lambda r: r.case_id == case_id and r.worker_ref is None):
                self.save(dataclasses.replace(read, worker_ref=worker_ref))

    class InMemoryTrailUnitOfWork(InMemoryUnitOfWork, TrailUnitOfWork):
        publishes = False
        keeps_handoffs = False
        keeps_clocks = False

        def bind(self) -> None:
            self.entries = self._part(InMemoryTrailEntries(self.table("trail_entries"), "id"))
            self.summaries = self._part(InMemoryCaseSummaries(self.table("case_summaries"), "case_id"))
            self.summaries.entries = self.entries
            self.checkpoints = self._part(InMemoryCheckpoints(self.table("trail_checkpoints"), "entry_id"))
            self.handoffs = self._part(InMemoryTrailHandoffs(self.table("handoffs"), "handoff_id"))
            self.reads = self._part(InMemoryPersonalDataReads(self.table("personal_data_reads"), "id"))

    return InMemoryTrailUnitOfWork


def _analytics() -> type[InMemoryUnitOfWork]:
    from analytics.figures import tally
    from analytics.ports import (
        AnalyticsUnitOfWork,
        CaseFactsRepository,
        FoldedEvents,
        PeriodFigures,
        RaisedWarnings,
        StageTimes,
    )

    def within(at: Any, start: Any, end: Any) -> bool:
        return at is not None and start <= at < end

    class InMemoryCaseFacts(InMemoryRepository[Any], CaseFactsRepository):
        def involved_in(self, start: Any, end: Any) -> list[Any]:
            return self.where(lambda f: any(within(at, start, end) for at in
                                            (f.filed_at, f.closed_at, f.mediation_ended_at)))

        def count_filed_between(self, start: Any, end: Any) -> int:
            return len(self.where(lambda f: within(f.filed_at, start, end)))

        def against_employer(self, employer_ref: str) -> list[Any]:
            return self.where(lambda f: f.employer_ref == employer_ref)

        def of_worker_against(self, worker_ref: str, employer_ref: str) -> list[Any]:
            return self.where(lambda f: f.worker_ref == worker_ref and f.employer_ref == employer_ref)

        def on_platform(self, platform: str, since: Any) -> list[Any]:
            return self.where(lambda f: f.platform == platform and f.filed_at is not None
                              and f.filed_at >= since)

        def filing_times(self, industry: str, claim_type: str, district: str) -> list[Any]:
            return [f.filed_at for f in self.where(
                lambda f: f.industry == industry and f.district == district
                and f.filed_at is not None and claim_type in f.claim_types)]

        def clear(self) -> None:
            self.rows.clear()
            self.staged = {}

    class InMemoryStageTimes(InMemoryRepository[Any], StageTimes):
        def ended_between(self, start: Any, end: Any) -> list[Any]:
            return self.where(lambda s: within(s.ended_at, start, end))

        def clear(self) -> None:
            self.rows.clear()
            self.staged = {}

    class InMemoryRaisedWarnings(InMemoryRepository[Any], RaisedWarnings):
        def last_raised(self, rule: str, subject: str) -> Any:
            times = [w.raised_at for w in self.where(lambda w: w.rule == rule and w.subject == subject)]
            return max(times, default=None)

        def since(self, since: Any) -> list[Any]:
            return sorted(self.where(lambda w: w.raised_at >= since), key=lambda w: w.raised_at)

    class InMemoryFoldedEvents(FoldedEvents):
        def __init__(self, folded: set[str]) -> None:
            self.folded = folded
            self.staged: set[str] = set()

        def claim(self, event_id: str) -> bool:
            if event_id in self.folded or event_id in self.staged:
                return False
            self.staged.add(event_id)
            return True

        def clear(self) -> None:
            self.folded.clear()
            self.staged = set()

        def commit(self) -> None:
            self.folded |= self.staged

    class InMemoryPeriodFigures(PeriodFigures):
        """The definition itself, over the rows of the period."""

        def __init__(self, facts: InMemoryCaseFacts, stages: InMemoryStageTimes) -> None:
            self.facts = facts
            self.stages = stages

        def tally(self, period: Any) -> Any:
            return tally(period, self.facts.involved_in(period.start, period.end),
                         self.stages.ended_between(period.start, period.end))

    class InMemoryAnalyticsUnitOfWork(InMemoryUnitOfWork, AnalyticsUnitOfWork):
        keeps_handoffs = False
        keeps_clocks = False

        def bind(self) -> None:
            self.facts = self._part(InMemoryCaseFacts(self.table("case_facts"), "case_id"))
            self.stages = self._part(InMemoryStageTimes(self.table("stage_times"), "event_id"))
            self.warnings = self._part(InMemoryRaisedWarnings(self.table("raised_warnings"), "event_id"))
            self.figures = InMemoryPeriodFigures(self.facts, self.stages)
            self.folded = self._part(InMemoryFoldedEvents(self.tables.setdefault("folded_events", set())))

    return InMemoryAnalyticsUnitOfWork


UNITS_OF_WORK: dict[str, Callable[[], type[InMemoryUnitOfWork]]] = {
    "intake": _intake, "mediation": _mediation, "legal_aid": _legal_aid,
    "arbitration": _arbitration, "courts_bridge": _courts_bridge, "trail": _trail,
    "analytics": _analytics,
}


class InMemoryServiceDatabase:
    """One service's storage in memory; calling it opens a unit of work on it (the fake of the
    SQLite ``ServiceDatabase`` the adapter tests use, with the same helpers)."""

    def __init__(self, service: str, clock: Clock) -> None:
        self.uow_class = UNITS_OF_WORK[service]()
        self.clock = clock
        self.tables: Tables = {}

    def __call__(self) -> InMemoryUnitOfWork:
        return self.uow_class(self.tables, self.clock)

    def lease(self, name: str) -> AbstractContextManager[bool]:
        return nullcontext(True)  # one process: every scan is its own

    def outbox_rows(self) -> list[dict[str, Any]]:
        return list(self.tables.get("outbox", []))

    def outbox(self) -> list[Envelope]:
        """Every event this service committed, in commit order, as a consumer would read it."""
        return [decode(row["body"]) for row in self.outbox_rows()]

    def count(self, table: Any) -> int:
        """Rows of a table (given by name or as the adapters' ``Table``)."""
        return len(self.tables.get(getattr(table, "name", table), ()))

    def close(self) -> None:
        self.tables.clear()


class FakeKeyManagement(KeyManagement):
    """Key-encryption keys in memory (real AES key wrap), for tests that run the SQL adapters
    without a key file."""

    def __init__(self) -> None:
        self.keks = {"kek-1": secrets.token_bytes(32)}
        self.current = "kek-1"
        self.lookup = secrets.token_bytes(32)

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        return self.current, aes_key_wrap(self.keks[self.current], data_key)

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        if kek_id not in self.keks:
            raise PersonalDataError(f"no key-encryption key {kek_id!r}")
        try:
            return aes_key_unwrap(self.keks[kek_id], wrapped)
        except InvalidUnwrap:
            raise PersonalDataError(f"key-encryption key {kek_id!r} does not open this data key") from None

    def rotate(self) -> str:
        self.current = f"kek-{len(self.keks) + 1}"
        self.keks[self.current] = secrets.token_bytes(32)
        return self.current

    def lookup_key(self) -> bytes:
        return self.lookup
