"""Arbitration composed once: its statutory clocks on the official working-day calendar and the
local monthly minimum wage (``MONTHLY_MINIMUM_WAGE``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.strict import money

from .handlers import Arbitration


def bootstrap(config: Mapping[str, Any]) -> Arbitration:
    return Arbitration(clocks=ClockKeeper(Agency.ARBITRATION),
                       monthly_minimum_wage=money(config.get("MONTHLY_MINIMUM_WAGE", "2100")))
