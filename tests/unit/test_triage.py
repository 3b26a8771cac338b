"""Triage (分类分流): the worker's choice, then urgency, industry, district, the city union."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from disputes_shared.contract.events import INDUSTRIES
from disputes_shared.contract.stations import DISTRICTS, Station, stations
from intake.domain import Claim, triage

from .examples import AT, WORKER

# A directory written for these tests, so each rule has exactly one station to find.
DIRECTORY = (
    Station("ind-food", "外卖行业调解站", "industry", "wuhou", ("food_delivery",)),
    Station("union-trucks", "货车司机工会调解室", "union", "jinniu", ("trucking",)),
    Station("people-jinjiang", "锦江区人民调解委员会", "people", "jinjiang"),
    Station("people-wuhou", "武侯区人民调解委员会", "people", "wuhou"),
    Station("union-city", "市总工会劳动争议调解中心", "union", "qingyang"),
    Station("prearb", "仲裁案前调解室", "pre_arbitration", "qingyang"),
)


def claim(**changes: Any) -> Claim:
    fields: dict[str, Any] = dict(
        case_id="LD-1", correlation_id="corr-1", received_at=AT, channel="online",
        worker=dict(WORKER), migrant_worker=True, worker_count=1, employer={"name": "迅达"},
        industry="food_delivery", relationship="employment", claim_types=["unpaid_wages"],
        amount_claimed=Decimal("3200.00"), district="wuhou", legal_aid_requested=False)
    fields.update(changes)
    return Claim(**fields)


CASES = {
    "the worker's choice comes first": (
        dict(chosen_station_id="people-jinjiang"), "people-jinjiang", ("worker_choice",)),
    "the worker's choice comes first even for a group": (
        dict(chosen_station_id="people-jinjiang", worker_count=30), "people-jinjiang",
        ("collective_dispute", "worker_choice")),
    "ten workers are a collective dispute, sent to pre-arbitration": (
        dict(worker_count=10), "prearb", ("collective_dispute", "urgent_pre_arbitration")),
    "nine workers are not": (dict(worker_count=9), "ind-food", ("industry:food_delivery",)),
    "500,000 yuan is a large amount, sent to pre-arbitration": (
        dict(amount_claimed=Decimal("500000.00")), "prearb", ("large_amount", "urgent_pre_arbitration")),
    "one cent less is not": (
        dict(amount_claimed=Decimal("499999.99")), "ind-food", ("industry:food_delivery",)),
    "many workers and a large amount fire both rules": (
        dict(worker_count=12, amount_claimed=Decimal("600000")), "prearb",
        ("collective_dispute", "large_amount", "urgent_pre_arbitration")),
    "an industry with a station goes there, whatever the district": (
        dict(industry="trucking", district="jinjiang"), "union-trucks", ("industry:trucking",)),
    "no industry station: the district's people's station": (
        dict(industry="construction", district="jinjiang"), "people-jinjiang", ("district:jinjiang",)),
    "no people's station in the district: the city union": (
        dict(industry="construction", district="gaoxin"), "union-city", ("city_union",)),
    "a returned station is skipped": (
        dict(tried_stations=["ind-food"]), "people-wuhou", ("district:wuhou",)),
    "the worker's returned choice is skipped too": (
        dict(chosen_station_id="people-jinjiang", tried_stations=["people-jinjiang"]), "ind-food",
        ("industry:food_delivery",)),
    "an urgent case returned by pre-arbitration goes on by industry": (
        dict(worker_count=20, tried_stations=["prearb"]), "ind-food",
        ("collective_dispute", "industry:food_delivery")),
    "after the city union, pre-arbitration is the last station": (
        dict(tried_stations=["ind-food", "people-wuhou", "union-city"]), "prearb", ("pre_arbitration",)),
    "a choice of a station not in the directory is ignored": (
        dict(chosen_station_id="elsewhere"), "ind-food", ("industry:food_delivery",)),
}


@pytest.mark.parametrize(("changes", "station_id", "rules"), CASES.values(), ids=CASES.keys())
def test_triage_picks_the_station_the_rules_say(changes, station_id, rules):
    decision = triage(claim(**changes), DIRECTORY)
    assert decision.station is not None and decision.station.station_id == station_id
    assert decision.rules_fired == rules


@pytest.mark.parametrize(("changes", "urgent", "collective"), [
    (dict(), False, False),
    (dict(worker_count=10), True, True),
    (dict(amount_claimed=Decimal("500000")), True, False),
    (dict(worker_count=10, chosen_station_id="people-jinjiang"), True, True),
])
def test_triage_flags_group_and_high_risk_disputes(changes, urgent, collective):
    decision = triage(claim(**changes), DIRECTORY)
    assert (decision.urgent, decision.collective) == (urgent, collective)


def test_when_every_station_was_tried_there_is_no_station_left():
    decision = triage(claim(worker_count=15, tried_stations=[s.station_id for s in DIRECTORY]), DIRECTORY)
    assert decision.station is None
    assert decision.rules_fired == ("collective_dispute", "no_station_left")
    assert decision.urgent


def test_a_claim_that_tried_the_stations_that_fit_falls_back_in_order():
    tried: list[str] = []
    order = []
    while (decision := triage(claim(tried_stations=list(tried)), DIRECTORY)).station is not None:
        order.append(decision.station.station_id)
        tried.append(decision.station.station_id)
    assert order == ["ind-food", "people-wuhou", "union-city", "prearb"]


@pytest.mark.parametrize("district", DISTRICTS)
@pytest.mark.parametrize("industry", INDUSTRIES)
def test_the_city_directory_has_a_station_for_every_industry_and_district(industry, district):
    decision = triage(claim(industry=industry, district=district), stations())
    assert decision.station is not None
    assert decision.station.kind in ("industry", "union", "people")
