"""A mediation case at a station, the station's mediators, and the rules a station works by, in
plain Python: who mediates (workload and specialty), whether the station has room, how
difficult a case was (以案定补: mediators are paid per case by difficulty), and what an unpaid
agreement leaves open to the worker."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from disputes_shared.agency_case import AgencyCase, least_loaded
from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.contract.vocabularies import SESSION_MODES
from disputes_shared.regional import RegionalFigures

# A station's caseload: accepted and not yet ended (an agreement awaiting payment still counts).
ACTIVE_STATES = (CaseState.IN_MEDIATION, CaseState.AGREEMENT_REACHED)
# 劳动争议调解仲裁法 art. 16: a payment order may be sought on an unpaid agreement for these.
PAYMENT_ORDER_CLAIMS = frozenset({"unpaid_wages", "work_injury", "termination_compensation"})
# Where the case goes for each remedy of an unpaid agreement.
REMEDY_PURPOSES = {"judicial_confirmation": HandoffPurpose.JUDICIAL_CONFIRMATION,
                   "arbitration": HandoffPurpose.ARBITRATION,
                   "payment_order": HandoffPurpose.PAYMENT_ORDER}


class MediationRefused(ValueError):
    """A staff command the case's situation does not allow; nothing was changed."""


@dataclass(frozen=True)
class Session:
    """One mediation session held (in person or by video)."""

    number: int
    mode: str
    held_at: datetime
    mediator_id: str | None
    note: str | None

    def record(self) -> dict[str, Any]:
        """As the case keeps it (a JSON document)."""
        return {"number": self.number, "mode": self.mode, "held_at": self.held_at.isoformat(),
                "mediator_id": self.mediator_id, "note": self.note}


@dataclass(frozen=True)
class Agreement:
    """调解协议: the employer pays ``amount`` by ``pay_by``; in effect from ``effective_on``."""

    amount: Decimal
    pay_by: date
    effective_on: date


@dataclass(frozen=True)
class Referral:
    """Where the case goes from the station, and why (the handoff's reason)."""

    purpose: HandoffPurpose
    reason: str


@dataclass(frozen=True)
class Failure:
    """Mediation ended without agreement; ``onward``: where the case goes next, if anywhere."""

    reason: str
    onward: Referral | None


@dataclass(frozen=True)
class SubsidyAssessment:
    """以案定补: what the mediator is paid for this case, and how the case ended."""

    grade: str
    amount: Decimal
    ended: str  # agreement / failed / withdrawn


@dataclass
class MediationCase(AgencyCase):
    station_id: str | None = None
    mediator_id: str | None = None
    amount_agreed: Decimal | None = None
    pay_by: date | None = None
    amount_paid: Decimal | None = None
    sessions: list[dict[str, Any]] = field(default_factory=list)
    arbitration_offered: bool = False  # art. 14: no agreement in 15 days, arbitration offered
    difficulty: str | None = None
    subsidy: Decimal | None = None

    @property
    def labor_dispute(self) -> bool:
        """A civil relationship (民事关系) is mediated, but is not for labor arbitration."""
        return self.dossier.get("relationship") != "civil"

    @property
    def mediating(self) -> bool:
        return self.is_in(CaseState.IN_MEDIATION)

    @property
    def awaiting_payment(self) -> bool:
        """An agreement was reached and the employer has not yet paid."""
        return self.is_in(CaseState.AGREEMENT_REACHED)

    def erase(self) -> None:
        super().erase()
        self.sessions = [{**session, "note": None} for session in self.sessions]  # typed by the mediator

    def hold_session(self, mode: str, note: str | None, at: datetime) -> Session:
        if not self.mediating:
            raise MediationRefused(f"case {self.case_id} is {self.state}, not in mediation")
        if mode not in SESSION_MODES:
            raise MediationRefused(f"a session is held {' or '.join(SESSION_MODES)}, not {mode!r}")
        session = Session(len(self.sessions) + 1, mode, at, self.mediator_id, note)
        self.sessions = [*self.sessions, session.record()]
        return session

    def reach_agreement(self, amount: Decimal, pay_by: date, today: date) -> Agreement:
        if pay_by < today:
            raise MediationRefused(f"the agreed payment date {pay_by} has already passed")
        self.move("mediation.agreement_reached")
        self.amount_agreed, self.pay_by = amount, pay_by
        # The court checks art. 33's 30 days against the day the agreement took effect.
        self.history = {**self.history, "mediation_agreement": str(amount),
                        "agreement_effective_on": today.isoformat()}
        return Agreement(amount, pay_by, today)

    def record_payment(self, amount: Decimal) -> None:
        """The agreement was performed (the case then closes)."""
        self.amount_paid = amount

    def fail(self, reason: str, refer_onward: bool) -> Failure:
        """No agreement: the worker may apply for arbitration (劳动争议调解仲裁法 art. 14); a
        civil dispute goes to court instead, labor arbitration being only for labor disputes
        (art. 2)."""
        self.move("mediation.failed")
        self.history = {**self.history, "mediation_failed": reason}
        if not refer_onward:
            return Failure(reason, None)
        if self.labor_dispute:
            return Failure(reason, Referral(HandoffPurpose.ARBITRATION, f"mediation failed: {reason}"))
        return Failure(reason, Referral(HandoffPurpose.LITIGATION, f"mediation failed: {reason}; "
                                        f"a civil dispute, not for labor arbitration"))

    def offer_arbitration(self) -> bool:
        """Art. 14's 15 days ran out without agreement: arbitration is offered to the worker,
        if the case is still being mediated. Whether it was."""
        if not self.mediating:
            return False
        self.arbitration_offered = True
        return True

    def answer_arbitration_offer(self, worker_agrees: bool) -> bool:
        """The worker takes the offer (mediation then fails) or mediation goes on; whether the
        worker took it."""
        if not self.arbitration_offered or not self.mediating:
            raise MediationRefused(f"no offer of arbitration is open on case {self.case_id}")
        self.arbitration_offered = False
        return worker_agrees

    def remedies_open(self, confirmation_window_open: bool) -> list[str]:
        """What the worker may do about an agreement awaiting payment (refused on any other
        case)."""
        if not self.awaiting_payment:
            raise MediationRefused(f"case {self.case_id} is {self.state}, not an agreement "
                                   f"awaiting payment")
        return remedies_for_unpaid_agreement(self, confirmation_window_open)

    def pursue_unpaid_agreement(self, remedy: str, confirmation_window_open: bool) -> Referral:
        """人民调解法 art. 33 (judicial confirmation within its 30 days), 劳动争议调解仲裁法
        art. 15 (arbitration) or art. 16 (a payment order)."""
        open_remedies = self.remedies_open(confirmation_window_open)
        if remedy not in open_remedies:
            raise MediationRefused(f"{remedy} is not open to case {self.case_id}; open: "
                                   f"{', '.join(open_remedies) or 'none'}")
        return Referral(REMEDY_PURPOSES[remedy],
                        f"agreement of {self.amount_agreed} unpaid by {self.pay_by}")

    def assess_subsidy(self, ended: str, figures: RegionalFigures) -> SubsidyAssessment:
        """以案定补: the mediator's subsidy for this case, by its difficulty; ``ended``:
        agreement, failed or withdrawn."""
        self.difficulty = difficulty(self)
        self.subsidy = subsidy(self.difficulty, ended == "agreement", figures)
        return SubsidyAssessment(self.difficulty, self.subsidy, ended)


@dataclass(frozen=True)
class Mediator:
    mediator_id: str
    specialties: tuple[str, ...]  # claim types this mediator handles best; none: a generalist


@dataclass(frozen=True)
class Roster:
    """Each station's mediators on duty."""

    stations: Mapping[str, tuple[Mediator, ...]]

    def of_station(self, station_id: str) -> tuple[Mediator, ...]:
        try:
            return self.stations[station_id]
        except KeyError:
            raise KeyError(f"no mediators on the roster of station {station_id!r}") from None


def choose_mediator(mediators: Iterable[Mediator], claim_types: Iterable[str],
                    assigned: Iterable[str | None]) -> str:
    """The least-loaded mediator among those whose specialty covers one of the claim types;
    the least-loaded of all when no one's does (ties: roster order). ``assigned``: the
    mediator of each active case."""
    members = list(mediators)
    wanted = set(claim_types)
    specialists = [m for m in members if wanted & set(m.specialties)]
    return least_loaded([m.mediator_id for m in specialists or members],
                        assigned)


def at_capacity(capacity: int, active_cases: int) -> bool:
    return active_cases >= capacity


def difficulty(case: MediationCase) -> str:
    """The grade a case is paid by (以案定补): group or urgent cases are major; work injury,
    relationship recognition, several claim types or three sessions make a case complex; a
    second session or a platform worker's uncertain relationship make it ordinary."""
    dossier = case.dossier
    claim_types = set(dossier.get("claim_types", ()))
    sessions = len(case.sessions)
    if dossier.get("urgent") or int(dossier.get("worker_count", 1)) >= 10:
        return "major"
    if claim_types & {"work_injury", "relationship_recognition"} or len(claim_types) > 1 or sessions >= 3:
        return "complex"
    if sessions == 2 or dossier.get("relationship") in ("incomplete_employment", "civil"):
        return "ordinary"
    return "simple"


def subsidy(grade: str, agreed: bool, figures: RegionalFigures) -> Decimal:
    """The mediator's subsidy for one case: the region's amount for its grade, a share of it
    when the case ended without agreement (failed or withdrawn)."""
    amount = figures.mediation_subsidy_yuan[grade]
    if not agreed:
        amount = amount * figures.mediation_subsidy_without_agreement_share
    return amount.quantize(Decimal("0.01"))


def remedies_for_unpaid_agreement(case: MediationCase, confirmation_window_open: bool) -> list[str]:
    """What the worker may do about an agreement the employer did not perform: judicial
    confirmation while its 30 days run (人民调解法 art. 33), arbitration on the dispute (劳动争议
    调解仲裁法 art. 15), a payment order for wages, injury costs or compensation (art. 16)."""
    remedies = ["judicial_confirmation"] if confirmation_window_open else []
    if case.labor_dispute:
        remedies.append("arbitration")
        if PAYMENT_ORDER_CLAIMS & set(case.dossier.get("claim_types", ())):
            remedies.append("payment_order")
    return remedies
