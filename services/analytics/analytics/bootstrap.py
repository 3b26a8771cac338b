"""The analytics service composed once: the region's warning thresholds and windows (a bad
figures file stops the start with the fault named)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from disputes_shared.regional import regional_figures

from .handlers import Analytics


def bootstrap(config: Mapping[str, Any]) -> Analytics:
    return Analytics(regional_figures(config.get("REGIONAL_FIGURES_FILE") or None))
