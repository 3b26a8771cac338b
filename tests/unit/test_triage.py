"""Triage (分类分流) by the rule table: the worker's choice, urgency, the working-relationship
category, claim type, industry, the nearest station, the city union; and the table's checks."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from disputes_shared.contract.stations import DISTRICTS, Station, stations
from disputes_shared.contract.vocabularies import INDUSTRIES, RELATIONSHIPS
from disputes_shared.regional import regional_figures
from intake.triage import InvalidRuleTable, TriageFacts, load_rule_table, parse_rule_table, triage

# A directory written for these tests, so each rule has exactly one station to find.
DIRECTORY = (
    Station("ind-food", "外卖行业调解站", "industry", "wuhou", ("food_delivery",)),
    Station("union-trucks", "货车司机工会调解室", "union", "jinniu", ("trucking",)),
    Station("people-jinjiang", "锦江区人民调解委员会", "people", "jinjiang"),
    Station("people-wuhou", "武侯区人民调解委员会", "people", "wuhou"),
    Station("union-city", "市总工会劳动争议调解中心", "union", "qingyang"),
    Station("prearb", "仲裁案前调解室", "pre_arbitration", "qingyang"),
)
FIGURES = regional_figures()  # Chengdu: 500,000 yuan is large, 10 workers urgent, 3 claims in 90 days
RULES = load_rule_table(FIGURES)


def facts(**changes: Any) -> TriageFacts:
    base = TriageFacts(chosen_station_id=None, industry="food_delivery", relationship="employment",
                       claim_types=("unpaid_wages",), amount_claimed=Decimal("3200.00"),
                       worker_count=1, district="wuhou")
    return replace(base, **changes)


CASES = {
    "the worker's choice comes first": (
        dict(chosen_station_id="people-jinjiang"), (), "people-jinjiang", ("worker_choice",)),
    "the worker's choice comes first even for a group (art. 7: ten workers are collective)": (
        dict(chosen_station_id="people-jinjiang", worker_count=30), (), "people-jinjiang",
        ("collective_dispute", "group_dispute", "worker_choice")),
    "ten workers are a collective dispute (art. 7), sent to pre-arbitration": (
        dict(worker_count=10), (), "prearb",
        ("collective_dispute", "group_dispute", "urgent_pre_arbitration")),
    "nine workers are not": (dict(worker_count=9), (), "ind-food", ("industry_station",)),
    "500,000 yuan is a large amount, sent to pre-arbitration": (
        dict(amount_claimed=Decimal("500000.00")), (), "prearb", ("large_amount", "urgent_pre_arbitration")),
    "one cent less is not": (
        dict(amount_claimed=Decimal("499999.99")), (), "ind-food", ("industry_station",)),
    "the third claim against one employer within the window is urgent": (
        dict(employer_recent_cases=3), (), "prearb", ("repeat_employer", "urgent_pre_arbitration")),
    "the second is not": (dict(employer_recent_cases=2), (), "ind-food", ("industry_station",)),
    "an industry with a station goes there, whatever the district": (
        dict(industry="trucking", district="jinjiang"), (), "union-trucks", ("industry_station",)),
    "no industry station: the district's own people's station": (
        dict(industry="construction", district="jinjiang"), (), "people-jinjiang", ("nearest_people_station",)),
    "no people's station in the district: the nearest one (gaoxin is nearer jinjiang than wuhou)": (
        dict(industry="construction", district="gaoxin"), (), "people-jinjiang", ("nearest_people_station",)),
    "claim type: recognising the relationship is mediated beside arbitration": (
        dict(claim_types=("relationship_recognition",)), (), "prearb",
        ("relationship_recognition_pre_arbitration",)),
    "a civil relationship is not a labor dispute: the nearest people's station": (
        dict(relationship="civil"), (), "people-wuhou", ("not_a_labor_dispute", "civil_to_people")),
    "a civil relationship skips the industry station even of its industry": (
        dict(relationship="civil", district="jinjiang"), (), "people-jinjiang",
        ("not_a_labor_dispute", "civil_to_people")),
    "incomplete employment is mediated like employment (its industry's station)": (
        dict(relationship="incomplete_employment"), (), "ind-food", ("industry_station",)),
    "a claim beyond the limitation is flagged and still mediated (art. 27)": (
        dict(limitation="expired"), (), "ind-food", ("limitation_expired", "industry_station")),
    "a returned station is skipped": (
        dict(), ("ind-food",), "people-wuhou", ("nearest_people_station",)),
    "the worker's returned choice is skipped too": (
        dict(chosen_station_id="people-jinjiang"), ("people-jinjiang",), "ind-food", ("industry_station",)),
    "an urgent case returned by pre-arbitration goes on by industry": (
        dict(worker_count=20), ("prearb",), "ind-food",
        ("collective_dispute", "group_dispute", "industry_station")),
    "after every people's station, the city union": (
        dict(), ("ind-food", "people-wuhou", "people-jinjiang"), "union-city", ("city_union",)),
    "after the city union, pre-arbitration is the last station": (
        dict(), ("ind-food", "people-wuhou", "people-jinjiang", "union-city"), "prearb", ("pre_arbitration",)),
    "a choice of a station not in the directory is ignored": (
        dict(chosen_station_id="elsewhere"), (), "ind-food", ("industry_station",)),
}


@pytest.mark.parametrize(("changes", "tried", "station_id", "rules"), CASES.values(), ids=CASES.keys())
def test_triage_picks_the_station_the_rules_say(changes, tried, station_id, rules):
    decision = triage(facts(**changes), RULES, DIRECTORY, tried)
    assert decision.station is not None and decision.station.station_id == station_id
    assert (decision.purpose, decision.rules_fired) == ("mediation", rules)


@pytest.mark.parametrize(("changes", "urgent", "collective"), [
    (dict(), False, False),
    (dict(worker_count=10), True, True),
    (dict(amount_claimed=Decimal("500000")), True, False),
    (dict(employer_recent_cases=3), True, False),
    (dict(worker_count=10, chosen_station_id="people-jinjiang"), True, True),
])
def test_triage_flags_group_and_high_risk_disputes(changes, urgent, collective):
    decision = triage(facts(**changes), RULES, DIRECTORY)
    assert (decision.urgent, decision.collective) == (urgent, collective)


def test_a_labor_claim_every_station_returned_goes_to_arbitration():
    decision = triage(facts(worker_count=15), RULES, DIRECTORY, [s.station_id for s in DIRECTORY])
    assert (decision.station, decision.purpose) == (None, "arbitration")
    assert decision.rules_fired == ("collective_dispute", "group_dispute", "no_station_left")


def test_a_civil_claim_no_peoples_station_would_take_goes_to_court_not_to_labor_arbitration():
    decision = triage(facts(relationship="civil"), RULES, DIRECTORY, ["people-wuhou", "people-jinjiang"])
    assert (decision.station, decision.purpose) == (None, "litigation")
    assert decision.rules_fired == ("not_a_labor_dispute", "civil_to_court")


def test_a_claim_that_tried_the_stations_that_fit_falls_back_in_order():
    tried: list[str] = []
    while (decision := triage(facts(), RULES, DIRECTORY, tried)).station is not None:
        tried.append(decision.station.station_id)
    assert tried == ["ind-food", "people-wuhou", "people-jinjiang", "union-city", "prearb"]
    assert decision.purpose == "arbitration"


def test_a_region_sets_its_own_thresholds():
    stricter = replace(FIGURES, large_amount_yuan=Decimal("100000"), urgent_worker_count=5)
    rules = load_rule_table(stricter)
    assert triage(facts(amount_claimed=Decimal("100000")), rules, DIRECTORY).urgent
    assert triage(facts(worker_count=5), rules, DIRECTORY).rules_fired == ("group_dispute", "urgent_pre_arbitration")
    assert not triage(facts(worker_count=5), RULES, DIRECTORY).urgent


def test_every_rule_that_fired_has_its_reason_in_the_table():
    decision = triage(facts(worker_count=12, relationship="employment"), RULES, DIRECTORY)
    assert "art. 7" in RULES.why("collective_dispute")
    assert all(RULES.why(rule) for rule in decision.rules_fired)


@pytest.mark.parametrize("relationship", RELATIONSHIPS)
@pytest.mark.parametrize("district", DISTRICTS)
@pytest.mark.parametrize("industry", INDUSTRIES)
def test_the_city_directory_has_a_station_for_every_claim(industry, district, relationship):
    decision = triage(facts(industry=industry, district=district, relationship=relationship),
                      RULES, stations())
    assert decision.station is not None
    assert decision.station.kind in (("people",) if relationship == "civil" else ("industry", "union", "people"))


# -- the table is checked when intake starts -------------------------------------------------------

def packaged() -> dict[str, Any]:
    return json.loads(resources.files("intake").joinpath("rules/triage.json").read_text("utf-8"))


BAD_TABLES = {
    "an unknown condition": (
        lambda t: t["routes"][1]["when"].update(colour=["red"]), "routes[1].when.colour: no such condition"),
    "an unknown regional figure": (
        lambda t: t["flags"][2]["when"].update(amount_at_least="huge"), "no regional figure 'huge'"),
    "an unknown industry": (
        lambda t: t["flags"][0]["when"].update(industry=["mining"]), "flags[0].when.industry: must be"),
    "an unknown station kind": (
        lambda t: t["routes"][1]["to"].update(kinds=["temple"]), "routes[1].to.kinds"),
    "a rule id used twice": (
        lambda t: t["routes"][2].update(id="worker_choice"), "'worker_choice' used twice"),
    "a table whose last route can miss a claim": (
        lambda t: t["routes"].pop(), "the last route must apply to every claim"),
    "an unknown agency": (
        lambda t: t["routes"][-1]["to"].update(agency="police"), "an agency target is one of"),
    "a flag that sets an unknown flag": (
        lambda t: t["flags"][0].update(sets=["famous"]), "flags[0].sets"),
}


@pytest.mark.parametrize(("spoil", "message"), BAD_TABLES.values(), ids=BAD_TABLES.keys())
def test_a_bad_rule_table_is_refused_naming_the_fault(spoil, message):
    table = packaged()
    spoil(table)
    with pytest.raises(InvalidRuleTable, match=re.escape(message)):
        parse_rule_table(table, FIGURES)


def test_text_that_is_not_json_is_refused():
    with pytest.raises(InvalidRuleTable, match="not JSON"):
        load_rule_table(FIGURES, "{routes: ")
