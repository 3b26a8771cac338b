"""The courts bridge composed once: its statutory clocks and the adapter of the court's own
system (``COURT_SYSTEM``: simulated, or none)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.contract.agencies import Agency

from .court_system import court_system
from .handlers import CourtsBridge


def bootstrap(config: Mapping[str, Any]) -> CourtsBridge:
    return CourtsBridge(clocks=ClockKeeper(Agency.COURTS),
                        court=court_system(config.get("COURT_SYSTEM", "simulated")))
