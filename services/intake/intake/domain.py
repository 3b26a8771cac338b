"""The claim and its triage, in plain Python.

Triage (分类分流) routes by the worker's choice first, then industry, group size and amount,
then the worker's district (the "15-minute service circle"), then the city's union centre.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from disputes_shared.contract.lifecycle import CaseState, next_case_state
from disputes_shared.contract.stations import Station

COLLECTIVE_WORKERS = 10  # 劳动争议调解仲裁法 art. 7: ten or more workers with a common claim
LARGE_AMOUNT = Decimal("500000")  # yuan; a claim this large is treated as high-risk (涉稳)


@dataclass
class Claim:
    case_id: str
    correlation_id: str
    received_at: datetime
    channel: str
    worker: dict[str, Any]  # personal data: name, id_number, phone; stays in intake's database
    migrant_worker: bool
    worker_count: int
    employer: dict[str, Any]
    industry: str
    relationship: str
    claim_types: list[str]
    amount_claimed: Decimal
    district: str
    legal_aid_requested: bool
    chosen_station_id: str | None = None
    description: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    state: CaseState = CaseState.FILED
    station_id: str | None = None
    urgent: bool = False
    collective: bool = False
    rules_fired: list[str] = field(default_factory=list)
    tried_stations: list[str] = field(default_factory=list)
    outcome: str | None = None
    closed_at: datetime | None = None

    def move(self, move: str) -> None:
        self.state = next_case_state(self.state, move)

    def dossier(self) -> dict[str, Any]:
        """What an agency the case is handed to needs; the only place personal data leaves."""
        return {
            "worker": dict(self.worker), "migrant_worker": self.migrant_worker,
            "worker_count": self.worker_count, "employer": dict(self.employer),
            "industry": self.industry, "relationship": self.relationship,
            "claim_types": list(self.claim_types), "amount_claimed": self.amount_claimed,
            "district": self.district, "filed_at": self.received_at, "history": {},
        }


@dataclass(frozen=True)
class RoutingDecision:
    station: Station | None  # None: no mediation station left, go to arbitration
    rules_fired: tuple[str, ...]
    urgent: bool
    collective: bool


def triage(claim: Claim, stations: Iterable[Station]) -> RoutingDecision:
    """Choose the mediation station for a claim, skipping stations that already returned it."""
    available = [s for s in stations if s.station_id not in claim.tried_stations]
    collective = claim.worker_count >= COLLECTIVE_WORKERS
    urgent = collective or claim.amount_claimed >= LARGE_AMOUNT
    fired: list[str] = []
    if collective:
        fired.append("collective_dispute")
    if claim.amount_claimed >= LARGE_AMOUNT:
        fired.append("large_amount")

    def pick(rule: str, candidates: list[Station]) -> RoutingDecision | None:
        if not candidates:
            return None
        return RoutingDecision(candidates[0], tuple(fired + [rule]), urgent, collective)

    by_id = {s.station_id: s for s in available}
    decision = (
        pick("worker_choice", [by_id[claim.chosen_station_id]] if claim.chosen_station_id in by_id else [])
        # Group and high-risk disputes go to the pre-arbitration room, where an arbitrator,
        # a mediator and a lawyer can sit together (特事急诊).
        or (pick("urgent_pre_arbitration", [s for s in available if s.kind == "pre_arbitration"])
            if urgent else None)
        or pick(f"industry:{claim.industry}", [s for s in available if claim.industry in s.industries])
        or pick(f"district:{claim.district}",
                [s for s in available if s.kind == "people" and s.district == claim.district])
        or pick("city_union", [s for s in available if s.kind == "union" and not s.industries])
        or pick("pre_arbitration", [s for s in available if s.kind == "pre_arbitration"])
    )
    return decision or RoutingDecision(None, tuple(fired + ["no_station_left"]), urgent, collective)


def refers_to_labor_inspection(claim: Claim) -> bool:
    """Wage arrears (欠薪) also go to labor inspection (劳动保障监察), which can order the employer
    to pay (责令支付) beside whatever mediation or arbitration decides on the claim."""
    return "unpaid_wages" in claim.claim_types
