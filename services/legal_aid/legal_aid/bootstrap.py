"""Legal aid composed once: its statutory clocks on the official working-day calendar."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.contract.agencies import Agency

from .handlers import LegalAid


def bootstrap(config: Mapping[str, Any]) -> LegalAid:
    return LegalAid(clocks=ClockKeeper(Agency.LEGAL_AID))
