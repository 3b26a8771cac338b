"""Mediation composed once: the region's figures (subsidies), the mediator roster, the statutory
calendar; a fault in any of them stops the start with the fault named."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from disputes_shared.clocks.keeper import ClockKeeper
from disputes_shared.contract.agencies import Agency
from disputes_shared.regional import regional_figures

from .handlers import Mediation
from .reference import load_roster


def bootstrap(config: Mapping[str, Any]) -> Mediation:
    return Mediation(clocks=ClockKeeper(Agency.MEDIATION),
                     figures=regional_figures(config.get("REGIONAL_FIGURES_FILE") or None),
                     roster=load_roster())
