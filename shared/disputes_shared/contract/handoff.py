"""The handoff: one arrow between two agencies, and how long it waited.

A handoff is requested by one agency and answered by the other, which accepts it or returns it
with a reason. The wait is the time between the request and the answer; it is what operators
watch to find where cases pile up (and returned handoffs are how buck-passing, 推诿扯皮, shows).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .agencies import Agency


class HandoffPurpose(StrEnum):
    """What the receiving agency is asked to do."""

    MEDIATION = "mediation"
    LEGAL_AID = "legal_aid"
    ARBITRATION = "arbitration"
    JUDICIAL_CONFIRMATION = "judicial_confirmation"  # 司法确认 of a mediation agreement
    LITIGATION = "litigation"  # 诉讼
    ENFORCEMENT = "enforcement"  # 执行
    PAYMENT_ORDER = "payment_order"  # 支付令 on an unpaid agreement (劳动争议调解仲裁法 art. 16)
    LABOR_INSPECTION = "labor_inspection"  # 劳动保障监察 of wage arrears (欠薪)


PURPOSE_RECEIVER: dict[HandoffPurpose, Agency] = {
    HandoffPurpose.MEDIATION: Agency.MEDIATION,
    HandoffPurpose.LEGAL_AID: Agency.LEGAL_AID,
    HandoffPurpose.ARBITRATION: Agency.ARBITRATION,
    HandoffPurpose.JUDICIAL_CONFIRMATION: Agency.COURTS,
    HandoffPurpose.LITIGATION: Agency.COURTS,
    HandoffPurpose.ENFORCEMENT: Agency.COURTS,
    HandoffPurpose.PAYMENT_ORDER: Agency.COURTS,
    HandoffPurpose.LABOR_INSPECTION: Agency.LABOR_INSPECTION,
}


# A case returned this often between agencies is being passed around (推诿扯皮): flagged.
BOUNCED_AFTER_RETURNS = 2


class HandoffStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class HandoffAlreadyAnswered(ValueError):
    pass


@dataclass
class Handoff:
    handoff_id: str
    case_id: str
    from_agency: Agency
    to_agency: Agency
    purpose: HandoffPurpose
    requested_at: datetime
    status: HandoffStatus = HandoffStatus.PENDING
    answered_at: datetime | None = None
    reason: str | None = None  # why it was requested, then why it was returned
    to_unit: str | None = None  # e.g. the mediation station chosen

    @classmethod
    def request(
        cls,
        case_id: str,
        from_agency: Agency,
        purpose: HandoffPurpose,
        at: datetime,
        reason: str | None = None,
        to_unit: str | None = None,
    ) -> "Handoff":
        return cls(
            handoff_id=str(uuid.uuid4()),
            case_id=case_id,
            from_agency=Agency(from_agency),
            to_agency=PURPOSE_RECEIVER[HandoffPurpose(purpose)],
            purpose=HandoffPurpose(purpose),
            requested_at=at,
            reason=reason,
            to_unit=to_unit,
        )

    def accept(self, at: datetime) -> None:
        self._answer(HandoffStatus.ACCEPTED, at)

    def return_(self, at: datetime, reason: str) -> None:
        if not reason or not reason.strip():
            raise ValueError("a returned handoff needs a reason")
        self._answer(HandoffStatus.RETURNED, at)
        self.reason = reason

    def _answer(self, status: HandoffStatus, at: datetime) -> None:
        if self.status is not HandoffStatus.PENDING:
            raise HandoffAlreadyAnswered(f"handoff {self.handoff_id} is already {self.status}")
        if at < self.requested_at:
            raise ValueError("a handoff cannot be answered before it was requested")
        self.status = status
        self.answered_at = at

    @property
    def wait_seconds(self) -> float | None:
        if self.answered_at is None:
            return None
        return (self.answered_at - self.requested_at).total_seconds()
