"""Intake composed once: the region's figures, the triage rule table checked against them,
whether the labor-inspection bureau's system takes referrals; a fault stops the start."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from disputes_shared.regional import regional_figures

from .handlers import Intake
from .triage import load_rule_table


def bootstrap(config: Mapping[str, Any]) -> Intake:
    figures = regional_figures(config.get("REGIONAL_FIGURES_FILE") or None)
    return Intake(figures=figures, rules=load_rule_table(figures),
                  inspection_referrals=config.get("LABOR_INSPECTION_REFERRALS") == "on")
