"""The claim as intake keeps it, the facts triage looks at, and the joint consultation of an
urgent case, in plain Python. The triage rules themselves are data (``triage.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from disputes_shared.contract.employers import employer_key as contract_employer_key
from disputes_shared.contract.lifecycle import CaseState, next_case_state
from disputes_shared.contract.vocabularies import CONSULTATION_ROLES
from disputes_shared.statute.limitation import Interruption, Limitation, LimitationFacts

from .triage import TriageFacts


@dataclass
class Claim:
    case_id: str
    correlation_id: str
    received_at: datetime
    channel: str
    worker: dict[str, Any]  # personal data: name, id_number, phone; stays in intake's database
    migrant_worker: bool
    worker_count: int
    employer: dict[str, Any]
    industry: str
    relationship: str
    claim_types: list[str]
    amount_claimed: Decimal
    district: str
    legal_aid_requested: bool
    chosen_station_id: str | None = None
    description: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    state: CaseState = CaseState.FILED
    station_id: str | None = None
    urgent: bool = False
    collective: bool = False
    rules_fired: list[str] = field(default_factory=list)
    tried_stations: list[str] = field(default_factory=list)
    outcome: str | None = None
    closed_at: datetime | None = None
    limitation_facts: dict[str, Any] | None = None  # the dates the worker gave (art. 27)
    limitation: dict[str, Any] | None = None  # where the limitation stood on filing
    employer_key: str = ""
    consultation: dict[str, Any] | None = None  # the joint consultation of an urgent case
    access_code_digest: str | None = None  # the worker's access code, as a slow salted digest
    # PIPL art. 29: the consent to processing the ID number, {version, given_at}; None for a
    # claim filed before it was asked
    sensitive_data_consent: dict[str, str] | None = None

    @classmethod
    def filed(cls, submission: dict[str, Any], case_id: str, correlation_id: str,
              received_at: datetime, access_code_digest: str | None = None) -> Claim:
        """The claim of a validated submission (``api.ClaimSubmission``): the limitation's dates
        kept as given, the worker's consent to processing the ID number as its text's version
        and the time it was given."""
        details = dict(submission)
        limitation_facts = details.pop("limitation", None)
        details.pop("sensitive_data_consent")  # true, or the submission was refused
        consent = {"version": details.pop("sensitive_data_consent_version"),
                   "given_at": received_at.isoformat()}
        return cls(case_id=case_id, correlation_id=correlation_id, received_at=received_at,
                   limitation_facts=limitation_facts, sensitive_data_consent=consent,
                   access_code_digest=access_code_digest, **details)

    def __post_init__(self) -> None:
        if not self.employer_key and isinstance(self.employer, dict):  # not withheld nor erased
            self.employer_key = employer_key(self.employer)

    def check_erasable(self) -> None:
        """Personal data is erased once the case is over: an open case still needs it (the
        dossiers handed on, the parties summoned)."""
        if self.state != CaseState.CLOSED:
            raise ErasureRefused(f"case {self.case_id} is still open ({self.state}): it is erased "
                                 "once withdrawn or closed")

    def closed_elsewhere(self, outcome: str, at: datetime) -> None:
        """The agency that held the case closed it: told, not moved (intake's own track stops
        where the case left it)."""
        self.outcome, self.closed_at, self.state = outcome, at, CaseState.CLOSED

    @property
    def awaiting_triage(self) -> bool:
        """Just filed: its first routing also triages it (a station's return routes it again,
        without a second triage)."""
        return self.state == CaseState.FILED

    def triage_facts(self, employer_recent_cases: int = 1) -> TriageFacts:
        return TriageFacts(
            chosen_station_id=self.chosen_station_id, industry=self.industry,
            relationship=self.relationship, claim_types=tuple(self.claim_types),
            amount_claimed=self.amount_claimed, worker_count=self.worker_count,
            district=self.district, employer_recent_cases=employer_recent_cases,
            limitation=self.limitation["status"] if self.limitation else None)

    def limitation_facts_parsed(self) -> LimitationFacts | None:
        facts = self.limitation_facts
        if facts is None:
            return None
        return LimitationFacts(
            known_on=_day(facts["known_on"]),
            interruptions=tuple((_day(i["on"]), Interruption(i["kind"]))
                                for i in facts.get("interruptions", ())),
            still_employed=bool(facts.get("still_employed")),
            employment_ended_on=_day(facts["employment_ended_on"])
            if facts.get("employment_ended_on") else None)

    def record_limitation(self, limitation: Limitation) -> None:
        self.limitation = limitation.as_record()

    def convene_consultation(self, reasons: list[str], at: datetime) -> dict[str, Any]:
        """特事急诊: an urgent case gets a joint consultation of arbitrator, mediator and lawyer."""
        self.consultation = {"convened_at": at.isoformat(), "reasons": list(reasons),
                             "roles": list(CONSULTATION_ROLES), "participants": None,
                             "plan": None, "held_at": None}
        return self.consultation

    def hold_consultation(self, participants: dict[str, str], plan: str, at: datetime) -> dict[str, Any]:
        if self.consultation is None:
            raise ConsultationNotConvened(f"no joint consultation was convened for {self.case_id}")
        if self.consultation["held_at"] is not None:
            raise ConsultationNotConvened(f"the joint consultation of {self.case_id} was already held")
        missing = [role for role in CONSULTATION_ROLES if not participants.get(role)]
        unknown = sorted(set(participants) - set(CONSULTATION_ROLES))
        if missing or unknown:
            raise ValueError(f"a joint consultation needs one {', '.join(CONSULTATION_ROLES)}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; no role {', '.join(unknown)}" if unknown else ""))
        if not plan or not plan.strip():
            raise ValueError("a joint consultation ends with a plan for the case")
        self.consultation = {**self.consultation, "participants": dict(participants),
                             "plan": plan.strip(), "held_at": at.isoformat()}
        return self.consultation

    def move(self, move: str) -> None:
        self.state = next_case_state(self.state, move)

    def dossier(self) -> dict[str, Any]:
        """What an agency the case is handed to needs; the only place personal data leaves."""
        return {
            "worker": dict(self.worker), "migrant_worker": self.migrant_worker,
            "worker_count": self.worker_count, "employer": dict(self.employer),
            "industry": self.industry, "relationship": self.relationship,
            "claim_types": list(self.claim_types), "amount_claimed": self.amount_claimed,
            "district": self.district, "filed_at": self.received_at, "history": {},
            "urgent": self.urgent, "limitation": self.limitation,
        }


class ConsultationNotConvened(ValueError):
    pass


class ErasureRefused(ValueError):
    """An erasure that may not be done now, and why."""


# The claim's personal data: sealed at rest, erased with the case's key, copied to the worker.
SEALED_FIELDS = ("worker", "employer", "description", "evidence", "consultation")


def employer_key(employer: dict[str, Any]) -> str:
    """The employer's name as compared across claims (``contract.employers``)."""
    return contract_employer_key(str(employer.get("name", "")))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def refers_to_labor_inspection(claim: Claim) -> bool:
    """Wage arrears (欠薪) also go to labor inspection (劳动保障监察), which can order the employer
    to pay (责令支付) beside whatever mediation or arbitration decides on the claim."""
    return "unpaid_wages" in claim.claim_types
