"""The read model: one row of facts per case, and the time each stage took, folded from the
lifecycle events (no personal data; the employer only as its ``employer_ref``, the worker only
as intake's keyed ``worker_ref``).

Events of a case can arrive in any order (they come from different agencies), so every fold
is written to give the same facts whichever comes first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.handoff import BOUNCED_AFTER_RETURNS
from disputes_shared.contract.payloads import WORK_ENDING_EVENTS


@dataclass
class CaseFacts:
    """What the figures need to know about one case."""

    case_id: str
    filed_at: datetime | None = None  # None until case.filed is seen
    channel: str | None = None
    industry: str | None = None
    relationship: str | None = None
    claim_types: list[str] = field(default_factory=list)
    district: str | None = None
    amount_claimed: str = "0"  # yuan, exact, as text
    worker_count: int = 0
    employer_ref: str | None = None
    worker_ref: str | None = None  # keyed by intake: matches a worker's cases, names no one
    platform: str | None = None
    mediation: str | None = None  # "agreement" or "failed" once mediation ended
    mediation_ended_at: datetime | None = None
    arbitration_at: datetime | None = None  # first handed to arbitration
    court_at: datetime | None = None  # first handed to a court
    returns: int = 0
    outcome: str | None = None
    closed_at: datetime | None = None
    amount_recovered: str = "0"
    days_open: int | None = None

    @property
    def bounced(self) -> bool:
        return self.returns >= BOUNCED_AFTER_RETURNS

    @property
    def wage_arrears(self) -> bool:
        return "unpaid_wages" in self.claim_types


@dataclass
class StageTime:
    """One stretch of a case's time, as the trail splits it: a handoff ``wait`` (from the
    request until the receiving agency answered) or ``work`` in an agency (from accepting the
    case until it handed it on, decided or closed it)."""

    event_id: str  # the event that reported it: a stretch is counted once
    case_id: str
    kind: str  # "wait" or "work"
    agency: str  # the agency waited for, or worked in
    from_agency: str | None  # who handed the case on (a wait); None for work
    answer: str | None  # "accepted" or "returned" (a wait); None for work
    seconds: float
    ended_at: datetime


def fold(facts: CaseFacts, event_type: str, payload: dict[str, Any], occurred_at: datetime) -> None:
    """Apply one lifecycle event to its case's facts."""
    if event_type == "case.filed":
        facts.filed_at = occurred_at
        facts.channel = payload["channel"]
        facts.industry = payload["industry"]
        facts.relationship = payload["relationship"]
        facts.claim_types = list(payload["claim_types"])
        facts.district = payload["district"]
        facts.amount_claimed = str(payload["amount_claimed"])
        facts.worker_count = int(payload["worker_count"])
        facts.employer_ref = payload.get("employer_ref")
        facts.worker_ref = payload.get("worker_ref")
        facts.platform = payload.get("platform")
    elif event_type in ("mediation.agreement_reached", "mediation.failed"):
        facts.mediation = "agreement" if event_type == "mediation.agreement_reached" else "failed"
        facts.mediation_ended_at = occurred_at
    elif event_type == "handoff.requested":
        if payload["to_agency"] == Agency.ARBITRATION:
            facts.arbitration_at = _earliest(facts.arbitration_at, occurred_at)
        elif payload["to_agency"] == Agency.COURTS:
            facts.court_at = _earliest(facts.court_at, occurred_at)
    elif event_type == "handoff.returned":
        facts.returns += 1
    elif event_type == "case.closed":
        facts.outcome = payload["outcome"]
        facts.closed_at = occurred_at
        facts.amount_recovered = str(payload["amount_recovered"])
        facts.days_open = int(payload["days_open"])


def stage_time(event_id: str, case_id: str, event_type: str, source_agency: str,
               payload: dict[str, Any], occurred_at: datetime) -> StageTime | None:
    """The stretch of time an event reports, if it reports one."""
    if event_type in ("handoff.accepted", "handoff.returned"):
        return StageTime(event_id, case_id, "wait", payload["to_agency"], payload["from_agency"],
                         event_type.split(".")[1], float(payload["wait_seconds"]), occurred_at)
    if event_type in WORK_ENDING_EVENTS and payload.get("worked_seconds") is not None:
        return StageTime(event_id, case_id, "work", source_agency, None, None,
                         float(payload["worked_seconds"]), occurred_at)
    return None


def yuan(text: str) -> Decimal:
    return Decimal(text)


def _earliest(known: datetime | None, at: datetime) -> datetime:
    return at if known is None or at < known else known
