"""Event envelope and payload schemas (marshmallow), with versions.

Every message on the broker is one envelope::

    {"event_id", "event_type", "schema_version": "1.0", "occurred_at", "case_id",
     "correlation_id", "causation_id", "source_agency", "payload": {...}}

The payload's schema is chosen by ``(event_type, major version)``. Broadcast lifecycle events
carry no personal data; only ``handoff.dossier``, sent to the one agency a case is handed to,
carries the parties' names, ID numbers and phones.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from .agencies import Agency
from .handoff import Handoff, HandoffPurpose
from .statutory_clocks import ClockKind

CURRENT_VERSION = "1.0"


class PoisonMessage(ValueError):
    """A message that can never be handled as sent: it is parked, not retried."""


class UnknownEventType(PoisonMessage):
    pass


@dataclass(frozen=True)
class Envelope:
    event_type: str
    case_id: str
    source_agency: Agency
    occurred_at: datetime
    payload: dict[str, Any]
    correlation_id: str
    causation_id: str | None = None
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    schema_version: str = CURRENT_VERSION

    @property
    def major(self) -> int:
        return int(self.schema_version.split(".", 1)[0])

    def caused(
        self,
        event_type: str,
        payload: dict[str, Any],
        source_agency: Agency,
        at: datetime,
    ) -> "Envelope":
        """A new event on the same case that this one caused."""
        return Envelope(
            event_type=event_type,
            case_id=self.case_id,
            source_agency=source_agency,
            occurred_at=at,
            payload=payload,
            correlation_id=self.correlation_id,
            causation_id=self.event_id,
        )


# -- payloads -----------------------------------------------------------------------------------

AGENCIES = [a.value for a in Agency]
PURPOSES = [p.value for p in HandoffPurpose]
INDUSTRIES = ["food_delivery", "ride_hailing", "express_delivery", "trucking", "domestic_service",
              "manufacturing", "construction", "retail", "other"]
RELATIONSHIPS = ["employment", "incomplete_employment", "civil"]  # 2021 guideline's three categories
CLAIM_TYPES = ["unpaid_wages", "work_injury", "penalties_deductions", "termination_compensation",
               "social_insurance", "relationship_recognition"]
CHANNELS = ["online", "counter", "hotline_12345", "hotline_12333", "referral"]
CLOSE_OUTCOMES = ["mediated", "withdrawn", "award_performed", "confirmed_and_paid",
                  "judgment_performed", "enforced", "abandoned", "payment_order_paid"]
def amount_field(**kwargs: Any) -> fields.Decimal:
    """Yuan: exact, two places, never negative, as text on the wire."""
    return fields.Decimal(as_string=True, places=2, validate=validate.Range(min=0), **kwargs)


class _Payload(Schema):
    class Meta:
        # Minor versions may add optional fields: a consumer ignores what it does not know.
        unknown = EXCLUDE


class CaseFiled(_Payload):
    channel = fields.Str(required=True, validate=validate.OneOf(CHANNELS))
    industry = fields.Str(required=True, validate=validate.OneOf(INDUSTRIES))
    relationship = fields.Str(required=True, validate=validate.OneOf(RELATIONSHIPS))
    claim_types = fields.List(fields.Str(validate=validate.OneOf(CLAIM_TYPES)), required=True,
                              validate=validate.Length(min=1))
    amount_claimed = amount_field(required=True)
    worker_count = fields.Int(required=True, validate=validate.Range(min=1))
    district = fields.Str(required=True)
    legal_aid_requested = fields.Bool(required=True)
    chosen_station_id = fields.Str(allow_none=True, load_default=None)


class CaseTriaged(_Payload):
    station_id = fields.Str(required=True)
    station_kind = fields.Str(required=True)
    urgent = fields.Bool(required=True)
    collective = fields.Bool(required=True)
    rules_fired = fields.List(fields.Str(), required=True)


class _HandoffFields(_Payload):
    handoff_id = fields.Str(required=True)
    from_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES))
    to_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES))
    purpose = fields.Str(required=True, validate=validate.OneOf(PURPOSES))
    requested_at = fields.AwareDateTime(required=True)
    to_unit = fields.Str(allow_none=True, load_default=None)


class HandoffRequested(_HandoffFields):
    reason = fields.Str(allow_none=True, load_default=None)


class HandoffAccepted(_HandoffFields):
    accepted_at = fields.AwareDateTime(required=True)
    wait_seconds = fields.Float(required=True, validate=validate.Range(min=0))


class HandoffReturned(_HandoffFields):
    returned_at = fields.AwareDateTime(required=True)
    wait_seconds = fields.Float(required=True, validate=validate.Range(min=0))
    reason = fields.Str(required=True, validate=validate.Length(min=1))


class Person(Schema):
    class Meta:
        unknown = RAISE

    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    id_number = fields.Str(required=True, validate=validate.Regexp(r"^\d{17}[\dXx]$",
                           error="must be an 18-character resident ID number"))
    phone = fields.Str(required=True, validate=validate.Regexp(r"^1\d{10}$",
                       error="must be an 11-digit mobile number"))


class Employer(Schema):
    class Meta:
        unknown = RAISE

    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    platform = fields.Str(allow_none=True, load_default=None)
    intermediary = fields.Str(allow_none=True, load_default=None)  # 众包/外包 contractor


class CaseDossier(Schema):
    """What the receiving agency needs to act: the parties (personal data) and the case so far."""

    class Meta:
        unknown = EXCLUDE

    # Inside an event, a newer minor version may add fields to a party: ignore them.
    worker = fields.Nested(Person, required=True, unknown=EXCLUDE)
    migrant_worker = fields.Bool(load_default=False)
    worker_count = fields.Int(required=True, validate=validate.Range(min=1))
    employer = fields.Nested(Employer, required=True, unknown=EXCLUDE)
    industry = fields.Str(required=True, validate=validate.OneOf(INDUSTRIES))
    relationship = fields.Str(required=True, validate=validate.OneOf(RELATIONSHIPS))
    claim_types = fields.List(fields.Str(validate=validate.OneOf(CLAIM_TYPES)), required=True,
                              validate=validate.Length(min=1))
    amount_claimed = amount_field(required=True)
    district = fields.Str(required=True)
    filed_at = fields.AwareDateTime(required=True)
    history = fields.Dict(keys=fields.Str(), load_default=dict)  # outcomes so far, by agency


class HandoffDossier(HandoffRequested):
    dossier = fields.Nested(CaseDossier, required=True)


class AgreementReached(_Payload):
    amount_agreed = amount_field(required=True)
    pay_by = fields.Date(required=True)
    mediator_id = fields.Str(required=True)


class MediationFailed(_Payload):
    reason = fields.Str(required=True)
    mediator_id = fields.Str(required=True)


class LegalAidGranted(_Payload):
    lawyer_id = fields.Str(required=True)
    means_test = fields.Str(required=True, validate=validate.OneOf(["exempt", "passed"]))


class LegalAidRefused(_Payload):
    reason = fields.Str(required=True)


class Awarded(_Payload):
    amount_awarded = amount_field(required=True)
    final_for_employer = fields.Bool(required=True)  # 一裁终局, art. 47
    arbitrator_id = fields.Str(required=True)
    # v1.1: each item's amount, as art. 47 compares them one by one
    items = fields.Dict(keys=fields.Str(), values=amount_field(), load_default=None)


class AwardEffective(_Payload):
    """No suit (arts. 48, 50) or set-aside application (art. 49) came in time."""

    final_for_employer = fields.Bool(required=True)
    effective_on = fields.Date(required=True)


class RulingEntered(_Payload):
    proceeding = fields.Str(required=True, validate=validate.OneOf(
        ["judicial_confirmation", "litigation", "enforcement"]))
    ruling = fields.Str(required=True, validate=validate.OneOf(["confirmed", "judgment", "dismissed"]))
    amount = amount_field(required=True)


class PaymentOrderIssued(_Payload):
    """支付令: the debtor pays or objects in writing by ``respond_by``."""

    amount = amount_field(required=True)
    respond_by = fields.Date(required=True)


class PaymentOrderObjected(_Payload):
    """An objection ends the payment-order procedure; unless the applicant declines, the
    matter goes on as a suit (民事诉讼法, 督促程序)."""

    turned_to_litigation = fields.Bool(required=True)


class EnforcementStarted(_Payload):
    amount_due = amount_field(required=True)


class CaseClosed(_Payload):
    outcome = fields.Str(required=True, validate=validate.OneOf(CLOSE_OUTCOMES))
    amount_recovered = amount_field(required=True)  # 落实金额
    days_open = fields.Int(required=True, validate=validate.Range(min=0))


class ClockAnnounced(_Payload):
    """A statutory clock on the case (``statutory_clocks``): started, or counted again."""

    clock_id = fields.Str(required=True)
    kind = fields.Str(required=True, validate=validate.OneOf([k.value for k in ClockKind]))
    citation = fields.Str(required=True)
    started_at = fields.AwareDateTime(required=True)
    last_day = fields.Date(required=True)
    due_at = fields.AwareDateTime(required=True)
    provisional = fields.Bool(required=True)  # counted partly on weekends alone
    extension_days = fields.Int(required=True, validate=validate.Range(min=0))


class ClockExtended(ClockAnnounced):
    approved_by = fields.Str(required=True, validate=validate.Length(min=1))


class ClockStopped(ClockAnnounced):
    reason = fields.Str(required=True)  # what was done in time


class ClockElapsed(ClockAnnounced):
    elapsed_means = fields.Str(required=True)  # what the law now allows


PAYLOAD_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("case.filed", 1): CaseFiled,
    ("case.triaged", 1): CaseTriaged,
    ("handoff.requested", 1): HandoffRequested,
    ("handoff.dossier", 1): HandoffDossier,
    ("handoff.accepted", 1): HandoffAccepted,
    ("handoff.returned", 1): HandoffReturned,
    ("mediation.agreement_reached", 1): AgreementReached,
    ("mediation.failed", 1): MediationFailed,
    ("legal_aid.granted", 1): LegalAidGranted,
    ("legal_aid.refused", 1): LegalAidRefused,
    ("arbitration.awarded", 1): Awarded,
    ("arbitration.award_effective", 1): AwardEffective,
    ("court.ruling_entered", 1): RulingEntered,
    ("court.payment_order_issued", 1): PaymentOrderIssued,
    ("court.payment_order_objected", 1): PaymentOrderObjected,
    ("court.enforcement_started", 1): EnforcementStarted,
    ("case.closed", 1): CaseClosed,
    ("clock.started", 1): ClockAnnounced,
    ("clock.recounted", 1): ClockAnnounced,
    ("clock.extended", 1): ClockExtended,
    ("clock.stopped", 1): ClockStopped,
    ("clock.elapsed", 1): ClockElapsed,
}
EVENT_TYPES = sorted({event_type for event_type, _ in PAYLOAD_SCHEMAS})
# The only event that carries personal data; it is never broadcast.
PERSONAL_DATA_EVENTS = frozenset({"handoff.dossier"})


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    event_type = fields.Str(required=True, validate=validate.Regexp(r"^[a-z_]+\.[a-z_]+$"))
    schema_version = fields.Str(required=True, validate=validate.Regexp(r"^\d+\.\d+$"))
    occurred_at = fields.AwareDateTime(required=True)
    case_id = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    correlation_id = fields.Str(required=True)
    causation_id = fields.Str(allow_none=True, load_default=None)
    source_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES))
    payload = fields.Dict(required=True)


def payload_schema(event_type: str, major: int) -> Schema:
    try:
        return PAYLOAD_SCHEMAS[(event_type, major)]()
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r} version {major}") from None


def encode(envelope: Envelope) -> str:
    """The envelope as JSON text, its payload validated and normalised by its schema."""
    schema = payload_schema(envelope.event_type, envelope.major)
    # Load, then dump: values may come typed (Decimal, datetime) or already as JSON text.
    try:
        payload = schema.dump(schema.load(json.loads(json.dumps(envelope.payload, default=_as_text))))
    except ValidationError as exc:
        raise ValueError(f"{envelope.event_type} payload is invalid: {exc.messages}") from None
    document = {
        "event_id": envelope.event_id,
        "event_type": envelope.event_type,
        "schema_version": envelope.schema_version,
        "occurred_at": envelope.occurred_at.isoformat(),
        "case_id": envelope.case_id,
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
        "source_agency": str(envelope.source_agency),
        "payload": payload,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def _as_text(value: Any) -> str:
    if isinstance(value, Decimal) or hasattr(value, "isoformat"):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(body: str | bytes | dict[str, Any]) -> Envelope:
    """Parse and validate a message; raise ``PoisonMessage`` saying what is wrong with it."""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PoisonMessage(f"body is not UTF-8: {exc}") from None
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError as exc:
            raise PoisonMessage(f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise PoisonMessage("body is not a JSON object")
    try:
        head = EnvelopeSchema().load(body)
    except ValidationError as exc:
        raise PoisonMessage(f"invalid envelope: {exc.messages}") from None
    major = int(head["schema_version"].split(".", 1)[0])
    try:
        payload = payload_schema(head["event_type"], major).load(head["payload"])
    except ValidationError as exc:
        raise PoisonMessage(f"invalid {head['event_type']} payload: {exc.messages}") from None
    return Envelope(
        event_id=str(head["event_id"]),
        event_type=head["event_type"],
        schema_version=head["schema_version"],
        occurred_at=head["occurred_at"],
        case_id=head["case_id"],
        correlation_id=head["correlation_id"],
        causation_id=head["causation_id"],
        source_agency=Agency(head["source_agency"]),
        payload=payload,
    )


def handoff_fields(handoff: Handoff) -> dict[str, Any]:
    return {
        "handoff_id": handoff.handoff_id,
        "from_agency": str(handoff.from_agency),
        "to_agency": str(handoff.to_agency),
        "purpose": str(handoff.purpose),
        "requested_at": handoff.requested_at,
        "to_unit": handoff.to_unit,
    }


def handoff_answer_payload(handoff: Handoff) -> tuple[str, dict[str, Any]]:
    """The event type and payload that announce a handoff's answer."""
    payload = handoff_fields(handoff)
    payload["wait_seconds"] = handoff.wait_seconds
    if handoff.status == "accepted":
        payload["accepted_at"] = handoff.answered_at
        return "handoff.accepted", payload
    payload["returned_at"] = handoff.answered_at
    payload["reason"] = handoff.reason
    return "handoff.returned", payload


def money(value: Any) -> Decimal:
    """A yuan amount from what a caller sent (number or text); a clear error for anything else."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise ValueError(f"an amount must be a number of yuan, not {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"an amount must be zero or more yuan, not {value!r}")
    return amount
