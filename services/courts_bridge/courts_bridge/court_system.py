"""The port to a court's own system, and the default adapter that simulates a court.

The bridge asks the court system, for each matter it holds, what the court has done since the
bridge last recorded a step (``CourtSystem.answer``); each answer is applied as the same
service-layer command a court clerk would enter by RPC, in its own transaction. The answer is
asked again inside that transaction, from the matter as stored, so an answer already recorded
(by a clerk, another worker or before a restart) is never applied twice.

A real court system is plugged in by adding an adapter to ``COURT_SYSTEMS`` and naming it in the
``COURT_SYSTEM`` setting. ``SimulatedCourt`` answers after delays typical of a basic court,
counted from the matter's last step on the injected clock, never by sleeping.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from .domain import CourtMatter


@dataclass(frozen=True)
class CourtAnswer:
    """A step the court took: the bridge command that records it, and its arguments."""

    command: str
    args: tuple[Any, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


class CourtSystem(Protocol):
    # No step of this court comes sooner than this after a matter's last one (or its receipt):
    # matters quieter than that are not asked.
    quiet_for: timedelta

    def answer(self, matter: CourtMatter, now: datetime) -> CourtAnswer | None:
        """The court's next step on ``matter`` not yet recorded by the bridge, if it took one."""


class NoCourtSystem:
    """Clerks enter every step by RPC: nothing is asked of a court system."""

    quiet_for = timedelta(days=36_500)  # it never answers: no matter is ever asked

    def answer(self, matter: CourtMatter, now: datetime) -> CourtAnswer | None:
        return None


# Days a basic people's court typically takes for each step (the law's limits where it sets
# them: 7 days to register a suit, 5 to accept a payment order and 15 to issue it).
ACCEPT_DAYS = {"judicial_confirmation": 3, "payment_order": 5, "litigation": 7, "enforcement": 7}
CASE_NUMBER_KIND = {"judicial_confirmation": "民特", "payment_order": "民督", "litigation": "民初",
                    "enforcement": "执"}
CONFIRMATION_DAYS = 15
PAYMENT_ORDER_ISSUE_DAYS = 10
DEBTOR_ANSWER_DAYS = 8
JUDGMENT_DAYS = 60
ENFORCEMENT_START_DAYS = 7
COMPLIANCE_DAYS = 20
ENFORCEMENT_DAYS = 90


class SimulatedCourt:
    """A court that answers every matter along a realistic course. What a debtor does (pays,
    objects, or lets an order stand) is fixed per matter by a checksum of its handoff id, so a
    run is reproducible."""

    quiet_for = timedelta(days=1)  # its quickest step (enforcement of a final payment order)

    def answer(self, matter: CourtMatter, now: datetime) -> CourtAnswer | None:
        since = matter.last_step_at or matter.received_at
        waited = now - since

        def after(days: int, answer: CourtAnswer) -> CourtAnswer | None:
            return answer if waited >= timedelta(days=days) else None

        proceeding = matter.proceeding or matter.purpose
        amount = str(amount_due(matter))
        state = matter.state
        if state == "court_requested":
            return after(ACCEPT_DAYS[matter.purpose], CourtAnswer(
                "accept", (matter.handoff_id,),
                {"court_case_number": self.case_number(matter, now)}))
        if state == "in_court":
            if proceeding == "payment_order":
                if matter.respond_by is None:
                    return after(PAYMENT_ORDER_ISSUE_DAYS,
                                 CourtAnswer("issue_payment_order", (matter.case_id, amount)))
                if matter.enforceable:
                    return after(1, CourtAnswer("start_enforcement", (matter.case_id, amount)))
                debtor = self.debtor(matter)
                if debtor == "pays":
                    return after(DEBTOR_ANSWER_DAYS, CourtAnswer("record_compliance", (matter.case_id, amount)))
                if debtor == "objects":
                    return after(DEBTOR_ANSWER_DAYS, CourtAnswer("record_objection", (matter.case_id,)))
                return None  # silent: the response clock runs out and the order may be enforced
            if proceeding == "enforcement":
                return after(ENFORCEMENT_START_DAYS, CourtAnswer("start_enforcement", (matter.case_id, amount)))
            if proceeding == "judicial_confirmation":
                return after(CONFIRMATION_DAYS, CourtAnswer("enter_ruling", (matter.case_id, "confirmed", amount)))
            return after(JUDGMENT_DAYS, CourtAnswer("enter_ruling", (matter.case_id, "judgment", amount)))
        if state == "ruled":
            command = "record_compliance" if self.debtor(matter) != "silent" else "start_enforcement"
            return after(COMPLIANCE_DAYS, CourtAnswer(command, (matter.case_id, amount)))
        if state == "enforcing":
            return after(ENFORCEMENT_DAYS, CourtAnswer("conclude_enforcement", (matter.case_id, amount)))
        return None

    @staticmethod
    def debtor(matter: CourtMatter) -> str:
        return ("pays", "objects", "silent")[zlib.crc32(matter.handoff_id.encode()) % 3]

    @staticmethod
    def case_number(matter: CourtMatter, now: datetime) -> str:
        serial = zlib.crc32(matter.handoff_id.encode()) % 9000 + 1000
        return f"({now.year})川0107{CASE_NUMBER_KIND[matter.purpose]}{serial}号"


def amount_due(matter: CourtMatter) -> Decimal:
    """What the matter is about: the payment order, a ruling, an award or agreement handed on,
    else the claim."""
    history = matter.dossier.get("history", {})
    for known in (matter.payment_order_amount, matter.amount_ruled, history.get("award"),
                  history.get("mediation_agreement")):
        if known is not None:
            return Decimal(str(known))
    return Decimal(str(matter.dossier["amount_claimed"]))


COURT_SYSTEMS: dict[str, type[CourtSystem]] = {"simulated": SimulatedCourt, "none": NoCourtSystem}


def court_system(name: str) -> CourtSystem:
    try:
        return COURT_SYSTEMS[name]()
    except KeyError:
        raise ValueError(f"no court system adapter {name!r}; known: {sorted(COURT_SYSTEMS)}") from None
