"""A mediation case at a station, and how a mediator is chosen, in plain Python."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from disputes_shared.agency_case import AgencyCase, least_loaded

MEDIATORS_PER_STATION = 3
ACTIVE_STATES = ("in_mediation", "agreement_reached")


@dataclass
class MediationCase(AgencyCase):
    station_id: str | None = None
    mediator_id: str | None = None
    amount_agreed: Decimal | None = None
    pay_by: date | None = None
    amount_paid: Decimal | None = None


def station_mediators(station_id: str) -> list[str]:
    return [f"{station_id}-m{n}" for n in range(1, MEDIATORS_PER_STATION + 1)]


def choose_mediator(station_id: str, active_cases: Iterable[MediationCase]) -> str:
    """The station's mediator with the fewest active cases (ties: the first in the roster)."""
    return least_loaded(station_mediators(station_id), (case.mediator_id for case in active_cases))
