"""A legal-aid application and the rules it is decided by, in plain Python (法律援助法).

- Art. 42: some applicants are exempt from the check of economic hardship — among them migrant
  workers (进城务工人员) claiming their pay or compensation for a work injury, the specific groups
  without a fixed income (minors, the elderly, the disabled) and recipients of social assistance.
- Art. 44: aid may start before the review is done when a statutory time limit runs out in less
  than seven days and an arbitration application or suit must be made at once.
- Green channel (绿色通道): applications that must not wait — exempt migrant workers, group or
  urgent disputes, and those whose limitation is about to run out — are accepted and assigned
  first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from disputes_shared.agency_case import AgencyCase, least_loaded
from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import AidState

LAWYERS = tuple(f"lawyer-{n:02d}" for n in range(1, 9))
# Art. 42 (3): migrant workers claiming labor remuneration or work-injury compensation.
EXEMPT_CLAIMS = frozenset({"unpaid_wages", "work_injury"})
# Art. 42 (1), (2): proof the applicant belongs to one of these groups also exempts.
EXEMPT_GROUPS = ("specific_group", "assistance_recipient")
PROVISIONAL_AID_DAYS = 7  # art. 44 (1): a time limit running out in less than seven days
# The proceedings a lawyer follows the case into (representation goes with the case).
FOLLOWED = frozenset({HandoffPurpose.ARBITRATION, HandoffPurpose.LITIGATION,
                      HandoffPurpose.ENFORCEMENT, HandoffPurpose.JUDICIAL_CONFIRMATION})
# Applications waiting for a decision: the staff's work list.
AWAITING_DECISION = (AidState.REQUESTED, AidState.UNDER_REVIEW)

# Names the least-loaded lawyer when one must be assigned (asked only then).
LawyerChooser = Callable[[], str]


@dataclass(frozen=True)
class AidDecision:
    """Aid granted (with the lawyer who acts) or refused (with the reason)."""

    granted: bool
    means_test: str
    lawyer_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ProvisionalAid:
    """Art. 44 (1): a lawyer acts before the review is done."""

    lawyer_id: str
    limitation_ends_on: Any  # as the dossier gives it


@dataclass
class AidApplication(AgencyCase):
    state_enum: ClassVar[type[StrEnum]] = AidState

    lawyer_id: str | None = None
    means_test: str | None = None  # exempt / passed / failed
    representing: bool = False  # the lawyer acts for the worker until the case closes
    green_channel: list[str] = field(default_factory=list)  # why it goes first (empty: it does not)
    provisional: bool = False  # aid started before review (art. 44)
    forums: list[str] = field(default_factory=list)  # where the lawyer followed the case

    @property
    def under_review(self) -> bool:
        return self.is_in(AidState.UNDER_REVIEW)

    def start_provisional_aid(self, today: date, next_lawyer: LawyerChooser) -> ProvisionalAid | None:
        """Art. 44 (1): an application under review whose limitation runs out within days gets
        a lawyer now, the review after. None when it does not."""
        if not (self.under_review and needs_provisional_aid(self.dossier, today)):
            return None
        self.lawyer_id = next_lawyer()
        self.representing = self.provisional = True
        return ProvisionalAid(self.lawyer_id, self.dossier["limitation"]["ends_on"])

    def decide(self, hardship_shown: bool, refusal_reason: str | None, exempt_group: str | None,
               next_lawyer: LawyerChooser) -> AidDecision:
        """Grant aid (keeping the lawyer already acting, or assigning one) when the means test
        is passed or exempted and no refusal reason is given; refuse it otherwise (a
        provisional representation then ends)."""
        tested = means_test(self.dossier, hardship_shown, exempt_group)
        if tested == "failed" or refusal_reason:
            self.move("legal_aid.refused")
            self.means_test, self.representing = tested, False
            return AidDecision(False, tested, reason=refusal_reason or "economic hardship not shown")
        self.move("legal_aid.granted")
        self.means_test = tested
        self.lawyer_id = self.lawyer_id or next_lawyer()
        self.representing = True
        return AidDecision(True, self.means_test, lawyer_id=self.lawyer_id)

    def follow(self, to_agency: str, purpose: HandoffPurpose) -> bool:
        """The case moves on to arbitration or a court: an acting lawyer goes with it. Whether
        the lawyer did."""
        if not self.representing or purpose not in FOLLOWED:
            return False
        self.forums = [*self.forums, f"{to_agency}:{purpose}"]
        return True

    def end_representation(self, case_outcome: str) -> None:
        """Representation ends with the case; the lawyer's load falls."""
        self.history = {**self.history, "case_outcome": case_outcome}
        self.representing = False


def means_test(dossier: dict[str, Any], hardship_shown: bool, exempt_group: str | None = None) -> str:
    if exempt_group is not None:
        if exempt_group not in EXEMPT_GROUPS:
            raise ValueError(f"no exemption {exempt_group!r}; art. 42 exempts {', '.join(EXEMPT_GROUPS)}")
        return "exempt"
    if dossier.get("migrant_worker") and EXEMPT_CLAIMS & set(dossier.get("claim_types", ())):
        return "exempt"
    return "passed" if hardship_shown else "failed"


def limitation_days_left(dossier: dict[str, Any], today: date) -> int | None:
    """Days until the arbitration limitation runs out, when the filing gave its dates."""
    limitation = dossier.get("limitation") or {}
    if limitation.get("status") != "running" or not limitation.get("ends_on"):
        return None
    ends_on = limitation["ends_on"]
    ends = ends_on if isinstance(ends_on, date) else date.fromisoformat(str(ends_on))
    return (ends - today).days


def needs_provisional_aid(dossier: dict[str, Any], today: date) -> bool:
    """Art. 44 (1): fewer than seven days are left to apply for arbitration."""
    left = limitation_days_left(dossier, today)
    return left is not None and 0 <= left < PROVISIONAL_AID_DAYS


def green_channel_reasons(dossier: dict[str, Any], today: date) -> list[str]:
    reasons = []
    if dossier.get("migrant_worker") and EXEMPT_CLAIMS & set(dossier.get("claim_types", ())):
        reasons.append("migrant_worker_pay_or_injury")
    if dossier.get("urgent") or int(dossier.get("worker_count", 1)) >= 10:
        reasons.append("group_or_urgent")
    if needs_provisional_aid(dossier, today):
        reasons.append("limitation_running_out")
    return reasons


def first_in_line(applications: Iterable[AidApplication]) -> list[AidApplication]:
    """Green-channel applications first, then by when they arrived."""
    return sorted(applications, key=lambda a: (not a.green_channel, a.received_at))


def choose_lawyer(assigned: Iterable[str | None]) -> str:
    """The least-loaded lawyer; ``assigned``: the lawyer of each case being represented."""
    return least_loaded(LAWYERS, assigned)
