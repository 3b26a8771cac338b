"""Early warnings across cases (预警): the rules, in plain Python over the case facts.

Each rule is given the facts it needs and the regional figures, and answers the warnings that
follow, each with the figures it fired on. Whether one was raised lately on the same subject
(the quiet period) is the service layer's business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from disputes_shared.contract.agencies import Agency
from disputes_shared.regional import RegionalFigures

from .domain import CaseFacts

MAX_CASES_NAMED = 200  # as many as warning.raised carries, the newest


@dataclass(frozen=True)
class Warning:
    rule: str
    subject: str
    case_ids: list[str]
    figures: dict[str, float]
    explanation: str
    agencies: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, object]:
        return {"rule": self.rule, "subject": self.subject, "case_ids": self.case_ids[-MAX_CASES_NAMED:],
                "figures": self.figures, "explanation": self.explanation, "agencies": self.agencies}


def _filed_within(cases: Iterable[CaseFacts], end: datetime, days: int) -> list[CaseFacts]:
    start = end - timedelta(days=days)
    return sorted((c for c in cases if c.filed_at is not None and start <= c.filed_at <= end),
                  key=lambda c: (c.filed_at, c.case_id))


def group_dispute(subject: str, cases: Iterable[CaseFacts], now: datetime,
                  figures: RegionalFigures) -> Warning | None:
    """群体性纠纷苗头: claims against one employer or platform (``subject``) from several workers
    within the window, while no single claim is collective yet (that one triage already
    treats as urgent)."""
    recent = _filed_within(cases, now, figures.group_dispute_window_days)
    individual = [c for c in recent if c.worker_count < figures.urgent_worker_count]
    workers = sum(c.worker_count for c in individual)
    if len(individual) < 2 or workers < figures.group_dispute_workers or len(individual) < len(recent):
        return None
    return Warning("group_dispute", subject, [c.case_id for c in individual],
                   {"workers": workers, "claims": len(individual),
                    "threshold_workers": figures.group_dispute_workers,
                    "window_days": figures.group_dispute_window_days,
                    "collective_worker_count": figures.urgent_worker_count},
                   f"{workers} workers in {len(individual)} separate claims against {subject} within "
                   f"{figures.group_dispute_window_days} days (warning at {figures.group_dispute_workers}); "
                   f"no claim is collective ({figures.urgent_worker_count} workers) yet")


def repeat_employer(employer_ref: str, cases: Iterable[CaseFacts], now: datetime,
                    figures: RegionalFigures) -> Warning | None:
    """重复欠薪: wage arrears claimed against the employer again, the earlier claim filed more
    than a group's window before (claims within it are one wave, the group rule's business)."""
    arrears = [c for c in _filed_within(cases, now, figures.repeat_arrears_window_days) if c.wage_arrears]
    if not arrears:
        return None
    latest = arrears[-1]
    assert latest.filed_at is not None
    wave_start = latest.filed_at - timedelta(days=figures.group_dispute_window_days)
    earlier = [c for c in arrears if c.filed_at is not None and c.filed_at < wave_start]
    if not earlier:
        return None
    assert earlier[0].filed_at is not None
    gap = (latest.filed_at - earlier[-1].filed_at).days if earlier[-1].filed_at else 0
    return Warning("repeat_employer", employer_ref, [c.case_id for c in arrears],
                   {"arrears_claims": len(arrears), "earlier_claims": len(earlier),
                    "days_since_last": gap, "window_days": figures.repeat_arrears_window_days},
                   f"wage arrears claimed against {employer_ref} again: {len(earlier)} earlier claim(s) "
                   f"within {figures.repeat_arrears_window_days} days, the last {gap} days before")


def related_cases(employer_ref: str, cases: Iterable[CaseFacts], now: datetime,
                  figures: RegionalFigures) -> Warning | None:
    """裁审衔接: several arbitration cases against one employer within the window, or one in
    arbitration while another is in court; flagged to arbitration and the courts both."""
    start = now - timedelta(days=figures.related_cases_window_days)
    cases = list(cases)
    in_arbitration = sorted((c for c in cases if c.arbitration_at and start <= c.arbitration_at <= now),
                            key=lambda c: (c.arbitration_at, c.case_id))
    in_court = sorted((c for c in cases if c.court_at and start <= c.court_at <= now),
                      key=lambda c: (c.court_at, c.case_id))
    arbitration_only = [c for c in in_arbitration if c not in in_court]
    several = len(in_arbitration) >= figures.related_arbitration_cases
    both = bool(in_court) and bool(arbitration_only)
    if not (several or both):
        return None
    named = sorted({c.case_id for c in (*in_arbitration, *in_court)})
    agencies = [Agency.ARBITRATION.value, Agency.COURTS.value] if in_court else [Agency.ARBITRATION.value]
    return Warning("related_cases", employer_ref, named,
                   {"arbitration_cases": len(in_arbitration), "court_cases": len(in_court),
                    "threshold_arbitration_cases": figures.related_arbitration_cases,
                    "window_days": figures.related_cases_window_days},
                   f"{len(in_arbitration)} case(s) against {employer_ref} in arbitration and "
                   f"{len(in_court)} in court within {figures.related_cases_window_days} days",
                   agencies)


def same_worker_related(worker_ref: str, employer_ref: str, cases: Iterable[CaseFacts], now: datetime,
                        figures: RegionalFigures) -> Warning | None:
    """裁审衔接: the same worker against the same employer in two cases, one in court while
    another is in arbitration (or both in court), handed there within the window; flagged to
    arbitration and the courts both, so one can learn of the other's case before deciding."""
    start = now - timedelta(days=figures.related_cases_window_days)
    in_court = sorted((c for c in cases if c.court_at and start <= c.court_at <= now),
                      key=lambda c: (c.court_at, c.case_id))
    in_arbitration = sorted((c for c in cases if c.arbitration_at and not c.court_at
                             and start <= c.arbitration_at <= now),
                            key=lambda c: (c.arbitration_at, c.case_id))
    if not in_court or len(in_court) + len(in_arbitration) < 2:
        return None
    named = [c.case_id for c in (*in_court, *in_arbitration)]
    where = [f"{c.case_id} in court" for c in in_court] + [f"{c.case_id} in arbitration" for c in in_arbitration]
    return Warning("related_cases", f"{worker_ref}/{employer_ref}", named,
                   {"court_cases": len(in_court), "arbitration_cases": len(in_arbitration),
                    "window_days": figures.related_cases_window_days},
                   f"the same worker ({worker_ref}) against the same employer ({employer_ref}): "
                   f"{', '.join(where)}, within {figures.related_cases_window_days} days",
                   [Agency.ARBITRATION.value, Agency.COURTS.value])
