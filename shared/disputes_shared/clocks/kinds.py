"""The statutory clocks the platform keeps, and the rule each one is counted by: part of the
contract, so every agency and the trail name a clock the same way.

A clock runs from an event on a case (an application received, an award served...) until the
agency stops it by doing what the law asks (the clock is *satisfied*), or it *elapses*: its last
day passed first, which opens the next step the law allows (the worker may sue, may apply for
arbitration...). Names are stable snake_case: they appear in events, tables and metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..statute import periods
from ..statute.periods import Period


class ClockKind(StrEnum):
    MEDIATION_WITHOUT_AGREEMENT = "mediation_without_agreement"  # 劳动争议调解仲裁法 art. 14
    AGREEMENT_PERFORMANCE = "agreement_performance"  # the date agreed in 调解协议 (art. 16)
    JUDICIAL_CONFIRMATION_WINDOW = "judicial_confirmation_window"  # 人民调解法 art. 33
    ARBITRATION_ACCEPTANCE = "arbitration_acceptance"  # art. 29
    SERVICE_ON_RESPONDENT = "service_on_respondent"  # art. 30
    RESPONDENT_ANSWER = "respondent_answer"  # art. 30
    ANSWER_PASSED_ON = "answer_passed_on"  # art. 30
    PANEL_NAMED = "panel_named"  # art. 32
    AWARD = "award"  # art. 43
    WORKER_SUIT_AFTER_FINAL_AWARD = "worker_suit_after_final_award"  # art. 48
    EMPLOYER_SET_ASIDE = "employer_set_aside"  # art. 49
    SUIT_AFTER_AWARD = "suit_after_award"  # art. 50
    PAYMENT_ORDER_ISSUE = "payment_order_issue"  # 支付令, 民事诉讼法 督促程序
    PAYMENT_ORDER_RESPONSE = "payment_order_response"  # the debtor pays or objects


@dataclass(frozen=True)
class ClockRule:
    kind: ClockKind
    citation: str
    # None: the last day is given when the clock starts (the date a mediation agreement set).
    period: Period | None
    elapsed_means: str  # what the law allows once the clock has run out
    # The one extension the law allows, if any: at most this long, with this approval.
    extension: Period | None = None
    extension_approval: str | None = None


K = ClockKind
CLOCK_RULES: dict[ClockKind, ClockRule] = {rule.kind: rule for rule in (
    ClockRule(K.MEDIATION_WITHOUT_AGREEMENT, "劳动争议调解仲裁法 art. 14",
              periods.MEDIATION_WITHOUT_AGREEMENT,
              "no agreement within 15 days: either party may apply for arbitration"),
    ClockRule(K.AGREEMENT_PERFORMANCE, "劳动争议调解仲裁法 art. 16", None,
              "unpaid by the agreed date: judicial confirmation, arbitration, or a payment order"),
    ClockRule(K.JUDICIAL_CONFIRMATION_WINDOW, "人民调解法 art. 33",
              periods.JUDICIAL_CONFIRMATION,
              "the joint application for judicial confirmation can no longer be made"),
    ClockRule(K.ARBITRATION_ACCEPTANCE, "劳动争议调解仲裁法 art. 29",
              periods.ARBITRATION_ACCEPTANCE,
              "no decision on acceptance: the applicant may sue"),
    ClockRule(K.SERVICE_ON_RESPONDENT, "劳动争议调解仲裁法 art. 30",
              periods.SERVICE_ON_RESPONDENT,
              "the application was not served on the respondent in time"),
    ClockRule(K.RESPONDENT_ANSWER, "劳动争议调解仲裁法 art. 30", periods.RESPONDENT_ANSWER,
              "no answer: the hearing goes ahead without one"),
    ClockRule(K.ANSWER_PASSED_ON, "劳动争议调解仲裁法 art. 30", periods.ANSWER_PASSED_ON,
              "the answer was not passed on to the applicant in time"),
    ClockRule(K.PANEL_NAMED, "劳动争议调解仲裁法 art. 32", periods.PANEL_NAMED,
              "the parties were not told the panel in time"),
    ClockRule(K.AWARD, "劳动争议调解仲裁法 art. 43", periods.AWARD,
              "no award in time: either party may sue",
              extension=periods.AWARD_EXTENSION,
              extension_approval="the arbitration commission's chair"),
    ClockRule(K.WORKER_SUIT_AFTER_FINAL_AWARD, "劳动争议调解仲裁法 art. 48",
              periods.WORKER_SUIT_AFTER_FINAL_AWARD,
              "the worker can no longer sue against the final award"),
    ClockRule(K.EMPLOYER_SET_ASIDE, "劳动争议调解仲裁法 art. 49", periods.EMPLOYER_SET_ASIDE,
              "the employer can no longer apply to set the final award aside"),
    ClockRule(K.SUIT_AFTER_AWARD, "劳动争议调解仲裁法 art. 50", periods.SUIT_AFTER_AWARD,
              "no suit in time: the award takes effect"),
    ClockRule(K.PAYMENT_ORDER_ISSUE, periods.PAYMENT_ORDER_ISSUE.citation,
              periods.PAYMENT_ORDER_ISSUE, "the court has not issued the payment order in time"),
    ClockRule(K.PAYMENT_ORDER_RESPONSE, periods.PAYMENT_ORDER_RESPONSE.citation,
              periods.PAYMENT_ORDER_RESPONSE,
              "neither paid nor objected: the payment order may be enforced"),
)}
