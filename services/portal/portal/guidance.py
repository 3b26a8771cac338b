"""What the case page tells the worker beyond its steps: who acts next, the statutory deadlines
running on the case, and what the worker may do now. Plain functions of the case's state (from
the trail) and its clocks (each agency's ``case_clocks``); the words are msgids the page
translates, with the day filled in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from disputes_shared.clocks.kinds import ClockKind as K

RUNNING, ELAPSED = "running", "elapsed"  # ClockStatus values as the RPC carries them


@dataclass(frozen=True)
class Words:
    """A msgid and what fills its ``%(name)s`` places."""

    msgid: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Clock:
    """One statutory clock as the worker needs it: which, running or ended, its last day."""

    kind: str
    status: str
    last_day: date
    citation: str = ""


def clocks_from(views: Iterable[Mapping[str, Any]]) -> list[Clock]:
    return [Clock(str(v["kind"]), str(v["status"]), date.fromisoformat(str(v["last_day"])),
                  str(v.get("citation", ""))) for v in views]


# Who acts next, by the case's state (CaseState values).
NEXT_ACTOR = {
    "filed": "The labor dispute service centre: it is sorting your claim.",
    "triaged": "The mediation station: it is to take on your case.",
    "mediation_requested": "The mediation station: it is to take on your case.",
    "in_mediation": "The mediation station: it is mediating between you and the employer.",
    "agreement_reached": "The employer: it is to pay as agreed.",
    "mediation_failed": "You: you may apply for arbitration.",
    "arbitration_requested": "The arbitration commission: it is to decide whether it takes your case.",
    "in_arbitration": "The arbitration commission: it is hearing your case.",
    "arbitration_refused": "You: you may sue in court.",
    "awarded": "You and the employer: accept the award or sue in time; the employer is to pay what was awarded.",
    "court_requested": "The court: it is to decide whether it takes your case.",
    "court_refused": "You: you may appeal the court's refusal.",
    "in_court": "The court: it is hearing your case.",
    "ruled": "The employer: it is to do what the court decided.",
    "enforcing": "The court: it is enforcing the decision.",
    "closed": "Nobody: your case is closed.",
}
NEXT_ACTOR_UNKNOWN = "The office that has your case."

# A running clock, in plain words: who must do what by its last day, and what follows if not.
DEADLINE = {
    K.MEDIATION_WITHOUT_AGREEMENT: "Mediation has until %(day)s to reach an agreement. "
                                   "Without one by then, you may apply for arbitration.",
    K.AGREEMENT_PERFORMANCE: "The employer must pay as agreed by %(day)s. If it does not, you may "
                             "apply for arbitration or ask the court for a payment order.",
    K.JUDICIAL_CONFIRMATION_WINDOW: "Until %(day)s, you and the employer may together ask the court "
                                    "to confirm the agreement, so that it can be enforced.",
    K.ARBITRATION_ACCEPTANCE: "The arbitration commission must decide by %(day)s whether it takes "
                              "your case. If it does not, you may sue in court.",
    K.SERVICE_ON_RESPONDENT: "The arbitration commission must send your application to the "
                             "employer by %(day)s.",
    K.RESPONDENT_ANSWER: "The employer may answer your application until %(day)s; without an "
                         "answer the hearing goes ahead.",
    K.ANSWER_PASSED_ON: "The arbitration commission must give you the employer's answer by %(day)s.",
    K.PANEL_NAMED: "The arbitration commission must tell you by %(day)s who will hear your case.",
    K.AWARD: "The arbitration commission must make its award by %(day)s. If it does not, you may "
             "sue in court.",
    K.WORKER_SUIT_AFTER_FINAL_AWARD: "The award is final for the employer. If you do not accept "
                                     "it, you may sue in court until %(day)s.",
    K.EMPLOYER_SET_ASIDE: "The employer may ask the court to set the award aside until %(day)s.",
    K.SUIT_AFTER_AWARD: "If you do not accept the award, you may sue in court until %(day)s "
                        "(15 days from receiving it). After that the award is in force.",
    K.PAYMENT_ORDER_ISSUE: "The court must decide on the payment order by %(day)s.",
    K.PAYMENT_ORDER_RESPONSE: "The employer must pay or object to the payment order by %(day)s; "
                              "if it does neither, you may ask the court to enforce it.",
}

# What the worker may do (msgids).
APPLY_FOR_ARBITRATION = ("Apply for arbitration: mediation ended without agreement or ran past "
                         "its 15 days, so you need not wait for it.")
UNPAID_AGREEMENT = ("Apply for arbitration, or ask the court for a payment order: the employer "
                    "did not pay by the agreed date.")
CONFIRM_AGREEMENT = "Ask the court, together with the employer, to confirm the agreement, until %(day)s."
SUE_NO_ACCEPTANCE = ("Sue in court: the arbitration commission refused your case or did not "
                     "decide in time.")
SUE_NO_AWARD = "Sue in court: the arbitration commission did not make its award in time."
SUE_AGAINST_AWARD = "Sue in court by %(day)s if you do not accept the award."
ENFORCE_AWARD = "Ask the court to enforce the award if the employer does not pay: it is in force."
ENFORCE_PAYMENT_ORDER = ("Ask the court to enforce the payment order: the employer neither paid "
                         "nor objected in time.")
ENFORCE_RULING = "Ask the court to enforce its decision if the employer does not comply."
APPEAL_REFUSAL = "Appeal the court's refusal to the higher court within 10 days of receiving it."
ASK_LEGAL_AID = "Ask for free legal aid if you cannot afford a lawyer."


def day(value: date) -> str:
    return value.isoformat()


def who_acts_next(state: str) -> Words:
    return Words(NEXT_ACTOR.get(state, NEXT_ACTOR_UNKNOWN))


def deadlines(clocks: Iterable[Clock]) -> list[tuple[Words, str]]:
    """The running clocks, soonest first, each in plain words with its legal source."""
    running = sorted((c for c in clocks if c.status == RUNNING and c.kind in DEADLINE),
                     key=lambda c: c.last_day)
    return [(Words(DEADLINE[K(c.kind)], {"day": day(c.last_day)}), c.citation) for c in running]


def worker_may(state: str, clocks: Iterable[Clock], aid_state: str = "none") -> list[Words]:
    """What the law lets the worker do now, from where the case is and which clocks ran out."""
    if state == "closed":
        return []
    by_kind: dict[str, Clock] = {}
    for clock in clocks:  # the latest clock of each kind is the one that counts
        if clock.kind not in by_kind or clock.last_day >= by_kind[clock.kind].last_day:
            by_kind[clock.kind] = clock

    def ran_out(kind: K) -> bool:
        return kind in by_kind and by_kind[kind].status == ELAPSED

    def running(kind: K) -> Clock | None:
        clock = by_kind.get(kind)
        return clock if clock is not None and clock.status == RUNNING else None

    may: list[Words] = []
    in_mediation = state in ("triaged", "mediation_requested", "in_mediation")
    if state == "mediation_failed" or (in_mediation and ran_out(K.MEDIATION_WITHOUT_AGREEMENT)):
        may.append(Words(APPLY_FOR_ARBITRATION))
    if state == "agreement_reached":
        if ran_out(K.AGREEMENT_PERFORMANCE):
            may.append(Words(UNPAID_AGREEMENT))
        if (window := running(K.JUDICIAL_CONFIRMATION_WINDOW)) is not None:
            may.append(Words(CONFIRM_AGREEMENT, {"day": day(window.last_day)}))
    in_arbitration = state in ("arbitration_requested", "in_arbitration")
    if state == "arbitration_refused" or (in_arbitration and ran_out(K.ARBITRATION_ACCEPTANCE)):
        may.append(Words(SUE_NO_ACCEPTANCE))
    elif in_arbitration and ran_out(K.AWARD):
        may.append(Words(SUE_NO_AWARD))
    if state == "awarded":
        window = running(K.SUIT_AFTER_AWARD) or running(K.WORKER_SUIT_AFTER_FINAL_AWARD)
        if window is not None:
            may.append(Words(SUE_AGAINST_AWARD, {"day": day(window.last_day)}))
        elif ran_out(K.SUIT_AFTER_AWARD) or ran_out(K.WORKER_SUIT_AFTER_FINAL_AWARD):
            may.append(Words(ENFORCE_AWARD))
    if ran_out(K.PAYMENT_ORDER_RESPONSE):
        may.append(Words(ENFORCE_PAYMENT_ORDER))
    if state == "ruled":
        may.append(Words(ENFORCE_RULING))
    if state == "court_refused":
        may.append(Words(APPEAL_REFUSAL))
    if aid_state == "none":
        may.append(Words(ASK_LEGAL_AID))
    return may


def every_msgid() -> list[str]:
    """For the catalogue's completeness test."""
    return [*NEXT_ACTOR.values(), NEXT_ACTOR_UNKNOWN, *DEADLINE.values(), APPLY_FOR_ARBITRATION,
            UNPAID_AGREEMENT, CONFIRM_AGREEMENT, SUE_NO_ACCEPTANCE, SUE_NO_AWARD, SUE_AGAINST_AWARD,
            ENFORCE_AWARD, ENFORCE_PAYMENT_ORDER, ENFORCE_RULING, APPEAL_REFUSAL, ASK_LEGAL_AID]
