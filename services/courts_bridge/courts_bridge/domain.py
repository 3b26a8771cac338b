"""A matter before a court, in plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from disputes_shared.agency_case import AgencyCase

# How a case that ends in court after compliance is counted, by the proceeding that ended it.
COMPLIANCE_OUTCOME = {
    "judicial_confirmation": "confirmed_and_paid",
    "litigation": "judgment_performed",
    "enforcement": "enforced",
}


@dataclass
class CourtMatter(AgencyCase):
    court_case_number: str | None = None  # the court's own number, e.g. (2026)川0107民初123号
    ruling: str | None = None
    amount_ruled: Decimal | None = None
    amount_recovered: Decimal | None = None
