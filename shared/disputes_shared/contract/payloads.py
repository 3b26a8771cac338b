"""The payload schemas (marshmallow) of every event type, by ``(event_type, major version)``.

Broadcast lifecycle events carry no personal data; only ``handoff.dossier``, sent to the one
agency a case is handed to, carries the parties' names, ID numbers and phones. How a payload
travels, and how its versions are read, is the envelope's business (``envelope``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from ..clocks.kinds import ClockKind
from .agencies import Agency
from .handoff import HandoffPurpose
from .strict import Amount, Bounded, Day, Flag, Instant, Number, WholeNumber
from .vocabularies import (
    CHANNELS,
    CLAIM_TYPES,
    CLOSE_OUTCOMES,
    CONSULTATION_ROLES,
    INDUSTRIES,
    INSPECTION_FINDINGS,
    RELATIONSHIPS,
    SESSION_MODES,
    STAFF_ROLES,
    SUBSIDY_DIFFICULTIES,
    LimitationStatus,
)

AGENCIES = [a.value for a in Agency]
PURPOSES = [p.value for p in HandoffPurpose]


def amount_field(**kwargs: Any) -> fields.Decimal:
    """Yuan: exact, two places, 0 to ``MAX_AMOUNT``, as text on the wire."""
    return Amount(**kwargs)


class Actor(Bounded):
    """The person whose command caused the event, as their verified token names them."""

    class Meta:
        unknown = EXCLUDE

    subject = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    role = fields.Str(required=True, validate=validate.OneOf(STAFF_ROLES))


class _Payload(Bounded):
    """A payload of one major version; ``minor`` counts the optional fields added since."""

    minor: ClassVar[int] = 0

    class Meta:
        # Minor versions may add optional fields: a consumer ignores what it does not know.
        unknown = EXCLUDE

    # Every type's next minor: the signed-in person acting, absent for the system's own acts
    # (triage, timers, consumed events) and a worker filing online.
    actor = fields.Nested(Actor, allow_none=True, unknown=EXCLUDE)


class CaseFiled(_Payload):
    minor = 1  # 1.1: actor
    channel = fields.Str(required=True, validate=validate.OneOf(CHANNELS))
    industry = fields.Str(required=True, validate=validate.OneOf(INDUSTRIES))
    relationship = fields.Str(required=True, validate=validate.OneOf(RELATIONSHIPS))
    claim_types = fields.List(fields.Str(validate=validate.OneOf(CLAIM_TYPES)), required=True,
                              validate=validate.Length(min=1))
    amount_claimed = amount_field(required=True)
    worker_count = WholeNumber(required=True, validate=validate.Range(min=1))
    district = fields.Str(required=True)
    legal_aid_requested = Flag(required=True)
    chosen_station_id = fields.Str(allow_none=True, load_default=None)


class LimitationRecord(Bounded):
    """Where the one-year limitation (art. 27) stood when the claim was filed."""

    class Meta:
        unknown = EXCLUDE

    status = fields.Str(required=True, validate=validate.OneOf([s.value for s in LimitationStatus]))
    runs_from = Day(allow_none=True, load_default=None)
    ends_on = Day(allow_none=True, load_default=None)
    rule = fields.Str(required=True)


class CaseTriaged(_Payload):
    minor = 2  # 1.1: hand_to, rule_reasons, relationship, limitation; 1.2: actor
    station_id = fields.Str(required=True)
    station_kind = fields.Str(required=True)
    urgent = Flag(required=True)
    collective = Flag(required=True)
    rules_fired = fields.List(fields.Str(), required=True)
    # v1.1, optional: where the case went when not to a station, why each rule fired, the
    # working-relationship category that drove the routing, and the limitation.
    hand_to = fields.Str(load_default="mediation", validate=validate.OneOf(
        ["mediation", "arbitration", "litigation"]))
    rule_reasons = fields.Dict(keys=fields.Str(), values=fields.Str(), load_default=dict)
    relationship = fields.Str(allow_none=True, load_default=None,
                              validate=validate.OneOf(RELATIONSHIPS))
    limitation = fields.Nested(LimitationRecord, allow_none=True, load_default=None)


class ConsultationConvened(_Payload):
    """特事急诊: an urgent case gets a joint consultation of arbitrator, mediator and lawyer."""

    minor = 1  # 1.1: actor

    reasons = fields.List(fields.Str(), required=True, validate=validate.Length(min=1))
    roles = fields.List(fields.Str(validate=validate.OneOf(CONSULTATION_ROLES)), required=True)


class ConsultationHeld(_Payload):
    minor = 1  # 1.1: actor
    participants = fields.Dict(keys=fields.Str(validate=validate.OneOf(CONSULTATION_ROLES)),
                               values=fields.Str(validate=validate.Length(min=1)), required=True)
    plan = fields.Str(required=True, validate=validate.Length(min=1, max=2000))


class _HandoffFields(_Payload):
    minor = 1  # 1.1: the purpose ``payment_order``

    handoff_id = fields.Str(required=True)
    from_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES))
    to_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES))
    purpose = fields.Str(required=True, validate=validate.OneOf(PURPOSES))
    requested_at = Instant(required=True)
    to_unit = fields.Str(allow_none=True, load_default=None)


# The events with which an agency's work on a case ends; they carry ``worked_seconds``.
WORK_ENDING_EVENTS = frozenset({"handoff.requested", "case.closed", "legal_aid.granted",
                                "legal_aid.refused"})


def worked_seconds_field() -> fields.Float:
    """Minor (optional) field: how long the publishing agency worked on the case since it
    accepted it; absent where the agency never took the case up (intake)."""
    return Number(allow_none=True, load_default=None, validate=validate.Range(min=0))


class HandoffRequested(_HandoffFields):
    minor = 3  # 1.1 adds worked_seconds; 1.2 the purpose ``payment_order``; 1.3: actor
    reason = fields.Str(allow_none=True, load_default=None)  # the routing rule, or why
    worked_seconds = worked_seconds_field()


class HandoffAccepted(_HandoffFields):
    minor = 2  # 1.2: actor
    accepted_at = Instant(required=True)
    wait_seconds = Number(required=True, validate=validate.Range(min=0))


class HandoffReturned(_HandoffFields):
    minor = 2  # 1.2: actor
    returned_at = Instant(required=True)
    wait_seconds = Number(required=True, validate=validate.Range(min=0))
    reason = fields.Str(required=True, validate=validate.Length(min=1))


class Person(Bounded):
    class Meta:
        unknown = RAISE

    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    id_number = fields.Str(required=True, validate=validate.Regexp(r"^\d{17}[\dXx]$",
                           error="must be an 18-character resident ID number"))
    phone = fields.Str(required=True, validate=validate.Regexp(r"^1\d{10}$",
                       error="must be an 11-digit mobile number"))


class Employer(Bounded):
    class Meta:
        unknown = RAISE

    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    platform = fields.Str(allow_none=True, load_default=None)
    intermediary = fields.Str(allow_none=True, load_default=None)  # 众包/外包 contractor


class CaseDossier(Bounded):
    """What the receiving agency needs to act: the parties (personal data) and the case so far."""

    class Meta:
        unknown = EXCLUDE

    # Inside an event, a newer minor version may add fields to a party: ignore them.
    worker = fields.Nested(Person, required=True, unknown=EXCLUDE)
    migrant_worker = Flag(load_default=False)
    worker_count = WholeNumber(required=True, validate=validate.Range(min=1))
    employer = fields.Nested(Employer, required=True, unknown=EXCLUDE)
    industry = fields.Str(required=True, validate=validate.OneOf(INDUSTRIES))
    relationship = fields.Str(required=True, validate=validate.OneOf(RELATIONSHIPS))
    claim_types = fields.List(fields.Str(validate=validate.OneOf(CLAIM_TYPES)), required=True,
                              validate=validate.Length(min=1))
    amount_claimed = amount_field(required=True)
    district = fields.Str(required=True)
    filed_at = Instant(required=True)
    history = fields.Dict(keys=fields.Str(), load_default=dict)  # outcomes so far, by agency
    # v1.1, optional: flagged urgent at triage; the limitation as it stood on filing.
    urgent = Flag(load_default=False)
    limitation = fields.Nested(LimitationRecord, allow_none=True, load_default=None)


class HandoffDossier(HandoffRequested):
    minor = 3  # 1.2: the purpose ``payment_order``; the dossier's urgent and limitation; 1.3: actor
    dossier = fields.Nested(CaseDossier, required=True)


class AgreementReached(_Payload):
    minor = 1  # 1.1: actor
    amount_agreed = amount_field(required=True)
    pay_by = Day(required=True)
    mediator_id = fields.Str(required=True)


class MediationFailed(_Payload):
    minor = 1  # 1.1: actor
    reason = fields.Str(required=True)
    mediator_id = fields.Str(required=True)


class SessionHeld(_Payload):
    minor = 1  # 1.1: actor
    session_number = WholeNumber(required=True, validate=validate.Range(min=1))
    mode = fields.Str(required=True, validate=validate.OneOf(SESSION_MODES))
    mediator_id = fields.Str(required=True)


class ArbitrationOffered(_Payload):
    """Art. 14: no agreement within 15 days of the station receiving the application."""

    minor = 1  # 1.1: actor

    citation = fields.Str(required=True)
    mediator_id = fields.Str(allow_none=True, load_default=None)


class ArbitrationDeclined(_Payload):
    minor = 1  # 1.1: actor
    mediator_id = fields.Str(allow_none=True, load_default=None)


class AgreementUnperformed(_Payload):
    """The agreed payment date passed unpaid: what the worker may now do."""

    minor = 1  # 1.1: actor

    pay_by = Day(required=True)
    amount_agreed = amount_field(required=True)
    remedies = fields.List(fields.Str(validate=validate.OneOf(
        ["judicial_confirmation", "arbitration", "payment_order"])), required=True)


class SubsidyAssessed(_Payload):
    """以案定补: the mediator's subsidy for one case, by difficulty (amounts are regional)."""

    minor = 1  # 1.1: actor

    mediator_id = fields.Str(allow_none=True, load_default=None)
    difficulty = fields.Str(required=True, validate=validate.OneOf(SUBSIDY_DIFFICULTIES))
    amount = amount_field(required=True)
    ended = fields.Str(required=True, validate=validate.OneOf(["agreement", "failed", "withdrawn"]))
    sessions = WholeNumber(required=True, validate=validate.Range(min=0))


class LegalAidGranted(_Payload):
    minor = 2  # 1.1: worked_seconds; 1.2: actor
    lawyer_id = fields.Str(required=True)
    means_test = fields.Str(required=True, validate=validate.OneOf(["exempt", "passed"]))
    worked_seconds = worked_seconds_field()


class ProvisionalAidStarted(_Payload):
    """法律援助法 art. 44 (1): aid before review, the limitation running out within days."""

    minor = 1  # 1.1: actor

    lawyer_id = fields.Str(required=True)
    citation = fields.Str(required=True)
    limitation_ends_on = Day(required=True)


class RepresentationContinued(_Payload):
    """The aid lawyer follows the case into arbitration or court."""

    minor = 1  # 1.1: actor

    lawyer_id = fields.Str(required=True)
    to_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES))
    purpose = fields.Str(required=True, validate=validate.OneOf(PURPOSES))
    handoff_id = fields.Str(required=True)


class LegalAidRefused(_Payload):
    minor = 2  # 1.1: worked_seconds; 1.2: actor
    reason = fields.Str(required=True)
    worked_seconds = worked_seconds_field()


class Awarded(_Payload):
    minor = 2  # 1.1: ``items``; 1.2: actor

    amount_awarded = amount_field(required=True)
    final_for_employer = Flag(required=True)  # 一裁终局, art. 47
    arbitrator_id = fields.Str(required=True)
    # each item's amount, as art. 47 compares them one by one
    items = fields.Dict(keys=fields.Str(), values=amount_field(), load_default=None)


class AwardEffective(_Payload):
    """No suit (arts. 48, 50) or set-aside application (art. 49) came in time."""

    minor = 1  # 1.1: actor

    final_for_employer = Flag(required=True)
    effective_on = Day(required=True)


class RulingEntered(_Payload):
    minor = 1  # 1.1: actor
    proceeding = fields.Str(required=True, validate=validate.OneOf(
        ["judicial_confirmation", "litigation", "enforcement"]))
    ruling = fields.Str(required=True, validate=validate.OneOf(["confirmed", "judgment", "dismissed"]))
    amount = amount_field(required=True)


class PaymentOrderIssued(_Payload):
    """支付令: the debtor pays or objects in writing by ``respond_by``."""

    minor = 1  # 1.1: actor

    amount = amount_field(required=True)
    respond_by = Day(required=True)


class PaymentOrderObjected(_Payload):
    """An objection ends the payment-order procedure; unless the applicant declines, the
    matter goes on as a suit (民事诉讼法, 督促程序)."""

    minor = 1  # 1.1: actor

    turned_to_litigation = Flag(required=True)


class EnforcementStarted(_Payload):
    minor = 1  # 1.1: actor
    amount_due = amount_field(required=True)


class InspectionConcluded(_Payload):
    """The labor-inspection bureau (劳动保障监察) reports back on a wage-arrears referral."""

    minor = 1  # 1.1: actor

    handoff_id = fields.Str(required=True)  # the referral this concludes
    finding = fields.Str(required=True, validate=validate.OneOf(INSPECTION_FINDINGS))
    amount_recovered = amount_field(required=True)
    workers_paid = WholeNumber(required=True, validate=validate.Range(min=0))
    note = fields.Str(allow_none=True, load_default=None)


class CaseClosed(_Payload):
    minor = 3  # 1.1 adds worked_seconds; 1.2 the outcome ``payment_order_paid``; 1.3: actor
    outcome = fields.Str(required=True, validate=validate.OneOf(CLOSE_OUTCOMES))
    amount_recovered = amount_field(required=True)  # 落实金额
    days_open = WholeNumber(required=True, validate=validate.Range(min=0))
    worked_seconds = worked_seconds_field()


class ClockAnnounced(_Payload):
    """A statutory clock on the case (``clocks.kinds``): started, or counted again."""

    minor = 1  # 1.1: actor

    clock_id = fields.Str(required=True)
    kind = fields.Str(required=True, validate=validate.OneOf([k.value for k in ClockKind]))
    citation = fields.Str(required=True)
    started_at = Instant(required=True)
    last_day = Day(required=True)
    due_at = Instant(required=True)
    provisional = Flag(required=True)  # counted partly on an estimate of the rest days
    extension_days = WholeNumber(required=True, validate=validate.Range(min=0))


class ClockExtended(ClockAnnounced):
    minor = 1  # 1.1: actor
    approved_by = fields.Str(required=True, validate=validate.Length(min=1))


class ClockStopped(ClockAnnounced):
    minor = 1  # 1.1: actor
    reason = fields.Str(required=True)  # what was done in time


class ClockElapsed(ClockAnnounced):
    minor = 1  # 1.1: actor
    elapsed_means = fields.Str(required=True)  # what the law now allows


PAYLOAD_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("case.filed", 1): CaseFiled,
    ("case.triaged", 1): CaseTriaged,
    ("consultation.convened", 1): ConsultationConvened,
    ("consultation.held", 1): ConsultationHeld,
    ("handoff.requested", 1): HandoffRequested,
    ("handoff.dossier", 1): HandoffDossier,
    ("handoff.accepted", 1): HandoffAccepted,
    ("handoff.returned", 1): HandoffReturned,
    ("mediation.agreement_reached", 1): AgreementReached,
    ("mediation.failed", 1): MediationFailed,
    ("mediation.session_held", 1): SessionHeld,
    ("mediation.arbitration_offered", 1): ArbitrationOffered,
    ("mediation.arbitration_declined", 1): ArbitrationDeclined,
    ("mediation.agreement_unperformed", 1): AgreementUnperformed,
    ("mediation.subsidy_assessed", 1): SubsidyAssessed,
    ("legal_aid.granted", 1): LegalAidGranted,
    ("legal_aid.refused", 1): LegalAidRefused,
    ("legal_aid.provisional_aid_started", 1): ProvisionalAidStarted,
    ("legal_aid.representation_continued", 1): RepresentationContinued,
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
    ("inspection.concluded", 1): InspectionConcluded,
}
EVENT_TYPES = sorted({event_type for event_type, _ in PAYLOAD_SCHEMAS})
# The only event that carries personal data; it is never broadcast.
PERSONAL_DATA_EVENTS = frozenset({"handoff.dossier"})
