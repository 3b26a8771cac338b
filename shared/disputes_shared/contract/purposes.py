"""What each handoff's receiving agency may receive of the dossier, and why: the written purpose
(PIPL arts. 5–6: personal information is handled for a stated purpose, and no more of it than
that purpose needs).

``PURPOSES`` names, for every ``HandoffPurpose``, the agency's task with the law that gives it
and each dossier field it receives with the reason. The sender cuts the dossier to it
(``dossier_for``), the dossier's major version 2 refuses a field outside it, and the published
contract carries it (``x-purposes`` of ``handoff.dossier`` v2), so an agency outside the
platform reads what it gets and why. A field is named by its place in the dossier, the worker's
parts as ``worker.<part>``.

A case handed on is handed on with what its holder received (``AgencyCase.onward_dossier``): an
agency therefore receives every field of the purposes it may hand the case on to
(``ONWARD``), which ``onward_gaps`` checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .agencies import Agency
from .handoff import PURPOSE_RECEIVER, HandoffPurpose

# Every field of a dossier, in its order; the worker's parts one by one.
WORKER_PARTS = ("name", "id_number", "phone")
DOSSIER_FIELDS = (
    *(f"worker.{part}" for part in WORKER_PARTS), "migrant_worker", "worker_count", "employer",
    "industry", "relationship", "claim_types", "amount_claimed", "district", "filed_at", "history",
    "urgent", "limitation",
)
# Facts about the worker as a person (PIPL art. 4). The ID number is sensitive (art. 28, as the
# national standard GB/T 35273 lists it). The employer is personal data too when it is a person
# (a household employing a domestic worker): it is the other party, and every purpose has it.
PERSONAL_FIELDS = ("worker.name", "worker.id_number", "worker.phone", "migrant_worker", "employer")


@dataclass(frozen=True)
class Need:
    """Dossier fields a purpose receives, and why."""

    fields: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class PurposeStatement:
    """One handoff purpose: the receiving agency's task, and what it receives for it."""

    task: str
    needs: tuple[Need, ...]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(name for need in self.needs for name in need.fields)

    def why(self, name: str) -> str:
        return next(need.why for need in self.needs if name in need.fields)


# The dispute itself, which every receiving agency acts on: who it is against, what is claimed,
# where, when, by how many, and whether it was flagged urgent.
CLAIM_FACTS = ("worker_count", "employer", "industry", "relationship", "claim_types",
               "amount_claimed", "district", "filed_at", "urgent")
CONTACT = ("worker.name", "worker.phone")
_COURT_IDENTITY = Need(("worker.id_number",),
                       "A court identifies each party by the resident ID number (居民身份证号码) "
                       "before it confirms, orders, judges or enforces anything for or against "
                       "them (民事诉讼法; 人民调解法 art. 33 on judicial confirmation).")
_COURT_CONTACT = Need(CONTACT, "The court names the parties and serves its documents on them "
                               "(民事诉讼法: a party's name and contact details).")


def _court(task: str, claim_why: str, *more: Need) -> PurposeStatement:
    return PurposeStatement(task, (_COURT_CONTACT, _COURT_IDENTITY, Need(CLAIM_FACTS, claim_why),
                                   *more))


PURPOSES: Mapping[HandoffPurpose, PurposeStatement] = {
    HandoffPurpose.MEDIATION: PurposeStatement(
        "Mediate the dispute between worker and employer and record any agreement "
        "(劳动争议调解仲裁法 arts. 10–16; 人民调解法).",
        (Need(CONTACT, "The station records the applicant's basic particulars and reaches the "
                       "worker for sessions in person or by video (劳动争议调解仲裁法 arts. 12–13)."),
         Need(("worker.id_number",),
              "The agreement names the parties (人民调解法 art. 29 (1)) and is what a court "
              "confirms or issues a payment order on, or arbitration hears when it is not "
              "performed (人民调解法 art. 33; 劳动争议调解仲裁法 arts. 15–16); mediation hands "
              "the case on to them, so it holds what they need."),
         Need(CLAIM_FACTS, "The dispute to be mediated (劳动争议调解仲裁法 art. 12: the matters in "
                           "dispute); the station's kind, the mediator's specialty and a collective "
                           "dispute's handling (art. 7) follow from them."),
         Need(("limitation",), "Where the one-year limitation (art. 27) stood, carried to "
                               "arbitration if mediation fails."))),
    HandoffPurpose.LEGAL_AID: PurposeStatement(
        "Decide a legal-aid application and assign a lawyer who represents the worker "
        "(法律援助法 arts. 31, 41–44).",
        (Need(CONTACT, "The applicant is named in the decision, and the centre and the assigned "
                       "lawyer reach the worker."),
         Need(("worker.id_number",), "The centre checks who applies before granting aid "
                                     "(法律援助法 art. 43), and the lawyer represents the "
                                     "identified worker before arbitration and courts."),
         Need(("migrant_worker",), "The means test: a migrant worker claiming pay or injury "
                                   "compensation is exempt from it (法律援助法 art. 42)."),
         Need(CLAIM_FACTS, "The matter aid is asked for (法律援助法 art. 31) and the green "
                           "channel for groups and urgent cases."),
         Need(("limitation",), "Aid starts before the review when the limitation runs out in "
                               "less than seven days (法律援助法 art. 44 (1))."))),
    HandoffPurpose.ARBITRATION: PurposeStatement(
        "Accept, hear and award a labor dispute (劳动争议调解仲裁法 arts. 21–53).",
        (Need(CONTACT, "The application names the worker (art. 28), and the committee notifies "
                       "the parties of acceptance and hearings (arts. 29, 35)."),
         Need(("worker.id_number",), "The award names the parties and a court enforces it on "
                                     "them (art. 51): the committee identifies the applicant "
                                     "when it accepts the application."),
         Need(CLAIM_FACTS, "The claims, the respondent and where (arts. 21, 28); the amount and "
                           "claim types decide a final award (art. 47); a collective dispute "
                           "acts through representatives (art. 7)."),
         Need(("limitation",), "The one-year limitation the application is accepted under "
                               "(art. 27)."),
         Need(("history",), "The mediation agreement arbitration hears when it is not "
                            "performed (art. 15), or why mediation failed."))),
    HandoffPurpose.JUDICIAL_CONFIRMATION: _court(
        "Confirm a mediation agreement so that it can be enforced (司法确认, 人民调解法 art. 33).",
        "The agreement's subject matter and the court with jurisdiction.",
        Need(("history",), "The agreement's amount and the day it took effect: the application "
                           "must come within 30 days of it (人民调解法 art. 33).")),
    HandoffPurpose.PAYMENT_ORDER: _court(
        "Issue a payment order on an unpaid agreement for pay, injury costs or compensation "
        "(支付令, 劳动争议调解仲裁法 art. 16).",
        "The debt ordered paid and the court with jurisdiction; only pay, injury and "
        "compensation claims qualify (art. 16).",
        Need(("history",), "The agreement whose amount the order is for.")),
    HandoffPurpose.LITIGATION: _court(
        "Hear a suit after arbitration (劳动争议调解仲裁法 arts. 48, 50) or a civil claim "
        "(诉讼).",
        "The claims before the court and the court with jurisdiction.",
        Need(("limitation",), "Where the limitation stood, which the court weighs."),
        Need(("history",), "The award or agreement the suit follows.")),
    HandoffPurpose.ENFORCEMENT: _court(
        "Enforce an effective award or ruling (执行, 劳动争议调解仲裁法 art. 51).",
        "The case enforced and the court with jurisdiction.",
        Need(("history",), "The award's or ruling's amount, which is what is enforced.")),
    HandoffPurpose.LABOR_INSPECTION: PurposeStatement(
        "Inspect the employer for wage arrears and order it to pay (劳动保障监察条例 arts. 9, "
        "11, 13, 20); the inspection acts on the employer, not on the worker.",
        (Need(CONTACT, "The worker is the complainant: the bureau hears them and tells them "
                       "the result (劳动保障监察条例 art. 9)."),
         Need(CLAIM_FACTS, "The employer inspected, where (art. 13), what it owes and to how "
                           "many workers."))),
}
# Not to labor inspection: the ID number (an order to pay wages is made against the employer),
# the migrant-worker status (legal aid's means test), the limitation (inspection has its own two
# years, art. 20) and the history (no agency's decision is inspection's business). Not to
# mediation or legal aid either: only intake hands cases to them, and it has decided nothing
# that the history records.

# The purposes an agency may hand a case on to (``contract/lifecycle.py``): what it receives
# must cover them, since the onward dossier is the one it received; but for the history, to
# which each agency adds its own decisions as it hands the case on.
ONWARD: Mapping[Agency, frozenset[HandoffPurpose]] = {
    Agency.MEDIATION: frozenset({HandoffPurpose.ARBITRATION, HandoffPurpose.JUDICIAL_CONFIRMATION,
                                 HandoffPurpose.PAYMENT_ORDER, HandoffPurpose.LITIGATION}),
    Agency.ARBITRATION: frozenset({HandoffPurpose.LITIGATION, HandoffPurpose.ENFORCEMENT}),
}


def allowed_fields(purpose: str) -> frozenset[str]:
    return PURPOSES[HandoffPurpose(purpose)].fields


def received_by(agency: Agency) -> frozenset[str]:
    """Every dossier field ``agency`` receives, over every purpose it is handed cases for."""
    return frozenset().union(*(statement.fields for purpose, statement in PURPOSES.items()
                               if PURPOSE_RECEIVER[purpose] == agency))


def onward_gaps() -> list[str]:
    """Fields an agency must hand on but never receives (empty when the table is whole)."""
    return [f"{agency} hands cases on for {purpose} but does not receive {name}"
            for agency, purposes in ONWARD.items() for purpose in sorted(purposes)
            for name in sorted(PURPOSES[purpose].fields - received_by(agency) - {"history"})]


def dossier_fields(dossier: Mapping[str, Any]) -> set[str]:
    """The fields a dossier carries, the worker's parts one by one."""
    names = {name for name in dossier if name != "worker"}
    worker = dossier.get("worker")
    if isinstance(worker, Mapping):
        names |= {f"worker.{part}" for part in worker}
    return names


def dossier_for(purpose: str, dossier: Mapping[str, Any]) -> dict[str, Any]:
    """``dossier`` cut to what ``purpose`` receives: every other field left out."""
    allowed = allowed_fields(purpose)
    cut = {name: value for name, value in dossier.items() if name in allowed}
    worker = dossier.get("worker")
    parts = {part: worker[part] for part in WORKER_PARTS
             if isinstance(worker, Mapping) and part in worker and f"worker.{part}" in allowed}
    if parts:
        cut["worker"] = parts
    return cut


def upcast_dossier_v1_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """``handoff.dossier`` 1 to 2: a whole dossier, as a sender of major 1 sends it, cut to its
    purpose when it is received."""
    return {**payload, "dossier": dossier_for(payload["purpose"], payload["dossier"])}


def outside_purpose(purpose: str, names: Iterable[str]) -> list[str]:
    """The ``names`` (dossier fields) that ``purpose`` may not receive."""
    allowed = allowed_fields(purpose)
    return sorted(name for name in names if name not in allowed)


def published_purposes() -> dict[str, Any]:
    """The table as the published contract carries it (``x-purposes``)."""
    return {str(purpose): {
        "receiver": str(PURPOSE_RECEIVER[purpose]),
        "task": statement.task,
        "fields": {name: statement.why(name) for name in DOSSIER_FIELDS if name in statement.fields},
    } for purpose, statement in PURPOSES.items()}
