"""The storage adapters and the unit tier's fakes answer alike: the same contract, run on the
fakes, on SQLite and on PostgreSQL. A fake that drifted from the adapters would make the unit
tier prove nothing; this is where such a drift fails."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

import analytics.adapters
import arbitration.adapters
import courts_bridge.adapters
import intake.adapters
import legal_aid.adapters
import mediation.adapters
import trail.adapters
from analytics.domain import CaseFacts, StageTime
from analytics.figures import Period, period_report, tally
from arbitration.domain import ArbitrationCase
from disputes_cli.sandbox import scratch_postgres_databases
from disputes_shared.clocks.kinds import ClockKind
from disputes_shared.clocks.statutory import start_clock
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import Handoff, HandoffPurpose, HandoffStatus
from disputes_shared.contract.lifecycle import AidState, CaseState
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.ports import WITHHELD, InboxClaim, WithheldData
from disputes_shared.statute.periods import ChineseStatutoryCalendar
from intake.domain import Claim
from intake.registry import RegisteredAgency
from legal_aid.domain import AidApplication
from mediation.domain import MediationCase
from trail.chain import GENESIS, Checkpoint
from trail.domain import CaseSummary, TrailEntry, worked_seconds_of

from ..support.examples import AT, envelope
from ..support.fakes import FakeKeyManagement, InMemoryServiceDatabase

ADAPTERS = {"intake": intake.adapters, "mediation": mediation.adapters,
            "legal_aid": legal_aid.adapters, "arbitration": arbitration.adapters,
            "courts_bridge": courts_bridge.adapters, "trail": trail.adapters,
            "analytics": analytics.adapters}
SQL_UNITS_OF_WORK = {"intake": "SqlIntakeUnitOfWork", "mediation": "SqlMediationUnitOfWork",
                     "legal_aid": "SqlLegalAidUnitOfWork", "arbitration": "SqlArbitrationUnitOfWork",
                     "courts_bridge": "SqlCourtsUnitOfWork", "trail": "SqlTrailUnitOfWork",
                     "analytics": "SqlAnalyticsUnitOfWork"}

Storage = Callable[[str], Callable[[], Any]]


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
def storage(request, tmp_path) -> Iterator[Storage]:
    """``storage(service)``: a factory of that service's units of work on a fresh, empty store."""
    clock = ManualClock(AT)
    with ExitStack() as stack:
        def make(service: str) -> Callable[[], Any]:
            if request.param == "fake":
                return InMemoryServiceDatabase(service, clock)
            module = ADAPTERS[service]
            url = (stack.enter_context(scratch_postgres_databases([service], prefix="ac"))[service]
                   if request.param == "postgresql" else f"sqlite:///{tmp_path / (service + '.db')}")
            engine = make_engine(url)
            stack.callback(engine.dispose)
            module.metadata.create_all(engine)
            uow_class = getattr(module, SQL_UNITS_OF_WORK[service])
            keys = FakeKeyManagement()
            return lambda: uow_class(engine, module.plumbing, clock, keys=keys)

        yield make


def committed(unit_of_work: Callable[[], Any], change: Callable[[Any], Any]) -> Any:
    with unit_of_work() as uow:
        result = change(uow)
        uow.commit()
    return result


def read(unit_of_work: Callable[[], Any], query: Callable[[Any], Any]) -> Any:
    with unit_of_work() as uow:
        return query(uow)


def case_fields(case_id: str, state: Any, **extra: Any) -> dict[str, Any]:
    return {"case_id": case_id, "correlation_id": f"corr-{case_id}", "handoff_id": f"h-{case_id}",
            "purpose": "mediation", "dossier": {"filed_at": AT.isoformat()}, "state": state,
            "received_at": AT, **extra}


# -- every repository: copies, all or nothing -----------------------------------------------------

def test_a_change_counts_only_once_saved_and_committed(storage):
    uow = storage("mediation")
    committed(uow, lambda u: u.cases.add(MediationCase(**case_fields("LD-1", CaseState.MEDIATION_REQUESTED))))

    def change_without_saving(u: Any) -> None:
        u.cases.get("LD-1").station_id = "changed"
    committed(uow, change_without_saving)
    assert read(uow, lambda u: u.cases.get("LD-1").station_id) is None

    with uow() as u:  # left without commit: rolled back
        case = u.cases.get("LD-1")
        case.station_id = "rolled back"
        u.cases.save(case)
        u.cases.add(MediationCase(**case_fields("LD-2", CaseState.MEDIATION_REQUESTED)))
    assert read(uow, lambda u: (u.cases.get("LD-1").station_id, u.cases.get("LD-2"))) == (None, None)


def test_adding_a_key_twice_and_saving_an_unknown_one_are_refused(storage):
    uow = storage("mediation")
    committed(uow, lambda u: u.cases.add(MediationCase(**case_fields("LD-1", CaseState.IN_MEDIATION))))
    with pytest.raises(Exception), uow() as u:  # noqa: B017 - the adapters' error is the driver's
        u.cases.add(MediationCase(**case_fields("LD-1", CaseState.IN_MEDIATION)))
        u.commit()
    with pytest.raises(LookupError), uow() as u:
        u.cases.save(MediationCase(**case_fields("LD-9", CaseState.IN_MEDIATION)))


def test_json_columns_come_back_as_json(storage):
    uow = storage("mediation")
    dossier = {"filed_at": AT, "amount": Decimal("12.50")}
    committed(uow, lambda u: u.cases.add(MediationCase(**{**case_fields("LD-1", CaseState.IN_MEDIATION),
                                                          "dossier": dossier})))
    assert read(uow, lambda u: u.cases.get("LD-1").dossier) == {"filed_at": AT.isoformat(), "amount": "12.50"}


def test_cases_by_state_come_in_case_order(storage):
    uow = storage("courts_bridge")
    from courts_bridge.domain import CourtMatter
    for case_id, state in [("LD-3", CaseState.CLOSED), ("LD-1", CaseState.IN_COURT),
                           ("LD-2", CaseState.RULED)]:
        committed(uow, lambda u, c=case_id, s=state: u.cases.add(CourtMatter(**case_fields(c, s))))
    assert [c.case_id for c in read(uow, lambda u: u.cases.not_in_states([CaseState.CLOSED]))] == ["LD-1", "LD-2"]
    assert [c.case_id for c in read(uow, lambda u: u.cases.in_states([CaseState.CLOSED, CaseState.RULED]))] == ["LD-2", "LD-3"]
    assert read(uow, lambda u: u.cases.get("LD-2").state) is CaseState.RULED


def test_a_work_list_withholds_the_dossier_and_its_cases_cannot_be_stored(storage):
    uow = storage("mediation")
    committed(uow, lambda u: u.cases.add(MediationCase(**case_fields("LD-1", CaseState.IN_MEDIATION))))
    (listed,) = read(uow, lambda u: u.cases.not_in_states([CaseState.CLOSED]))
    assert listed.dossier is WITHHELD and listed.history == {}
    with pytest.raises(WithheldData):
        listed.dossier["filed_at"]
    with pytest.raises(WithheldData), uow() as u:
        u.cases.save(listed)
    assert read(uow, lambda u: u.cases.get("LD-1").dossier) == {"filed_at": AT.isoformat()}


# -- the plumbing: inbox, handoffs, clocks ----------------------------------------------------------

def test_the_inbox_takes_an_event_once_per_consumer(storage):
    uow = storage("mediation")
    event = envelope("case.filed")
    assert committed(uow, lambda u: u.inbox.claim("mediation", event, AT)) == InboxClaim(new=True)
    assert committed(uow, lambda u: u.inbox.claim("mediation", event, AT)) == InboxClaim(new=False)
    assert committed(uow, lambda u: u.inbox.claim("other", event, AT)) == InboxClaim(new=True)


def test_the_inbox_says_when_an_event_comes_after_a_later_one_of_its_case_and_publisher(storage):
    uow = storage("mediation")

    def placed(place: int | None, case_id: str = "LD-1", source: str = "intake") -> Envelope:
        return envelope("case.filed", case_id=case_id, source_agency=Agency(source),
                        case_sequence=place)

    def claim(event: Envelope, consumer: str = "mediation") -> InboxClaim:
        return committed(uow, lambda u: u.inbox.claim(consumer, event, AT))

    assert claim(placed(5)) == InboxClaim(new=True)
    assert claim(placed(9)) == InboxClaim(new=True)
    assert claim(placed(7)) == InboxClaim(new=True, overtaken_by=9)
    # Another case, another publisher, another consumer, an unstamped event: nothing to compare.
    assert claim(placed(1, case_id="LD-2")) == InboxClaim(new=True)
    assert claim(placed(2, source="legal_aid")) == InboxClaim(new=True)
    assert claim(placed(3), consumer="other") == InboxClaim(new=True)
    assert claim(placed(None)) == InboxClaim(new=True)
    late = placed(8)
    assert claim(late) == InboxClaim(new=True, overtaken_by=9)
    assert claim(late) == InboxClaim(new=False)  # a redelivery is skipped, not reported again


def test_pending_handoffs_come_oldest_first_and_answered_ones_leave(storage):
    uow = storage("mediation")
    later = Handoff.request("LD-1", Agency.INTAKE, HandoffPurpose.MEDIATION, AT + timedelta(hours=2))
    earlier = Handoff.request("LD-2", Agency.INTAKE, HandoffPurpose.MEDIATION, AT)
    answered = Handoff.request("LD-3", Agency.INTAKE, HandoffPurpose.MEDIATION, AT)
    answered.accept(AT + timedelta(hours=1))
    elsewhere = Handoff.request("LD-4", Agency.MEDIATION, HandoffPurpose.ARBITRATION, AT)
    committed(uow, lambda u: [u.handoffs.add(h) for h in (later, earlier, answered, elsewhere)])
    pending = read(uow, lambda u: u.handoffs.pending_to(Agency.MEDIATION))
    assert [h.case_id for h in pending] == ["LD-2", "LD-1"]
    assert read(uow, lambda u: u.handoffs.pending_count(Agency.MEDIATION)) == (2, AT)
    assert read(uow, lambda u: u.handoffs.pending_count(Agency.COURTS)) == (0, None)
    assert [h.handoff_id for h in read(uow, lambda u: u.handoffs.for_case("LD-3"))] == [answered.handoff_id]


def test_a_due_clock_is_claimed_once_and_the_summary_counts_it(storage):
    uow = storage("arbitration")
    calendar = ChineseStatutoryCalendar()
    case = ArbitrationCase(**case_fields("LD-1", CaseState.ARBITRATION_REQUESTED))
    award = start_clock(ClockKind.AWARD, case, AT, calendar)
    acceptance = start_clock(ClockKind.ARBITRATION_ACCEPTANCE, case, AT, calendar)
    committed(uow, lambda u: [u.clocks.add(c) for c in (award, acceptance)])
    assert read(uow, lambda u: u.clocks.running("LD-1", ClockKind.AWARD).clock_id) == award.clock_id
    late = acceptance.due_at + timedelta(seconds=1)
    assert [c.clock_id for c in read(uow, lambda u: u.clocks.due(late, 10))] == [acceptance.clock_id]
    soonest = read(uow, lambda u: u.clocks.running_soonest_first(10))
    assert [c.clock_id for c in soonest] == sorted([award.clock_id, acceptance.clock_id],
                                                   key={award.clock_id: award.due_at,
                                                        acceptance.clock_id: acceptance.due_at}.get)
    assert len(read(uow, lambda u: u.clocks.running_soonest_first(1))) == 1
    assert committed(uow, lambda u: u.clocks.claim_elapsed(acceptance, late)) is True
    assert committed(uow, lambda u: u.clocks.claim_elapsed(acceptance, late)) is False
    summary = read(uow, lambda u: u.clocks.summary(late))
    assert summary["arbitration_acceptance"]["breaches"] == 1
    assert summary["award"]["pending"] == 1
    assert summary["award"]["seconds_to_soonest_due"] == (award.due_at - late).total_seconds()
    assert [c.kind for c in read(uow, lambda u: u.clocks.running_for_case("LD-1"))] == [ClockKind.AWARD]


# -- each service's named queries -------------------------------------------------------------------

def test_a_stations_active_cases_and_their_mediators(storage):
    uow = storage("mediation")
    rows = [("LD-1", CaseState.IN_MEDIATION, "s1", "m1"), ("LD-2", CaseState.AGREEMENT_REACHED, "s1", "m2"),
            ("LD-3", CaseState.CLOSED, "s1", "m1"), ("LD-4", CaseState.IN_MEDIATION, "s2", "m3"),
            ("LD-5", CaseState.MEDIATION_REQUESTED, "s1", None)]
    committed(uow, lambda u: [u.cases.add(MediationCase(**case_fields(c, s), station_id=st, mediator_id=m))
                              for c, s, st, m in rows])
    assert read(uow, lambda u: u.cases.active_count_at("s1")) == 2
    assert sorted(read(uow, lambda u: u.cases.mediators_of_active_cases_at("s1"))) == ["m1", "m2"]
    open_at = read(uow, lambda u: u.cases.open_at("s1"))
    assert [c.case_id for c in open_at] == ["LD-1", "LD-2", "LD-5"]  # by case number, none closed
    assert all(c.dossier is WITHHELD for c in open_at)  # a work list: no personal data
    assert [c.case_id for c in read(uow, lambda u: u.cases.open_at("s1", "closed"))] == ["LD-3"]
    assert read(uow, lambda u: u.cases.open_at("s3")) == []


def test_the_arbitrators_of_cases_in_arbitration(storage):
    uow = storage("arbitration")
    rows = [("LD-1", CaseState.IN_ARBITRATION, "a1"), ("LD-2", CaseState.AWARDED, "a2"),
            ("LD-3", CaseState.IN_ARBITRATION, "a1")]
    committed(uow, lambda u: [u.cases.add(ArbitrationCase(**case_fields(c, s), arbitrator_id=a))
                              for c, s, a in rows])
    assert read(uow, lambda u: u.cases.assigned_arbitrators()) == ["a1", "a1"]


def test_aid_applications_by_id_and_the_lawyers_still_acting(storage):
    uow = storage("legal_aid")
    rows = [("LD-1", "l1", True), ("LD-2", "l2", False), ("LD-3", "l1", True)]
    committed(uow, lambda u: [u.cases.add(AidApplication(**case_fields(c, AidState.GRANTED), lawyer_id=lawyer,
                                                          representing=r)) for c, lawyer, r in rows])
    listed = read(uow, lambda u: u.cases.with_ids(["LD-3", "LD-2", "LD-9"]))
    assert [(a.case_id, a.lawyer_id, a.dossier) for a in listed] == [("LD-2", "l2", WITHHELD), ("LD-3", "l1", WITHHELD)]
    assert read(uow, lambda u: u.cases.representing_lawyers()) == ["l1", "l1"]


def claim(case_id: str, **changes: Any) -> InboxClaim:
    return replace(Claim(case_id=case_id, correlation_id=case_id, received_at=AT, channel="online",
                         worker={"name": "x"}, migrant_worker=False, worker_count=1,
                         employer={"name": "y"}, industry="retail", relationship="employment",
                         claim_types=["unpaid_wages"], amount_claimed=Decimal("100"),
                         district="wuhou", legal_aid_requested=False), **changes)


def test_claims_against_an_employer_and_urgent_open_ones(storage):
    uow = storage("intake")
    committed(uow, lambda u: [u.claims.add(c) for c in (
        claim("LD-1", employer_key="e1", urgent=True, consultation={"held_at": None}),
        claim("LD-2", employer_key="e1", received_at=AT - timedelta(days=400)),
        claim("LD-3", employer_key="e2", urgent=True, state=CaseState.CLOSED))])
    assert read(uow, lambda u: u.claims.count_against_employer("e1", AT - timedelta(days=365))) == 1
    (urgent,) = read(uow, lambda u: u.claims.urgent_open())
    assert urgent.case_id == "LD-1"
    assert urgent.consultation == {"held_at": None}  # the consultations' list shows it
    assert urgent.worker is urgent.employer is urgent.description is WITHHELD


def test_the_registry_of_outside_agencies_keeps_each_entry_and_lists_them_by_name(storage):
    uow = storage("intake")
    committed(uow, lambda u: [u.agencies.add(RegisteredAgency.register(name, None, "ops", AT))
                              for name in ("trade_union", "labor_inspection")])

    def suspend(u: Any) -> None:
        entry = u.agencies.get("labor_inspection")
        entry.suspend("ops-2", AT + timedelta(hours=1))
        u.agencies.save(entry)

    committed(uow, suspend)
    listed = read(uow, lambda u: u.agencies.listed())
    assert [(e.name, str(e.status), e.purpose) for e in listed] == [
        ("labor_inspection", "suspended", "wage_arrears_referrals"),
        ("trade_union", "active", "identity_only")]
    assert (listed[0].changed_by, listed[0].changed_at, listed[0].registered_at) == (
        "ops-2", AT + timedelta(hours=1), AT)
    assert read(uow, lambda u: u.agencies.get("hotline_12345")) is None


def test_requests_are_counted_per_scope_client_and_minute_and_old_minutes_forgotten(storage):
    """What every replica's limit reads: each unit of work is one replica's request."""
    uow = storage("intake")
    count = lambda scope, client, minute: committed(uow, lambda u: u.request_counts.counted(scope, client, minute))  # noqa: E731
    assert [count("reading", "198.51.100.9", 100) for _ in range(3)] == [(1, 0), (2, 0), (3, 0)]
    assert count("reading", "198.51.100.9", 101) == (1, 3)  # the minute before, read beside it
    assert count("filing", "198.51.100.9", 101) == (1, 0)  # each limit counts apart
    assert count("reading", "203.0.113.1", 101) == (1, 0)
    assert committed(uow, lambda u: u.request_counts.forget_before(101)) == 1
    assert count("reading", "198.51.100.9", 102) == (1, 1)
    assert count("reading", "198.51.100.9", 101) == (2, 0)  # minute 100 is gone


def test_the_trails_chain_head_entries_summaries_and_checkpoints(storage):
    uow = storage("trail")

    def entry(case_id: str, event_type: str, entry_hash: str) -> TrailEntry:
        return TrailEntry(event_id=entry_hash, case_id=case_id, event_type=event_type, move=event_type,
                          source_agency="intake", occurred_at=AT, recorded_at=AT, payload={},
                          entry_hash=entry_hash)
    assert read(uow, lambda u: u.entries.head_hash()) == (None, None)
    committed(uow, lambda u: [u.entries.add(entry(*e)) for e in (
        ("LD-1", "case.filed", "h1"), ("LD-2", "case.filed", "h2"), ("LD-1", "case.closed", "h3"))])
    head_id, head = read(uow, lambda u: u.entries.head_hash())
    assert head == "h3" and read(uow, lambda u: u.entries.count()) == 3
    assert read(uow, lambda u: (u.entries.count_between(0, head_id), u.entries.count_between(head_id - 2, head_id - 1))) == (3, 1)
    assert [e.entry_hash for e in read(uow, lambda u: u.entries.of_case("LD-1"))] == ["h1", "h3"]
    assert [e.entry_hash for e in read(uow, lambda u: u.entries.of_types(["case.closed"]))] == ["h3"]
    assert [e.id for e in read(uow, lambda u: u.entries.in_recorded_order())][-1] == head_id

    committed(uow, lambda u: [u.summaries.add(CaseSummary(case_id=c, state="filed", aid_state="none",
                                                          opened_at=AT, last_event_at=AT, returns=r))
                              for c, r in (("LD-1", 0), ("LD-2", 3))])
    committed(uow, lambda u: u.summaries.add(CaseSummary(case_id="LD-3", state="closed", aid_state="none",
                                                         opened_at=AT, last_event_at=AT, closed_at=AT, returns=2)))
    assert read(uow, lambda u: u.summaries.count_returned_at_least(2)) == (2, 1)
    assert read(uow, lambda u: u.summaries.count_returned_at_least(3)) == (1, 0)
    assert [s.case_id for s in read(uow, lambda u: u.summaries.of_cases(["LD-1"]))] == ["LD-1"]
    assert len(read(uow, lambda u: u.summaries.of_cases(None))) == 3

    assert read(uow, lambda u: u.checkpoints.latest()) is None
    committed(uow, lambda u: [u.checkpoints.add(Checkpoint(entry_id=i, entries=i, head_hash=f"h{i}",
                                                           signed_at=AT, previous="", signature=f"s{i}"))
                              for i in (1, 3)])
    assert read(uow, lambda u: u.checkpoints.latest().entry_id) == 3
    assert [c.entry_id for c in read(uow, lambda u: u.checkpoints.in_order())] == [1, 3]


def test_an_entry_is_appended_only_where_the_chain_still_ends(storage):
    uow = storage("trail")

    def entry(entry_hash: str) -> TrailEntry:
        return TrailEntry(event_id=str(uuid.uuid4()), case_id="LD-1", event_type="case.filed", move="case.filed",
                          source_agency="intake", occurred_at=AT, recorded_at=AT,
                          payload={"worker_ref": "w1", "note": None}, entry_hash=entry_hash,
                          texts={"reason": {"salt": "00", "value": "text"}}, worked_seconds=None, format=2)

    def append(entry_hash: str, end: str) -> bool:
        return bool(committed(uow, lambda u: (u.entries.hold_end(), u.entries.append_after(entry(entry_hash), end))[1]))
    assert not append("h1", "h0")  # the chain is empty: it ends at its genesis
    assert append("h1", GENESIS)
    assert not append("h2", GENESIS) and not append("h2", "h0")
    assert append("h2", "h1")
    kept = read(uow, lambda u: u.entries.in_recorded_order())
    assert [e.entry_hash for e in kept] == ["h1", "h2"]
    assert (kept[1].payload, kept[1].texts, kept[1].format) == (
        {"worker_ref": "w1", "note": None}, {"reason": {"salt": "00", "value": "text"}}, 2)
    assert (kept[1].occurred_at, kept[1].worked_seconds) == (AT, None)


def test_a_summary_is_saved_only_while_its_case_ends_at_the_entry_named(storage):
    uow = storage("trail")
    summary = CaseSummary(case_id="LD-1", state="filed", aid_state="none", opened_at=AT, last_event_at=AT)

    def append(case_id: str, entry_hash: str) -> None:
        committed(uow, lambda u: u.entries.add(TrailEntry(
            event_id=entry_hash, case_id=case_id, event_type="case.filed", move="case.filed", source_agency="intake",
            occurred_at=AT, recorded_at=AT, payload={}, entry_hash=entry_hash)))

    def saved(entry_hash: str, state: str) -> bool:
        return bool(committed(uow, lambda u: u.summaries.save_if_last(replace(summary, state=state), entry_hash)))
    committed(uow, lambda u: u.summaries.add(summary))
    assert not saved("h1", "triaged")  # the case has no entry yet
    append("LD-1", "h1")
    append("LD-2", "h2")  # another case's entry changes nothing for this one
    assert saved("h1", "triaged")
    append("LD-1", "h3")
    assert not saved("h1", "closed")
    assert read(uow, lambda u: u.summaries.get("LD-1").state) == "triaged"


def test_a_handoff_already_known_is_kept_as_it_is(storage):
    uow = storage("trail")
    requested = Handoff(handoff_id="h-1", case_id="LD-1", from_agency=Agency.INTAKE, to_agency=Agency.MEDIATION,
                        purpose=HandoffPurpose.MEDIATION, requested_at=AT, reason="nearest station")
    answered = replace(requested)
    answered.accept(AT + timedelta(hours=2))
    committed(uow, lambda u: u.handoffs.add_unless_known(answered))
    committed(uow, lambda u: u.handoffs.add_unless_known(requested))
    kept = read(uow, lambda u: u.handoffs.get("h-1"))
    assert (kept.status, kept.wait_seconds) == (HandoffStatus.ACCEPTED, 7200)
    committed(uow, lambda u: u.handoffs.add_unless_known(replace(requested, handoff_id="h-2")))
    assert read(uow, lambda u: u.handoffs.get("h-2").status) == HandoffStatus.PENDING


def random_read_model(rng: random.Random, cases: int) -> tuple[list[CaseFacts], list[StageTime]]:
    """Rows as the fold leaves them, and as it may: unknown and empty values, cases seen only by
    a later event, ties among employers and among times, stretches of cases never filed."""
    def at() -> datetime:
        return datetime(2026, 9, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(150 * 86400))

    def some(*values: Any) -> Any:
        return rng.choice([None, "", *values])

    def amount() -> str:
        return f"{rng.choice([0, 1, 3200, rng.randrange(100_000_000)])}.{rng.randrange(100):02d}"

    facts, stages = [], []
    for i in range(cases):
        filed = at() if rng.random() < 0.9 else None
        closed = at() if rng.random() < 0.5 else None
        ended = at() if rng.random() < 0.5 else None
        facts.append(CaseFacts(
            f"LD-{i:05d}", filed_at=filed, channel=some("online", "walk_in"), industry=some("construction", "retail"),
            relationship=some("employee"), claim_types=rng.sample(["unpaid_wages", "overtime", "injury"] * 2,
                                                                    rng.randint(0, 3)),
            district=some("wuhou", "jinjiang", "chenghua"), amount_claimed=amount(), worker_count=rng.randint(0, 4),
            employer_ref=some(*(f"{n:016x}" for n in (10, 11, 0xA0, 0xB))), platform=some("ride-hailing"),
            mediation=rng.choice([None, "agreement", "failed"]), mediation_ended_at=ended,
            returns=rng.randint(0, 3), outcome=some("mediated", "withdrawn") if closed else None, closed_at=closed,
            amount_recovered=amount(), days_open=rng.choice([None, rng.randrange(400)]) if closed else None))
        for _ in range(rng.randint(0, 5)):
            wait = rng.random() < 0.6
            stages.append(StageTime(
                str(uuid.UUID(int=rng.getrandbits(128))), f"LD-{rng.randrange(cases + 20):05d}",
                "wait" if wait else "work", rng.choice(["mediation", "arbitration"]),
                some("intake", "mediation") if wait else None, rng.choice(["accepted", "returned"]) if wait else None,
                rng.choice([3600.0, 86400.0, rng.uniform(0, 90 * 86400)]), at()))
    # One pair's 70 waits in November, all different: an even count, whose median is between two.
    for n in range(70):
        stages.append(StageTime(f"w-{n}", "LD-00000", "wait", "courts", "arbitration", "accepted", 1000.0 * n,
                                datetime(2026, 11, 10, tzinfo=UTC)))
    return facts, stages


@pytest.mark.parametrize("seed", [1, 2])
def test_the_period_figures_counted_in_the_store_are_the_definitions(storage, seed):
    uow = storage("analytics")
    facts, stages = random_read_model(random.Random(seed), 300)
    committed(uow, lambda u: ([u.facts.add(f) for f in facts], [u.stages.add(s) for s in stages]))
    for name in ("2026-11", "2026-12", "2026", "2025-03"):
        period = Period.parse(name)
        want = period_report(period, tally(period, facts, stages))
        assert period_report(period, read(uow, lambda u, p=period: u.figures.tally(p))) == want, name


def random_handoffs(rng: random.Random, cases: int) -> tuple[list[Handoff], list[TrailEntry]]:
    """Handoffs as the trail keeps them (pending, accepted, returned; ties among times; cases
    returned once, twice, more) and work-ending entries, some naming no time worked."""
    agencies = [Agency.INTAKE, Agency.MEDIATION, Agency.ARBITRATION, Agency.LEGAL_AID]
    handoffs, entries = [], []
    for n in range(rng.randrange(1, 6) * cases):
        source, target = rng.sample(agencies, 2)
        requested = AT + timedelta(seconds=rng.choice([0, 60, rng.randrange(30 * 86400)]),
                                   microseconds=rng.choice([0, rng.randrange(10**6)]))
        handoff = Handoff(handoff_id=f"h-{n}", case_id=f"LD-{rng.randrange(cases)}", from_agency=source,
                          to_agency=target, purpose=HandoffPurpose.MEDIATION, requested_at=requested)
        answered = requested + timedelta(seconds=rng.choice([0, 3600, rng.randrange(9 * 86400)]))
        match rng.random():
            case r if r < 0.5:
                handoff.accept(answered)
            case r if r < 0.75:
                handoff.return_(answered, "not ours")
        handoffs.append(handoff)
    for n in range(3 * cases):
        worked = rng.choice([None, 0.0, 3600.0, rng.uniform(0, 60 * 86400)])
        entries.append(TrailEntry(
            event_id=f"e-{n}", case_id=f"LD-{n % cases}", move="m", source_agency=rng.choice(agencies[:3]),
            event_type=rng.choice(["handoff.requested", "case.closed", "mediation.session_held"]),
            occurred_at=AT, recorded_at=AT, entry_hash=f"x-{n}",
            payload={} if worked is None else {"worked_seconds": worked}))
        entries[-1].worked_seconds = worked_seconds_of(entries[-1].event_type, entries[-1].payload)
    return handoffs, entries


@pytest.mark.parametrize("seed", [1, 2])
def test_the_handoff_figures_counted_in_the_store_are_the_definition(storage, seed):
    from trail.domain import bounces, handoff_table
    from trail.handlers import Trail

    uow = storage("trail")
    assert read(uow, lambda u: Trail().handoff_summary(u)) == handoff_table([], AT)
    handoffs, entries = random_handoffs(random.Random(seed), 40)
    # As the trail records them: each handoff when requested, then its answer.
    requested = [replace(h, status=HandoffStatus.PENDING, answered_at=None) for h in handoffs]
    committed(uow, lambda u: ([u.handoffs.add(h) for h in requested], [u.entries.add(e) for e in entries]))
    committed(uow, lambda u: [u.handoffs.save(h) for h in handoffs if h.answered_at is not None])
    work = [(e.source_agency, e.payload["worked_seconds"]) for e in entries
            if e.event_type != "mediation.session_held" and "worked_seconds" in e.payload]  # the definition
    want = handoff_table(handoffs, AT + timedelta(days=40), work)
    assert want["bounced_cases"] and want["backlog"] and want["work"]
    assert any(row["wait_p50_seconds"] is not None for row in want["pairs"])
    read(uow, lambda u: u.clock.advance(days=40))
    assert read(uow, lambda u: Trail().handoff_summary(u)) == want
    for listed in (0, 1, 3):  # fewer listed than bounced: those returned last
        got = read(uow, lambda u, listed=listed: u.handoffs.bounces(listed))
        assert (got.count, sorted(got.listed, key=lambda h: h.handoff_id)) == \
            (bounces(handoffs).count, sorted(bounces(handoffs, listed).listed, key=lambda h: h.handoff_id))
