"""Triage (分类分流) as a rule table: data, not code branches.

The table (``rules/triage.json``) has *flags*, every one of which fires when its conditions
hold, and *routes*, tried in order: the first whose conditions hold and that finds a station the
case has not tried yet decides where the case goes. A number in a condition may name a regional
figure (``large_amount_yuan``), so each region sets its own thresholds. The table is checked
when intake starts; every fault is named.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from disputes_shared.contract.stations import STATION_KINDS, Station, nearest_first
from disputes_shared.contract.vocabularies import CLAIM_TYPES, INDUSTRIES, RELATIONSHIPS, LimitationStatus
from disputes_shared.regional import RegionalFigures

FLAGS = ("urgent", "collective")
AGENCY_TARGETS = {"arbitration": "arbitration", "court": "litigation"}  # -> handoff purpose
NUMBER_CONDITIONS = ("worker_count_at_least", "amount_at_least", "amount_below",
                     "employer_recent_cases_at_least")
CHOICE_CONDITIONS = {"relationship": RELATIONSHIPS, "industry": INDUSTRIES,
                     "claim_types_any": CLAIM_TYPES,
                     "limitation": tuple(str(s) for s in LimitationStatus)}
BOOLEAN_CONDITIONS = ("urgent", "collective")


class InvalidRuleTable(ValueError):
    pass


@dataclass(frozen=True)
class TriageFacts:
    """What the rules look at."""

    chosen_station_id: str | None
    industry: str
    relationship: str
    claim_types: tuple[str, ...]
    amount_claimed: Decimal
    worker_count: int
    district: str
    employer_recent_cases: int = 0  # other claims against the employer within the window
    limitation: str | None = None  # a LimitationStatus, when the filing gave the dates


@dataclass(frozen=True)
class Rule:
    rule_id: str
    why: str
    when: dict[str, Any]  # figure names already replaced by their values
    sets: tuple[str, ...] = ()
    to: dict[str, Any] | None = None


@dataclass(frozen=True)
class RuleTable:
    flags: tuple[Rule, ...]
    routes: tuple[Rule, ...]

    def why(self, rule_id: str) -> str:
        return next(rule.why for rule in (*self.flags, *self.routes) if rule.rule_id == rule_id)


@dataclass(frozen=True)
class RoutingDecision:
    station: Station | None  # None: handed to ``purpose`` instead of a mediation station
    purpose: str  # mediation, arbitration or litigation
    rules_fired: tuple[str, ...]
    urgent: bool
    collective: bool


def holds(rule: Rule, facts: TriageFacts, flags: set[str]) -> bool:
    when = rule.when
    tests = {
        "worker_count_at_least": lambda v: facts.worker_count >= v,
        "amount_at_least": lambda v: facts.amount_claimed >= v,
        "amount_below": lambda v: facts.amount_claimed < v,
        "employer_recent_cases_at_least": lambda v: facts.employer_recent_cases >= v,
        "relationship": lambda v: facts.relationship in v,
        "industry": lambda v: facts.industry in v,
        "claim_types_any": lambda v: bool(set(v) & set(facts.claim_types)),
        "limitation": lambda v: facts.limitation in v,
        "urgent": lambda v: ("urgent" in flags) == v,
        "collective": lambda v: ("collective" in flags) == v,
    }
    return all(tests[name](value) for name, value in when.items())


def candidates(target: dict[str, Any], facts: TriageFacts, available: list[Station]) -> list[Station]:
    if target.get("station") == "chosen":
        return [s for s in available if s.station_id == facts.chosen_station_id]
    found = [s for s in available if not target.get("kinds") or s.kind in target["kinds"]]
    if target.get("industry") == "claim":
        found = [s for s in found if facts.industry in s.industries]
    elif target.get("industry") == "none":
        found = [s for s in found if not s.industries]
    return nearest_first(found, facts.district) if target.get("order") == "nearest" else found


def triage(facts: TriageFacts, table: RuleTable, stations: Iterable[Station],
           tried_stations: Iterable[str] = ()) -> RoutingDecision:
    """Flag the claim and choose where it goes, skipping stations that already returned it."""
    tried = set(tried_stations)
    available = [s for s in stations if s.station_id not in tried]
    flags: set[str] = set()
    fired: list[str] = []
    for rule in table.flags:
        if holds(rule, facts, flags):
            fired.append(rule.rule_id)
            flags.update(rule.sets)
    urgent, collective = "urgent" in flags, "collective" in flags
    for rule in table.routes:
        if not holds(rule, facts, flags):
            continue
        assert rule.to is not None
        if "agency" in rule.to:
            return RoutingDecision(None, AGENCY_TARGETS[rule.to["agency"]],
                                   (*fired, rule.rule_id), urgent, collective)
        found = candidates(rule.to, facts, available)
        if found:
            return RoutingDecision(found[0], "mediation", (*fired, rule.rule_id), urgent, collective)
    raise AssertionError("a validated table ends with a route that always applies")


# -- loading and checking ------------------------------------------------------------------------

def parse_rule_table(document: Any, figures: RegionalFigures) -> RuleTable:
    """The table in ``document``, its figure names replaced by ``figures``; ``InvalidRuleTable``
    naming every fault."""
    errors: list[str] = []
    if not isinstance(document, dict):
        raise InvalidRuleTable("the triage rule table must be a JSON object")
    unknown = set(document) - {"about", "flags", "routes"}
    errors += [f"{key}: not a part of a rule table" for key in sorted(unknown)]
    seen: set[str] = set()
    parsed: dict[str, list[Rule]] = {"flags": [], "routes": []}
    for part in ("flags", "routes"):
        rows = document.get(part)
        if not isinstance(rows, list) or not rows:
            errors.append(f"{part}: must be a non-empty list of rules")
            continue
        for position, row in enumerate(rows):
            where = f"{part}[{position}]"
            rule = _parse_rule(row, where, part, figures, errors)
            if rule is None:
                continue
            if rule.rule_id in seen:
                errors.append(f"{where}: rule id {rule.rule_id!r} used twice")
            seen.add(rule.rule_id)
            parsed[part].append(rule)
    routes = parsed["routes"]
    if routes and (routes[-1].when or not routes[-1].to or "agency" not in routes[-1].to):
        errors.append("routes: the last route must apply to every claim and name an agency, "
                      "so that every claim is sent somewhere")
    if errors:
        raise InvalidRuleTable("invalid triage rule table: " + "; ".join(errors))
    return RuleTable(tuple(parsed["flags"]), tuple(routes))


def _parse_rule(row: Any, where: str, part: str, figures: RegionalFigures,
                errors: list[str]) -> Rule | None:
    if not isinstance(row, dict):
        errors.append(f"{where}: a rule must be an object")
        return None
    allowed = {"id", "why", "when", "sets"} if part == "flags" else {"id", "why", "when", "to"}
    errors += [f"{where}.{key}: not allowed in {part}" for key in sorted(set(row) - allowed)]
    rule_id, why, when = row.get("id"), row.get("why", ""), row.get("when", {})
    if not isinstance(rule_id, str) or not rule_id:
        errors.append(f"{where}.id: must be a non-empty text")
        rule_id = where
    if not isinstance(when, dict):
        errors.append(f"{where}.when: must be an object")
        when = {}
    resolved = {name: _condition(name, value, f"{where}.when.{name}", figures, errors)
                for name, value in when.items()}
    sets = row.get("sets", [])
    if part == "flags" and (not isinstance(sets, list) or not set(sets) <= set(FLAGS)):
        errors.append(f"{where}.sets: must be a list of {', '.join(FLAGS)}")
        sets = []
    to = row.get("to") if part == "routes" else None
    if part == "routes":
        _check_target(to, f"{where}.to", errors)
    return Rule(rule_id, str(why), resolved, tuple(sets), to if isinstance(to, dict) else None)


def _condition(name: str, value: Any, where: str, figures: RegionalFigures,
               errors: list[str]) -> Any:
    if name in NUMBER_CONDITIONS:
        if isinstance(value, str):
            if not hasattr(figures, value):
                errors.append(f"{where}: no regional figure {value!r}")
                return 0
            value = getattr(figures, value)
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value < 0:
            errors.append(f"{where}: must be a number of zero or more, or a regional figure's name")
            return 0
        return Decimal(value) if name.startswith("amount") else value
    if name in CHOICE_CONDITIONS:
        choices = CHOICE_CONDITIONS[name]
        if not isinstance(value, list) or not value or not set(value) <= set(choices):
            errors.append(f"{where}: must be a non-empty list of {', '.join(choices)}")
            return []
        return tuple(value)
    if name in BOOLEAN_CONDITIONS:
        if not isinstance(value, bool):
            errors.append(f"{where}: must be true or false")
        return value
    errors.append(f"{where}: no such condition")
    return None


def _check_target(to: Any, where: str, errors: list[str]) -> None:
    if not isinstance(to, dict) or not to:
        errors.append(f"{where}: must say where the case goes")
        return
    if "agency" in to:
        if set(to) != {"agency"} or to["agency"] not in AGENCY_TARGETS:
            errors.append(f"{where}: an agency target is one of {', '.join(AGENCY_TARGETS)}, alone")
        return
    if "station" in to:
        if to != {"station": "chosen"}:
            errors.append(f"{where}: a station target is the worker's chosen one, alone")
        return
    errors += [f"{where}.{key}: no such target field" for key in sorted(set(to) - {"kinds", "industry", "order"})]
    kinds = to.get("kinds", list(STATION_KINDS))
    if not isinstance(kinds, list) or not kinds or not set(kinds) <= set(STATION_KINDS):
        errors.append(f"{where}.kinds: must be a non-empty list of {', '.join(STATION_KINDS)}")
    if to.get("industry", "claim") not in ("claim", "none"):
        errors.append(f"{where}.industry: must be claim (the claim's industry) or none (any industry)")
    if to.get("order", "directory") not in ("directory", "nearest"):
        errors.append(f"{where}.order: must be directory or nearest")


def load_rule_table(figures: RegionalFigures, text: str | None = None) -> RuleTable:
    """The packaged table (or ``text``), checked against the regional ``figures``."""
    if text is None:
        text = resources.files("intake").joinpath("rules/triage.json").read_text("utf-8")
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InvalidRuleTable(f"the triage rule table is not JSON: {exc}") from None
    return parse_rule_table(document, figures)
