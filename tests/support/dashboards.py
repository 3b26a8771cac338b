"""The Grafana dashboards as the tests read them: every PromQL expression of every panel, with
Grafana's variables replaced by what a query over the whole time range would use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "deploy" / "grafana" / "dashboards"
PROMETHEUS = REPO / "deploy" / "prometheus"


def dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # panels inside a collapsed row


def expressions() -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expression) for every query of every panel."""
    return [(name, panel["title"], target["expr"])
            for name, dashboard in dashboards().items()
            for panel in panels(dashboard) for target in panel.get("targets", [])]


def concrete(expr: str, range_: str, rate_interval: str) -> str:
    """The expression as Grafana would send it with every option of every variable chosen."""
    expr = expr.replace("$__range", range_).replace("$__rate_interval", rate_interval)
    expr = re.sub(r"\$\{?(from_agency|to_agency|agency)\}?", ".*", expr)
    expr = re.sub(r"\$\{?job\}?", "disputes", expr)  # the scrape job of the services
    if "$" in expr:
        raise ValueError(f"a variable the tests do not know is left in {expr!r}")
    return expr
