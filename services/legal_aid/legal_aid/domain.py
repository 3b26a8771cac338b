"""A legal-aid application and its decision, in plain Python."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from disputes_shared.agency_case import AgencyCase, least_loaded

LAWYERS = tuple(f"lawyer-{n:02d}" for n in range(1, 9))
# 法律援助法 art. 42: migrant workers claiming wages or work-injury compensation are exempt
# from the economic-hardship check.
EXEMPT_CLAIMS = frozenset({"unpaid_wages", "work_injury"})


@dataclass
class AidApplication(AgencyCase):
    lawyer_id: str | None = None
    means_test: str | None = None  # exempt / passed / failed
    representing: bool = False  # the lawyer acts for the worker until the case closes


def means_test(dossier: dict[str, Any], hardship_shown: bool) -> str:
    if dossier.get("migrant_worker") and EXEMPT_CLAIMS & set(dossier.get("claim_types", ())):
        return "exempt"
    return "passed" if hardship_shown else "failed"


def choose_lawyer(active: Iterable[AidApplication]) -> str:
    return least_loaded(LAWYERS, (application.lawyer_id for application in active))
