"""An arbitration case and the final-award rule, in plain Python."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from disputes_shared.agency_case import AgencyCase, least_loaded

ARBITRATORS = tuple(f"arbitrator-{n:02d}" for n in range(1, 7))
# 劳动争议调解仲裁法 art. 47 (1): claims for wages, work-injury medical costs and compensation
# up to 12 months of the local minimum wage are final for the employer.
SMALL_CLAIM_TYPES = frozenset({"unpaid_wages", "work_injury", "termination_compensation"})
SMALL_CLAIM_MONTHS = 12


@dataclass
class ArbitrationCase(AgencyCase):
    arbitrator_id: str | None = None
    amount_awarded: Decimal | None = None
    final_for_employer: bool | None = None


def final_for_employer(claim_types: Iterable[str], amount: Decimal,
                       monthly_minimum_wage: Decimal) -> bool:
    """一裁终局: is the award final for the employer (the worker may still sue, art. 48)?"""
    return (set(claim_types) <= SMALL_CLAIM_TYPES
            and amount <= SMALL_CLAIM_MONTHS * monthly_minimum_wage)


def choose_arbitrator(active: Iterable[ArbitrationCase]) -> str:
    return least_loaded(ARBITRATORS, (case.arbitrator_id for case in active))
