"""Figures a region sets for itself (thresholds, subsidies): configuration, not code.

The packaged file holds Chengdu's figures; a deployment elsewhere points
``DISPUTES_REGIONAL_FIGURES_FILE`` at its own. The file is validated when a service starts, and
a bad one is refused with every fault named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .contract.vocabularies import SUBSIDY_DIFFICULTIES


class InvalidRegionalFigures(ValueError):
    pass


@dataclass(frozen=True)
class RegionalFigures:
    region: str
    large_amount_yuan: Decimal  # a claim this large is high-risk (涉稳)
    urgent_worker_count: int  # a group this large is urgent (涉众)
    repeat_employer_cases: int  # this many claims against one employer ...
    repeat_employer_window_days: int  # ... within this many days: urgent
    mediation_subsidy_yuan: dict[str, Decimal]  # per mediated case, by difficulty
    mediation_subsidy_without_agreement_share: Decimal  # share paid when no agreement came
    # Early warnings (预警, the analytics service):
    group_dispute_workers: int  # workers in claims against one employer or platform ...
    group_dispute_window_days: int  # ... within this many days: a group dispute forming
    repeat_arrears_window_days: int  # wage arrears against an employer again within this: repeat
    related_arbitration_cases: int  # this many arbitration cases against one employer ...
    related_cases_window_days: int  # ... within this many days: related cases (裁审衔接)
    warning_quiet_days: int  # a warning on the same subject is not raised again within this
    spike_sigmas: Decimal  # a week beyond its seasonal baseline by this many robust deviations ...
    spike_min_excess_cases: int  # ... and by at least this many cases is a spike
    spike_history_weeks: int  # weeks of history a series needs before spikes are looked for
    spring_festival_weeks_before: int  # 春节前: the wage-arrears season before the festival


def parse_regional_figures(document: Any, source: str) -> RegionalFigures:
    errors: list[str] = []
    if not isinstance(document, dict):
        raise InvalidRegionalFigures(f"{source}: must be a JSON object")

    def yuan(value: Any, name: str) -> Decimal:
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = Decimal(-1)
        if isinstance(value, bool) or not amount.is_finite() or amount < 0:
            errors.append(f"{name}: must be a yuan amount of zero or more, not {value!r}")
        return amount

    def count(name: str, minimum: int = 1) -> int:
        value = document.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            errors.append(f"{name}: must be a whole number of at least {minimum}, not {value!r}")
            return minimum
        return value

    known = set(RegionalFigures.__dataclass_fields__)
    errors += [f"{name}: not a known figure" for name in sorted(set(document) - known)]
    errors += [f"{name}: missing" for name in sorted(known - set(document))]
    subsidies = document.get("mediation_subsidy_yuan")
    if not isinstance(subsidies, dict) or set(subsidies) != set(SUBSIDY_DIFFICULTIES):
        errors.append(f"mediation_subsidy_yuan: must give an amount for each of {', '.join(SUBSIDY_DIFFICULTIES)}")
        subsidies = {}
    share = yuan(document.get("mediation_subsidy_without_agreement_share"),
                 "mediation_subsidy_without_agreement_share")
    if share > 1:
        errors.append("mediation_subsidy_without_agreement_share: must be between 0 and 1")
    figures = RegionalFigures(
        region=str(document.get("region", "")),
        large_amount_yuan=yuan(document.get("large_amount_yuan"), "large_amount_yuan"),
        urgent_worker_count=count("urgent_worker_count", 2),
        repeat_employer_cases=count("repeat_employer_cases", 2),
        repeat_employer_window_days=count("repeat_employer_window_days"),
        mediation_subsidy_yuan={grade: yuan(amount, f"mediation_subsidy_yuan.{grade}")
                                for grade, amount in subsidies.items()},
        mediation_subsidy_without_agreement_share=share,
        group_dispute_workers=count("group_dispute_workers", 2),
        group_dispute_window_days=count("group_dispute_window_days"),
        repeat_arrears_window_days=count("repeat_arrears_window_days"),
        related_arbitration_cases=count("related_arbitration_cases", 2),
        related_cases_window_days=count("related_cases_window_days"),
        warning_quiet_days=count("warning_quiet_days"),
        spike_sigmas=yuan(document.get("spike_sigmas"), "spike_sigmas"),
        spike_min_excess_cases=count("spike_min_excess_cases"),
        # two years: a seasonal baseline needs two of its seasons
        spike_history_weeks=count("spike_history_weeks", 104),
        spring_festival_weeks_before=count("spring_festival_weeks_before", 0),
    )
    if errors:
        raise InvalidRegionalFigures(f"{source}: " + "; ".join(errors))
    return figures


@cache
def regional_figures(path: str | None = None) -> RegionalFigures:
    """The figures in ``path``, or the packaged ones."""
    if path:
        text, source = Path(path).read_text("utf-8"), path
    else:
        text = resources.files("disputes_shared").joinpath("reference/regional_figures.json").read_text("utf-8")
        source = "packaged regional_figures.json"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRegionalFigures(f"{source}: not JSON: {exc}") from None
    return parse_regional_figures(document, source)
