"""A mediation case at a station, the station's mediators, and the rules a station works by, in
plain Python: who mediates (workload and specialty), whether the station has room, how
difficult a case was (以案定补: mediators are paid per case by difficulty), and what an unpaid
agreement leaves open to the worker."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from disputes_shared.agency_case import AgencyCase, least_loaded
from disputes_shared.regional import RegionalFigures

# A station's caseload: accepted and not yet ended (an agreement awaiting payment still counts).
ACTIVE_STATES = ("in_mediation", "agreement_reached")
# 劳动争议调解仲裁法 art. 16: a payment order may be sought on an unpaid agreement for these.
PAYMENT_ORDER_CLAIMS = frozenset({"unpaid_wages", "work_injury", "termination_compensation"})


@dataclass
class MediationCase(AgencyCase):
    station_id: str | None = None
    mediator_id: str | None = None
    amount_agreed: Decimal | None = None
    pay_by: date | None = None
    amount_paid: Decimal | None = None
    sessions: list[dict[str, Any]] = field(default_factory=list)
    arbitration_offered: bool = False  # art. 14: no agreement in 15 days, arbitration offered
    difficulty: str | None = None
    subsidy: Decimal | None = None

    @property
    def labor_dispute(self) -> bool:
        """A civil relationship (民事关系) is mediated, but is not for labor arbitration."""
        return self.dossier.get("relationship") != "civil"


@dataclass(frozen=True)
class Mediator:
    mediator_id: str
    specialties: tuple[str, ...]  # claim types this mediator handles best; none: a generalist


@cache
def roster() -> dict[str, tuple[Mediator, ...]]:
    """Each station's mediators on duty (reference data, ``reference/mediators.json``)."""
    text = resources.files("mediation").joinpath("reference/mediators.json").read_text("utf-8")
    return {station: tuple(Mediator(m["mediator_id"], tuple(m["specialties"])) for m in members)
            for station, members in json.loads(text).items()}


def station_mediators(station_id: str) -> tuple[Mediator, ...]:
    try:
        return roster()[station_id]
    except KeyError:
        raise KeyError(f"no mediators on the roster of station {station_id!r}") from None


def choose_mediator(mediators: Iterable[Mediator], claim_types: Iterable[str],
                    assigned: Iterable[str | None]) -> str:
    """The least-loaded mediator among those whose specialty covers one of the claim types;
    the least-loaded of all when no one's does (ties: roster order). ``assigned``: the
    mediator of each active case."""
    members = list(mediators)
    wanted = set(claim_types)
    specialists = [m for m in members if wanted & set(m.specialties)]
    return least_loaded([m.mediator_id for m in specialists or members],
                        assigned)


def at_capacity(capacity: int, active_cases: int) -> bool:
    return active_cases >= capacity


def difficulty(case: MediationCase) -> str:
    """The grade a case is paid by (以案定补): group or urgent cases are major; work injury,
    relationship recognition, several claim types or three sessions make a case complex; a
    second session or a platform worker's uncertain relationship make it ordinary."""
    dossier = case.dossier
    claim_types = set(dossier.get("claim_types", ()))
    sessions = len(case.sessions)
    if dossier.get("urgent") or int(dossier.get("worker_count", 1)) >= 10:
        return "major"
    if claim_types & {"work_injury", "relationship_recognition"} or len(claim_types) > 1 or sessions >= 3:
        return "complex"
    if sessions == 2 or dossier.get("relationship") in ("incomplete_employment", "civil"):
        return "ordinary"
    return "simple"


def subsidy(grade: str, agreed: bool, figures: RegionalFigures) -> Decimal:
    """The mediator's subsidy for one case: the region's amount for its grade, a share of it
    when the case ended without agreement (failed or withdrawn)."""
    amount = figures.mediation_subsidy_yuan[grade]
    if not agreed:
        amount = amount * figures.mediation_subsidy_without_agreement_share
    return amount.quantize(Decimal("0.01"))


def remedies_for_unpaid_agreement(case: MediationCase, confirmation_window_open: bool) -> list[str]:
    """What the worker may do about an agreement the employer did not perform: judicial
    confirmation while its 30 days run (人民调解法 art. 33), arbitration on the dispute (劳动争议
    调解仲裁法 art. 15), a payment order for wages, injury costs or compensation (art. 16)."""
    remedies = ["judicial_confirmation"] if confirmation_window_open else []
    if case.labor_dispute:
        remedies.append("arbitration")
        if PAYMENT_ORDER_CLAIMS & set(case.dossier.get("claim_types", ())):
            remedies.append("payment_order")
    return remedies
