"""The analytics service: its read model and the period's figures, checked against counts made
independently from the events it was given; rebuilt from the trail's entries; the same answers
on the SQL adapters as on the fakes."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from analytics.adapters import stage_times
from analytics.figures import BadPeriod, Period
from analytics.handlers import Analytics
from disputes_shared.clocks.statutory import CHINA_TIME
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.payloads import PersonalDataRefused
from disputes_shared.contract.vocabularies import CHANNELS, CLAIM_TYPES, INDUSTRIES, RELATIONSHIPS
from disputes_shared.regional import regional_figures

from ..support.examples import delivered, dossier_envelope, envelope, handoff_payload
from .helpers import deliver

ANALYTICS = Analytics(regional_figures())
DISTRICTS = ["wuhou", "jinjiang", "qingyang", "chenghua"]
NOVEMBER = Period.parse("2026-11")


@dataclass
class Planned:
    """One synthetic case as the generator planned it: what the figures must count."""

    case_id: str
    filed_at: datetime
    district: str
    industry: str
    channel: str
    relationship: str
    claim_types: list[str]
    amount: Decimal
    workers: int
    employer_ref: str
    mediation: str  # "agreement" or "failed"
    returned: int
    recovered: Decimal
    closed_at: datetime
    events: list[Envelope] = field(default_factory=list)


def _event(case_id: str, event_type: str, at: datetime, source: Agency, **payload: Any) -> Envelope:
    return delivered(envelope(event_type, payload, case_id=case_id, occurred_at=at, source_agency=source))


def _handoff(case_id: str, event_type: str, at: datetime, purpose: str, source: Agency,
             from_agency: str, handoff_id: str, **changes: Any) -> Envelope:
    payload = handoff_payload(purpose, from_agency, handoff_id=handoff_id, requested_at=at, **changes)
    return _event(case_id, event_type, at, source, **payload)


def plan_cases(n: int, seed: int = 7) -> list[Planned]:
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=CHINA_TIME).astimezone(UTC)
    cases = []
    for i in range(n):
        filed = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 61))  # October and November
        case_id = f"LD-2026-{i:06d}"
        mediation = rng.choice(["agreement", "failed"])
        returned = rng.choice([0, 0, 0, 1, 2])
        amount = Decimal(rng.randrange(1000, 90000)) / 100
        recovered = (amount * Decimal("0.8")).quantize(Decimal("0.01"))
        p = Planned(case_id, filed, rng.choice(DISTRICTS), rng.choice(INDUSTRIES), rng.choice(CHANNELS),
                    rng.choice(RELATIONSHIPS), sorted(rng.sample(CLAIM_TYPES, rng.randint(1, 2))), amount,
                    rng.randint(1, 3), f"{rng.randrange(16 ** 15):016x}"[:16].rjust(16, "0"), mediation,
                    returned, recovered, filed)
        at = filed
        p.events.append(_event(case_id, "case.filed", at, Agency.INTAKE, channel=p.channel,
                               industry=p.industry, relationship=p.relationship, claim_types=p.claim_types,
                               amount_claimed=str(amount), worker_count=p.workers, district=p.district,
                               legal_aid_requested=False, chosen_station_id=None,
                               employer_ref=p.employer_ref, platform=None))
        for _ in range(returned):  # handed to a station that sends it back
            hid = str(uuid.uuid4())
            at += timedelta(hours=rng.randint(1, 30))
            p.events.append(_handoff(case_id, "handoff.returned", at, "mediation", Agency.MEDIATION,
                                     "intake", hid, returned_at=at, reason="not ours",
                                     wait_seconds=3600.0))
        at += timedelta(hours=rng.randint(1, 30))
        wait = float(rng.randint(60, 3 * 86400))
        p.events.append(_handoff(case_id, "handoff.accepted", at, "mediation", Agency.MEDIATION,
                                 "intake", str(uuid.uuid4()), accepted_at=at, wait_seconds=wait))
        at += timedelta(days=rng.randint(1, 20))
        if mediation == "agreement":
            p.events.append(_event(case_id, "mediation.agreement_reached", at, Agency.MEDIATION,
                                   amount_agreed=str(recovered), pay_by=at.date(), mediator_id="med-01"))
            outcome = "mediated"
        else:
            p.events.append(_event(case_id, "mediation.failed", at, Agency.MEDIATION,
                                   reason="no agreement", mediator_id="med-01"))
            p.events.append(_handoff(case_id, "handoff.requested", at, "arbitration", Agency.MEDIATION,
                                     "mediation", str(uuid.uuid4()), worked_seconds=86400.0))
            at += timedelta(days=rng.randint(5, 40))
            outcome = "award_performed"
        p.closed_at = at
        p.events.append(_event(case_id, "case.closed", at, Agency.MEDIATION if mediation == "agreement"
                               else Agency.ARBITRATION, outcome=outcome, amount_recovered=str(recovered),
                               days_open=(at - filed).days, worked_seconds=3600.0))
        cases.append(p)
    return cases


def feed(db: Any, cases: list[Planned]) -> None:
    events = sorted((e for c in cases for e in c.events), key=lambda e: e.occurred_at)
    for event in events:
        assert deliver(db, ANALYTICS, event) == "handled"


def report(db: Any, period: str = "2026-11") -> dict[str, Any]:
    with db() as uow:
        return ANALYTICS.report(uow, period)


def expected_figures(cases: list[Planned], period: Period) -> dict[str, Any]:
    """The figures counted straight from the plan, without the read model."""
    received = [c for c in cases if period.holds(c.filed_at)]
    closed = [c for c in cases if period.holds(c.closed_at)]
    mediation_ends = {c.case_id: e.occurred_at for c in cases for e in c.events
                      if e.event_type in ("mediation.agreement_reached", "mediation.failed")}
    mediated = [c for c in cases if period.holds(mediation_ends[c.case_id])]
    returns = [e for c in cases for e in c.events
               if e.event_type == "handoff.returned" and period.holds(e.occurred_at)]
    return {
        "cases": len(received), "workers": sum(c.workers for c in received),
        "by_district": Counter(c.district for c in received),
        "by_industry": Counter(c.industry for c in received),
        "by_channel": Counter(c.channel for c in received),
        "by_relationship": Counter(c.relationship for c in received),
        "by_claim_type": Counter(t for c in received for t in c.claim_types),
        "closed": len(closed),
        "by_outcome": Counter("mediated" if c.mediation == "agreement" else "award_performed" for c in closed),
        "claimed": sum((c.amount for c in received), Decimal(0)),
        "recovered": sum((c.recovered for c in closed), Decimal(0)),
        "agreements": sum(1 for c in mediated if c.mediation == "agreement"),
        "mediation_ended": len(mediated),
        "handoffs_returned": len(returns),
        "cases_returned": len({e.case_id for e in returns}),
        "cases_bounced": len({e.case_id for e in returns
                              if next(c for c in cases if c.case_id == e.case_id).returned >= 2}),
    }


def test_the_period_figures_equal_the_counts_made_from_the_events(analytics_db: Any) -> None:
    cases = plan_cases(300)
    feed(analytics_db, cases)
    figures = report(analytics_db)
    want = expected_figures(cases, NOVEMBER)
    assert want["cases"] > 50 and want["closed"] > 50  # the sample reaches both months
    got = figures["received"]
    assert got["cases"] == want["cases"] and got["workers"] == want["workers"]
    for name in ("by_district", "by_industry", "by_channel", "by_relationship", "by_claim_type"):
        assert got[name] == dict(want[name]), name
    assert figures["closed"]["cases"] == want["closed"]
    assert figures["closed"]["by_outcome"] == dict(want["by_outcome"])
    assert Decimal(figures["money"]["claimed_yuan"]) == want["claimed"]
    assert Decimal(figures["money"]["recovered_yuan"]) == want["recovered"]
    assert figures["mediation"]["agreements"] == want["agreements"]
    assert figures["mediation"]["ended"] == want["mediation_ended"]
    assert figures["mediation"]["success_rate"] == round(want["agreements"] / want["mediation_ended"], 4)
    assert figures["returns"] == {"handoffs_returned": want["handoffs_returned"],
                                  "cases_returned": want["cases_returned"],
                                  "cases_bounced": want["cases_bounced"]}


def test_waits_are_split_by_agency_pair_and_work_by_agency(analytics_db: Any) -> None:
    cases = plan_cases(120)
    feed(analytics_db, cases)
    figures = report(analytics_db)
    accepted = [e for c in cases for e in c.events
                if e.event_type in ("handoff.accepted", "handoff.returned") and NOVEMBER.holds(e.occurred_at)]
    (pair,) = figures["waits"]
    assert (pair["from_agency"], pair["to_agency"]) == ("intake", "mediation")
    assert pair["days"]["count"] == len(accepted)
    mean = sum(float(e.payload["wait_seconds"]) for e in accepted) / len(accepted) / 86400
    assert pair["days"]["mean"] == pytest.approx(mean, abs=0.01)
    worked = {row["agency"]: row["days"]["count"] for row in figures["work"]}
    ended = Counter(str(e.source_agency) for c in cases for e in c.events
                    if e.event_type in ("handoff.requested", "case.closed") and NOVEMBER.holds(e.occurred_at))
    assert worked == dict(ended)


def test_the_trend_counts_each_month_up_to_the_period(analytics_db: Any) -> None:
    cases = plan_cases(200)
    feed(analytics_db, cases)
    trend = {row["month"]: row["cases"] for row in report(analytics_db)["trend"]}
    assert len(trend) == 12 and list(trend)[-1] == "2026-11" and list(trend)[0] == "2025-12"
    months = Counter(c.filed_at.astimezone(CHINA_TIME).strftime("%Y-%m") for c in cases)
    assert trend["2026-10"] == months["2026-10"] and trend["2026-11"] == months["2026-11"]
    assert trend["2026-09"] == 0


def test_events_arriving_in_any_order_give_the_same_figures(analytics_db: Any, clock: Any) -> None:
    from ..support.fakes import InMemoryServiceDatabase

    cases = plan_cases(80)
    feed(analytics_db, cases)
    shuffled = InMemoryServiceDatabase("analytics", clock)
    events = [e for c in cases for e in c.events]
    random.Random(3).shuffle(events)
    for event in events:
        deliver(shuffled, ANALYTICS, event)
    assert report(shuffled) == report(analytics_db)


def test_a_period_is_a_month_or_a_year() -> None:
    assert Period.parse("2026").end == datetime(2027, 1, 1, tzinfo=CHINA_TIME)
    assert Period.parse("2026-12").end == datetime(2027, 1, 1, tzinfo=CHINA_TIME)
    for bad in ("2026-13", "26-11", "2026-1", "november", ""):
        with pytest.raises(BadPeriod):
            Period.parse(bad)


def test_a_dossier_is_refused_and_our_own_warnings_are_ignored(analytics_db: Any) -> None:
    with analytics_db() as uow, pytest.raises(PersonalDataRefused, match="must not reach analytics"):
        ANALYTICS.handle(uow, dossier_envelope())
    assert deliver(analytics_db, ANALYTICS, delivered(envelope("warning.raised"))) == "ignored"
    assert analytics_db.count("case_facts") == 0


def test_a_redelivered_event_is_counted_once(analytics_db: Any) -> None:
    cases = plan_cases(20)
    feed(analytics_db, cases)
    before = report(analytics_db, "2026")
    for event in cases[0].events:
        assert deliver(analytics_db, ANALYTICS, event) == "duplicate"
    assert report(analytics_db, "2026") == before


def _as_trail_entries(cases: list[Planned]) -> list[dict[str, Any]]:
    """The events as the trail's ``entries`` RPC gives them back (JSON types)."""
    from trail.handlers import _plain

    events = sorted((e for c in cases for e in c.events), key=lambda e: e.occurred_at)
    return [{"event_id": e.event_id, "case_id": e.case_id, "event_type": e.event_type,
             "source_agency": str(e.source_agency), "occurred_at": e.occurred_at.isoformat(),
             "payload": _plain(e.payload)} for e in events]


def test_the_read_model_rebuilt_from_the_trail_gives_the_same_figures(analytics_db: Any, clock: Any) -> None:
    from ..support.fakes import InMemoryServiceDatabase

    cases = plan_cases(150)
    feed(analytics_db, cases)
    rebuilt = InMemoryServiceDatabase("analytics", clock)
    entries = _as_trail_entries(cases)
    with rebuilt() as uow:  # something stale, forgotten by the rebuild
        ANALYTICS.rebuild(uow, _as_trail_entries(plan_cases(5, seed=99)))
        uow.commit()
    with rebuilt() as uow:
        ANALYTICS.clear(uow)
        uow.commit()
    for start in range(0, len(entries), 100):
        with rebuilt() as uow:
            ANALYTICS.rebuild(uow, entries[start:start + 100])
            uow.commit()
    assert report(rebuilt) == {**report(analytics_db), "warnings": []}
    assert report(rebuilt, "2026") == {**report(analytics_db, "2026"), "warnings": []}


def test_events_delivered_during_a_rebuild_are_counted_once(analytics_db: Any, analytics_sql_db: Any) -> None:
    cases = plan_cases(60)
    feed(analytics_db, cases)
    entries = _as_trail_entries(cases)
    half = len(entries) // 2
    with analytics_sql_db() as uow:
        ANALYTICS.clear(uow)
        uow.commit()
    with analytics_sql_db() as uow:
        ANALYTICS.rebuild(uow, entries[:half])
        uow.commit()
    # The consumer goes on between two pages: events the rebuild has folded already, and events
    # it has yet to read from the trail.
    feed(analytics_sql_db, cases)
    with analytics_sql_db() as uow:
        ANALYTICS.rebuild(uow, entries[half:])
        uow.commit()
    assert {**report(analytics_sql_db), "warnings": []} == {**report(analytics_db), "warnings": []}
    assert analytics_sql_db.count(stage_times) == analytics_db.count(stage_times)


def test_the_sql_adapters_answer_as_the_fakes_do(analytics_db: Any, analytics_sql_db: Any) -> None:
    cases = plan_cases(120)
    feed(analytics_db, cases)
    feed(analytics_sql_db, cases)
    assert report(analytics_sql_db) == report(analytics_db)
    assert report(analytics_sql_db, "2026") == report(analytics_db, "2026")
