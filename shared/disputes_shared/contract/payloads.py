"""The payload schemas (marshmallow) of every event type, by ``(event_type, major version)``.

Broadcast lifecycle events carry no personal data; only ``handoff.dossier``, sent to the one
agency a case is handed to, carries the parties' names, ID numbers and phones. How a payload
travels, and how its versions are read, is the envelope's business (``envelope``).
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, validate, validates_schema

from ..clocks.kinds import ClockKind
from .agencies import Agency
from .handoff import HandoffPurpose
from .personal_numbers import DOSSIER_V1_PHONE_SHAPE, RESIDENT_ID_PATTERN, mobile_problem, resident_id_problem
from .purposes import PURPOSES as PURPOSE_STATEMENTS
from .purposes import allowed_fields, dossier_fields, outside_purpose, published_purposes
from .registry import OUTSIDE_AGENCIES, AgencyStatus, Purpose
from .strict import AMOUNT_PATTERN, Amount, Bounded, Day, Flag, Instant, Number, RuleCheck, WholeNumber
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
    WARNING_RULES,
    LimitationStatus,
    ReadPurpose,
    ReadVia,
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

    subject = fields.Str(required=True, validate=validate.Length(min=1, max=200),
        metadata={"description": "Who acted: the subject (sub) of their verified sign-in token"})
    role = fields.Str(required=True, validate=validate.OneOf(STAFF_ROLES),
        metadata={"description": "The role they acted in, as their token grants it"})


class _Payload(Bounded):
    """A payload of one major version; ``minor`` counts the optional fields added since."""

    minor: ClassVar[int] = 0

    class Meta:
        # Minor versions may add optional fields: a consumer ignores what it does not know.
        unknown = EXCLUDE

    # Every type's next minor: the signed-in person acting, absent for the system's own acts
    # (triage, timers, consumed events) and a worker filing online.
    actor = fields.Nested(Actor, allow_none=True, unknown=EXCLUDE,
        metadata={"description": "The signed-in person whose command caused the event; absent for "
                                 "the system's own acts and a worker filing online"})


REF_PATTERN = r"^[0-9a-f]{16}$"  # employer_ref and worker_ref: 16 hex digits


class CaseFiled(_Payload):
    minor = 4  # 1.1: actor; 1.2: ``employer_ref`` and ``platform``; 1.3: ``worker_ref``; 1.4: ``employer_ref`` keyed
    channel = fields.Str(required=True, validate=validate.OneOf(CHANNELS),
        metadata={"description": "How the claim reached intake: online (the worker), counter (an intake "
                                 "clerk), hotline_12345 / hotline_12333 (a hotline operator took it down), "
                                 "referral (another body referred the worker)"})
    industry = fields.Str(required=True, validate=validate.OneOf(INDUSTRIES),
        metadata={"description": "The worker's industry, as the worker gave it"})
    relationship = fields.Str(required=True, validate=validate.OneOf(RELATIONSHIPS),
        metadata={"description": "The working relationship (the 2021 guideline's three categories): "
                                 "employment, incomplete_employment (platform work without a full "
                                 "employment contract) or civil"})
    claim_types = fields.List(fields.Str(validate=validate.OneOf(CLAIM_TYPES)), required=True,
                              validate=validate.Length(min=1),
        metadata={"description": "What the worker claims; unpaid_wages makes it a wage-arrears case"})
    amount_claimed = amount_field(required=True,
        metadata={"description": "The total the worker claims, in yuan"})
    worker_count = WholeNumber(required=True, validate=validate.Range(min=1),
        metadata={"description": "How many workers bring the claim together (10 or more: a collective "
                                 "dispute)"})
    district = fields.Str(required=True,
        metadata={"description": "The district the worker files in (the nearest mediation station is "
                                 "sought from its centre)"})
    legal_aid_requested = Flag(required=True,
        metadata={"description": "The worker asked for legal aid; intake hands the case to legal aid as "
                                 "well"})
    chosen_station_id = fields.Str(allow_none=True, load_default=None,
        metadata={"description": "The mediation station the worker chose (an id of the station directory), "
                                 "or null"})
    employer_ref = fields.Str(allow_none=True, load_default=None,
                              validate=validate.Regexp(REF_PATTERN),
        metadata={"description": "The employer as compared across claims, without its name: the first 16 "
                                 "hex digits of an HMAC-SHA-256 of its normalised name (width, case and "
                                 "spaces do not count) under a key only intake holds, so the same employer "
                                 "has the same ref and no one without the key can confirm a guessed name. "
                                 "Before 1.4 it was an unkeyed SHA-256 of the name: a ref of 1.3 or earlier "
                                 "never equals one of 1.4 for the same employer. Null from a publisher "
                                 "before 1.1"})
    platform = fields.Str(allow_none=True, load_default=None, validate=validate.Length(min=1, max=200),
        metadata={"description": "The platform company the work was found through (a company, never a "
                                 "person), or null"})
    worker_ref = fields.Str(allow_none=True, load_default=None,
                            validate=validate.Regexp(REF_PATTERN),
        metadata={"description": "The worker (the first who files, for several) as compared across claims, "
                                 "without personal data: the first 16 hex digits of an HMAC-SHA-256 of the "
                                 "resident ID number under a key only intake holds, so the same worker has "
                                 "the same ref and no one without the key can tell who it is. Null from a "
                                 "publisher before 1.3"})


class LimitationRecord(Bounded):
    """Where the one-year limitation (art. 27) stood when the claim was filed."""

    class Meta:
        unknown = EXCLUDE

    status = fields.Str(required=True, validate=validate.OneOf([s.value for s in LimitationStatus]),
        metadata={"description": "running (within the year), expired (beyond it: the claim is flagged), "
                                 "not_running (wage arrears while the employment lasts, para. 4) or "
                                 "not_applicable (a civil relationship)"})
    runs_from = Day(allow_none=True, load_default=None,
        metadata={"description": "The day the one-year period runs from (China's date), or null when it "
                                 "does not run"})
    ends_on = Day(allow_none=True, load_default=None,
        metadata={"description": "The period's last day (China's date), or null when it does not run"})
    rule = fields.Str(required=True,
        metadata={"description": "The paragraph of art. 27 applied and why, in words"})


class CaseTriaged(_Payload):
    minor = 2  # 1.1: hand_to, rule_reasons, relationship, limitation; 1.2: actor
    station_id = fields.Str(required=True,
        metadata={"description": "The mediation station the case is sent to, or \"none\" when it goes to "
                                 "arbitration or a court (hand_to)"})
    station_kind = fields.Str(required=True,
        metadata={"description": "That station's kind (industry, union, people, pre_arbitration), or "
                                 "\"none\""})
    urgent = Flag(required=True,
        metadata={"description": "Flagged urgent (特事急诊): a joint consultation follows"})
    collective = Flag(required=True,
        metadata={"description": "A collective dispute (10 or more workers, art. 7)"})
    rules_fired = fields.List(fields.Str(), required=True,
        metadata={"description": "The names of the triage rules that fired, flags and the route taken"})
    # v1.1, optional: where the case went when not to a station, why each rule fired, the
    # working-relationship category that drove the routing, and the limitation.
    hand_to = fields.Str(load_default="mediation", validate=validate.OneOf(
        ["mediation", "arbitration", "litigation"]),
        metadata={"description": "Where the case goes: mediation (station_id), arbitration, or litigation "
                                 "(a civil claim with no people's station left)"})
    rule_reasons = fields.Dict(keys=fields.Str(), values=fields.Str(), load_default=dict,
        metadata={"description": "Why each rule in rules_fired fired, by rule name"})
    relationship = fields.Str(allow_none=True, load_default=None,
                              validate=validate.OneOf(RELATIONSHIPS),
        metadata={"description": "The working-relationship category that drove the routing"})
    limitation = fields.Nested(LimitationRecord, allow_none=True, load_default=None,
        metadata={"description": "Where the one-year limitation (art. 27) stood when the claim was filed"})


class ConsultationConvened(_Payload):
    """特事急诊: an urgent case gets a joint consultation of arbitrator, mediator and lawyer."""

    minor = 1  # 1.1: actor
    reasons = fields.List(fields.Str(), required=True, validate=validate.Length(min=1),
        metadata={"description": "Why the case is urgent: the flags that called the consultation"})
    roles = fields.List(fields.Str(validate=validate.OneOf(CONSULTATION_ROLES)), required=True,
        metadata={"description": "The roles that must sit: one each of arbitrator, mediator, lawyer"})


class ConsultationHeld(_Payload):
    minor = 1  # 1.1: actor
    participants = fields.Dict(keys=fields.Str(validate=validate.OneOf(CONSULTATION_ROLES)),
                               values=fields.Str(validate=validate.Length(min=1)), required=True,
        metadata={"description": "Who sat, by role: the person's staff id or name"})
    plan = fields.Str(required=True, validate=validate.Length(min=1, max=2000),
        metadata={"description": "The one plan the participants agreed for the case"})


EVIDENCE_MEDIA_TYPES = ("application/pdf", "image/jpeg", "image/png")  # what intake takes


class EvidenceReceived(_Payload):
    """证据材料: intake took a file the worker sent for the case. Says only that it arrived and
    what kind of file it is: the file and its name (which can name people) stay with intake,
    which gives them to whoever may read the case."""

    evidence_id = fields.Str(required=True, validate=validate.Length(min=1, max=64),
        metadata={"description": "Intake's id of the file, to fetch it from intake's evidence API"})
    media_type = fields.Str(required=True, validate=validate.OneOf(EVIDENCE_MEDIA_TYPES),
        metadata={"description": "What the file is, known by its first bytes: a PDF, a JPEG or a PNG"})
    size_bytes = WholeNumber(required=True, validate=validate.Range(min=1),
        metadata={"description": "The file's size in bytes"})
    sha256 = fields.Str(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"),
        metadata={"description": "The SHA-256 digest of the file's bytes, in hex: the same file "
                                 "sent twice has the same digest"})
    files_on_case = WholeNumber(required=True, validate=validate.Range(min=1),
        metadata={"description": "How many files the case holds, this one included"})
    received_at = Instant(required=True,
        metadata={"description": "When intake took the file (intake's clock)"})


class _HandoffFields(_Payload):
    minor = 1  # 1.1: the purpose ``payment_order``

    handoff_id = fields.Str(required=True,
        metadata={"description": "The handoff's id, given by the requesting agency; every answer and "
                                 "report on the handoff repeats it"})
    from_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES),
        metadata={"description": "The agency that requested the handoff (the answer goes back to it)"})
    to_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES),
        metadata={"description": "The agency asked to take the case up (the one that answers)"})
    purpose = fields.Str(required=True, validate=validate.OneOf(PURPOSES),
        metadata={"description": "What the receiving agency is asked to do"})
    requested_at = Instant(required=True,
        metadata={"description": "When the requesting agency requested the handoff (its clock); an "
                                 "answer's wait counts from it"})
    to_unit = fields.Str(allow_none=True, load_default=None,
        metadata={"description": "The unit within the receiving agency, e.g. the mediation station's id, "
                                 "or null"})


# The events with which an agency's work on a case ends; they carry ``worked_seconds``.
WORK_ENDING_EVENTS = frozenset({"handoff.requested", "case.closed", "legal_aid.granted",
                                "legal_aid.refused"})


def worked_seconds_field() -> fields.Float:
    """Minor (optional) field: how long the publishing agency worked on the case since it
    accepted it; absent where the agency never took the case up (intake)."""
    return Number(allow_none=True, load_default=None, validate=validate.Range(min=0), metadata={
        "description": "Seconds the publishing agency worked on the case, from its acceptance of "
                       "the handoff to this event; null where it never accepted one (intake)"})


class HandoffRequested(_HandoffFields):
    minor = 3  # 1.1 adds worked_seconds; 1.2 the purpose ``payment_order``; 1.3: actor
    reason = fields.Str(allow_none=True, load_default=None,
        metadata={"description": "Why the case is handed on: the routing rule that chose the receiver, or "
                                 "the requester's reason; null when none was given"})
    worked_seconds = worked_seconds_field()


class HandoffAccepted(_HandoffFields):
    minor = 2  # 1.2: actor
    accepted_at = Instant(required=True,
        metadata={"description": "When the receiving agency accepted the handoff (its clock)"})
    wait_seconds = Number(required=True, validate=validate.Range(min=0),
        metadata={"description": "Seconds from the request's requested_at to accepted_at: how long the "
                                 "handoff waited for its answer"})


class HandoffReturned(_HandoffFields):
    minor = 2  # 1.2: actor
    returned_at = Instant(required=True,
        metadata={"description": "When the receiving agency returned the handoff (its clock)"})
    wait_seconds = Number(required=True, validate=validate.Range(min=0),
        metadata={"description": "Seconds from the request's requested_at to returned_at: how long the "
                                 "handoff waited for its answer"})
    reason = fields.Str(required=True, validate=validate.Length(min=1),
        metadata={"description": "Why the receiving agency would not take the case up; the requester "
                                 "routes it on"})


class Person(Bounded):
    class Meta:
        unknown = RAISE

    name = fields.Str(required=True, validate=validate.Length(min=1, max=100),
        metadata={"description": "The person's full name (personal data)"})
    id_number = fields.Str(required=True, validate=RuleCheck(RESIDENT_ID_PATTERN, resident_id_problem),
        metadata={"description": "The 18-character resident ID number (personal data), checked by "
                                 "GB 11643-1999: region code, a real birth date (the holder at least "
                                 "16), check character"})
    phone = fields.Str(required=True, validate=RuleCheck(DOSSIER_V1_PHONE_SHAPE, mobile_problem),
        metadata={"description": "A mainland mobile number: 11 digits, starting 13 to 19 "
                                 "(personal data)"})


class Employer(Bounded):
    class Meta:
        unknown = RAISE

    name = fields.Str(required=True, validate=validate.Length(min=1, max=200),
        metadata={"description": "The employer's registered name"})
    platform = fields.Str(allow_none=True, load_default=None,
        metadata={"description": "The platform the work was found through (e.g. a delivery app), or null"})
    intermediary = fields.Str(allow_none=True, load_default=None,
        metadata={"description": "The contractor between platform and worker (众包/外包), or null"})


def _history_amount(**kwargs: Any) -> fields.Str:
    return fields.Str(validate=validate.Regexp(AMOUNT_PATTERN), **kwargs)


def _history_day(**kwargs: Any) -> fields.Str:
    return fields.Str(validate=validate.Regexp(Day.pattern), **kwargs)


class CaseHistory(Bounded):
    """What each agency that held the case decided, as it handed the case on (``AgencyCase.
    history``): each key is written by one agency, none is required, and a newer minor may add
    keys (a consumer ignores those it does not know)."""

    class Meta:
        unknown = EXCLUDE

    mediation_agreement = _history_amount(metadata={
        "description": "Mediation: the amount agreed, in yuan"})
    agreement_effective_on = _history_day(metadata={
        "description": "Mediation: the day (China's date) the agreement took effect; a court "
                       "returns a judicial confirmation applied for more than 30 days after it"})
    mediation_failed = fields.Str(metadata={
        "description": "Mediation: why it ended without agreement"})
    award = _history_amount(metadata={"description": "Arbitration: the award's total, in yuan"})
    final_for_employer = Flag(metadata={
        "description": "Arbitration: the award is final for the employer (art. 47)"})
    award_period_extended = WholeNumber(validate=validate.Range(min=1), metadata={
        "description": "Arbitration: days the award period was extended by (art. 43: once, at "
                       "most 15)"})
    set_aside_applied = Flag(metadata={
        "description": "Arbitration: the employer applied to set the final award aside (art. 49)"})
    award_overdue = Flag(metadata={
        "description": "Arbitration: no award within the period (art. 43): a party may sue"})
    award_effective_on = _history_day(metadata={
        "description": "Arbitration: the day (China's date) the award took effect"})
    late = fields.List(fields.Str(validate=validate.OneOf([k.value for k in ClockKind])),
                       metadata={"description": "The statutory clocks that ran out before what "
                                                "they wait for was done, by kind (the last "
                                                "agency to record any)"})
    ruling = fields.Str(validate=validate.OneOf(["confirmed", "judgment", "dismissed"]), metadata={
        "description": "Courts: the ruling entered"})
    amount_ruled = _history_amount(metadata={"description": "Courts: the amount ruled, in yuan"})
    payment_order_objected = Flag(metadata={
        "description": "Courts: the debtor objected to the payment order"})
    payment_order_unanswered = Flag(metadata={
        "description": "Courts: the payment order's time to answer passed without payment or "
                       "objection: it may be enforced"})
    case_outcome = fields.Str(validate=validate.OneOf(CLOSE_OUTCOMES), metadata={
        "description": "Legal aid: how the case it followed ended"})


class CaseDossier(Bounded):
    """What the receiving agency needs to act: the parties (personal data) and the case so far."""

    class Meta:
        unknown = EXCLUDE

    # Inside an event, a newer minor version may add fields to a party: ignore them.
    worker = fields.Nested(Person, required=True, unknown=EXCLUDE,
        metadata={"description": "The worker who filed (personal data; for the workers of a group, the one "
                                 "who filed)"})
    migrant_worker = Flag(load_default=False,
        metadata={"description": "A migrant worker (农民工): legal aid exempts them from the means test for "
                                 "pay and injury claims"})
    worker_count = WholeNumber(required=True, validate=validate.Range(min=1),
        metadata={"description": "How many workers bring the claim together"})
    employer = fields.Nested(Employer, required=True, unknown=EXCLUDE,
        metadata={"description": "The employer the claim is against"})
    industry = fields.Str(required=True, validate=validate.OneOf(INDUSTRIES),
        metadata={"description": "The worker's industry"})
    relationship = fields.Str(required=True, validate=validate.OneOf(RELATIONSHIPS),
        metadata={"description": "The working-relationship category: employment, incomplete_employment or "
                                 "civil"})
    claim_types = fields.List(fields.Str(validate=validate.OneOf(CLAIM_TYPES)), required=True,
                              validate=validate.Length(min=1),
        metadata={"description": "What the worker claims"})
    amount_claimed = amount_field(required=True,
        metadata={"description": "The total claimed, in yuan"})
    district = fields.Str(required=True,
        metadata={"description": "The district the claim was filed in"})
    filed_at = Instant(required=True,
        metadata={"description": "When intake received the claim"})
    history = fields.Nested(CaseHistory, load_default=dict,
        metadata={"description": "What the agencies that held the case before decided, added by each as it "
                                 "hands the case on (keys named by the agency that writes them)"})
    # v1.1, optional: flagged urgent at triage; the limitation as it stood on filing.
    urgent = Flag(load_default=False,
        metadata={"description": "Flagged urgent at triage (特事急诊)"})
    limitation = fields.Nested(LimitationRecord, allow_none=True, load_default=None,
        metadata={"description": "Where the one-year limitation (art. 27) stood when the claim was filed, "
                                 "or null"})


class HandoffDossier(HandoffRequested):
    minor = 4  # 1.2: the purpose ``payment_order``; the dossier's urgent and limitation; 1.3: history typed; 1.4: actor
    dossier = fields.Nested(CaseDossier, required=True,
        metadata={"description": "What the receiving agency needs to act on the case: the parties "
                                 "(personal data) and the case so far"})


def _optional_copy(schema: type[Bounded], name: str, doc: str,
                   **replaced: fields.Field) -> type[Bounded]:
    """``schema`` with every field optional and without a default: a field is there when it
    was sent, and only then."""
    declared = {}
    for key, field in schema._declared_fields.items():
        field = copy.copy(field)
        field.required, field.load_default = False, missing
        declared[key] = field
    return type(name, (schema,), {**declared, **replaced, "__doc__": doc})


PurposePerson = _optional_copy(
    Person, "PurposePerson", "The worker: each part only where the handoff's purpose receives it.")
PurposeDossier = _optional_copy(
    CaseDossier, "PurposeDossier",
    "The dossier cut to the handoff's purpose: only the fields its purpose receives "
    "(``purposes.PURPOSES``).",
    worker=fields.Nested(PurposePerson, unknown=EXCLUDE, metadata={
        "description": "The worker who filed (personal data; for the workers of a group, the one "
                       "who filed): the parts the purpose receives"}))
# What a dossier of major 1 required: in major 2 each is still required where the purpose
# receives it.
REQUIRED_IN_DOSSIER = frozenset(
    {name for name, field in CaseDossier._declared_fields.items() if field.required} - {"worker"}
    | {f"worker.{name}" for name, field in Person._declared_fields.items() if field.required})


class HandoffDossierV2(HandoffRequested):
    """handoff.dossier, major 2: the dossier carries the fields its purpose receives and no
    other (x-purposes says which, and why); a field outside the purpose is refused."""

    minor = 0
    dossier = fields.Nested(PurposeDossier, required=True,
        metadata={"description": "What the receiving agency needs for the handoff's purpose, and "
                                 "only that: the fields x-purposes lists for it (personal data "
                                 "among them)"})

    @validates_schema
    def only_the_purpose(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "purpose" not in data or "dossier" not in data:
            return  # already refused by the fields themselves
        sent = dossier_fields(data["dossier"])
        allowed = allowed_fields(data["purpose"])
        problems: dict[str, Any] = {}
        for names, rule in ((outside_purpose(data["purpose"], sent),
                             f"not received for the purpose {data['purpose']}"),
                            (sorted(REQUIRED_IN_DOSSIER & allowed - sent), "required for the purpose")):
            for name in names:  # the worker's parts nested, as the errors of its fields are
                place, _, part = name.rpartition(".")
                (problems.setdefault(place, {}) if place else problems)[part] = [rule]
        if problems:
            raise ValidationError({"dossier": problems})

    @classmethod
    def published_constraints(cls) -> dict[str, Any]:
        """What JSON Schema can say of the rule above: per purpose, the dossier's fields."""
        return {"x-purposes": published_purposes(), "allOf": [
            purpose_constraint(str(purpose), statement.fields)
            for purpose, statement in PURPOSE_STATEMENTS.items()]}


def purpose_constraint(purpose: str, allowed: frozenset[str]) -> dict[str, Any]:
    """A JSON Schema ``if``/``then``: a payload of ``purpose`` has a dossier of ``allowed``."""
    top = sorted({name.split(".", 1)[0] for name in allowed})
    parts = sorted(name.split(".", 1)[1] for name in allowed if name.startswith("worker."))
    required = sorted(REQUIRED_IN_DOSSIER & allowed)
    return {"if": {"properties": {"purpose": {"const": purpose}}, "required": ["purpose"]},
            "then": {"properties": {"dossier": {
                "propertyNames": {"enum": top},
                "required": sorted({name.split(".", 1)[0] for name in required}),
                "properties": {"worker": {
                    "propertyNames": {"enum": parts},
                    "required": [n.split(".", 1)[1] for n in required if n.startswith("worker.")],
                }}}}}}


class AgreementReached(_Payload):
    minor = 1  # 1.1: actor
    amount_agreed = amount_field(required=True,
        metadata={"description": "What the employer agreed to pay, in yuan"})
    pay_by = Day(required=True,
        metadata={"description": "The day (China's date) by which the employer agreed to pay"})
    mediator_id = fields.Str(required=True,
        metadata={"description": "The mediator's staff id"})


class MediationFailed(_Payload):
    minor = 1  # 1.1: actor
    reason = fields.Str(required=True,
        metadata={"description": "Why mediation ended without agreement, in words"})
    mediator_id = fields.Str(required=True,
        metadata={"description": "The mediator's staff id"})


class SessionHeld(_Payload):
    minor = 1  # 1.1: actor
    session_number = WholeNumber(required=True, validate=validate.Range(min=1),
        metadata={"description": "The session's number in the case, from 1"})
    mode = fields.Str(required=True, validate=validate.OneOf(SESSION_MODES),
        metadata={"description": "in_person (线下) or video (视频调解)"})
    mediator_id = fields.Str(required=True,
        metadata={"description": "The mediator's staff id"})


class ArbitrationOffered(_Payload):
    """Art. 14: no agreement within 15 days of the station receiving the application."""

    minor = 1  # 1.1: actor
    citation = fields.Str(required=True,
        metadata={"description": "The article that allows it (art. 14)"})
    mediator_id = fields.Str(allow_none=True, load_default=None,
        metadata={"description": "The case's mediator's staff id, or null when none was assigned"})


class ArbitrationDeclined(_Payload):
    minor = 1  # 1.1: actor
    mediator_id = fields.Str(allow_none=True, load_default=None,
        metadata={"description": "The case's mediator's staff id, or null when none was assigned"})


class AgreementUnperformed(_Payload):
    """The agreed payment date passed unpaid: what the worker may now do."""

    minor = 1  # 1.1: actor
    pay_by = Day(required=True,
        metadata={"description": "The agreed payment day that passed (China's date)"})
    amount_agreed = amount_field(required=True,
        metadata={"description": "The amount agreed and not paid, in yuan"})
    remedies = fields.List(fields.Str(validate=validate.OneOf(
        ["judicial_confirmation", "arbitration", "payment_order"])), required=True,
        metadata={"description": "What the worker may now do: apply for judicial confirmation or a payment "
                                 "order, or go to arbitration"})


class SubsidyAssessed(_Payload):
    """以案定补: the mediator's subsidy for one case, by difficulty (amounts are regional)."""

    minor = 1  # 1.1: actor
    mediator_id = fields.Str(allow_none=True, load_default=None,
        metadata={"description": "The mediator the subsidy is for, or null when none was assigned"})
    difficulty = fields.Str(required=True, validate=validate.OneOf(SUBSIDY_DIFFICULTIES),
        metadata={"description": "The case's grade: simple, ordinary, complex or major (by group size, "
                                 "urgency, claim types, sessions)"})
    amount = amount_field(required=True,
        metadata={"description": "The subsidy, in yuan (regional figures: the grade's amount, a share of "
                                 "it when no agreement came)"})
    ended = fields.Str(required=True, validate=validate.OneOf(["agreement", "failed", "withdrawn"]),
        metadata={"description": "How mediation ended: agreement, failed or withdrawn"})
    sessions = WholeNumber(required=True, validate=validate.Range(min=0),
        metadata={"description": "How many sessions were held"})


class LegalAidGranted(_Payload):
    minor = 2  # 1.1: worked_seconds; 1.2: actor
    lawyer_id = fields.Str(required=True,
        metadata={"description": "The aid lawyer assigned (staff id)"})
    means_test = fields.Str(required=True, validate=validate.OneOf(["exempt", "passed"]),
        metadata={"description": "exempt (art. 42: e.g. a migrant worker's pay or injury claim) or passed"})
    worked_seconds = worked_seconds_field()


class ProvisionalAidStarted(_Payload):
    """法律援助法 art. 44 (1): aid before review, the limitation running out within days."""

    minor = 1  # 1.1: actor
    lawyer_id = fields.Str(required=True,
        metadata={"description": "The aid lawyer assigned (staff id)"})
    citation = fields.Str(required=True,
        metadata={"description": "The article that allows aid before review (法律援助法 art. 44)"})
    limitation_ends_on = Day(required=True,
        metadata={"description": "The limitation's last day (China's date), fewer than 7 days away"})


class RepresentationContinued(_Payload):
    """The aid lawyer follows the case into arbitration or court."""

    minor = 1  # 1.1: actor
    lawyer_id = fields.Str(required=True,
        metadata={"description": "The aid lawyer who goes on representing the worker"})
    to_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES),
        metadata={"description": "Where the case has been handed: arbitration or the courts"})
    purpose = fields.Str(required=True, validate=validate.OneOf(PURPOSES),
        metadata={"description": "The purpose of that handoff"})
    handoff_id = fields.Str(required=True,
        metadata={"description": "The handoff the lawyer follows the case into"})


class LegalAidRefused(_Payload):
    minor = 2  # 1.1: worked_seconds; 1.2: actor
    reason = fields.Str(required=True,
        metadata={"description": "Why aid was refused, in words"})
    worked_seconds = worked_seconds_field()


class Awarded(_Payload):
    minor = 2  # 1.1: ``items``; 1.2: actor

    amount_awarded = amount_field(required=True,
        metadata={"description": "The award's total, in yuan"})
    final_for_employer = Flag(required=True,
        metadata={"description": "Final for the employer (一裁终局, art. 47): every item within its limit; the "
                                 "employer cannot sue, only apply to set it aside"})
    arbitrator_id = fields.Str(required=True,
        metadata={"description": "The presiding arbitrator's staff id"})
    # each item's amount, as art. 47 compares them one by one
    items = fields.Dict(keys=fields.Str(), values=amount_field(), load_default=None,
        metadata={"description": "Each item's amount in yuan, by item (art. 47 compares them one by one), "
                                 "or null when not itemised"})


class AwardEffective(_Payload):
    """No suit (arts. 48, 50) or set-aside application (art. 49) came in time."""

    minor = 1  # 1.1: actor
    final_for_employer = Flag(required=True,
        metadata={"description": "Whether the award was final for the employer (art. 47)"})
    effective_on = Day(required=True,
        metadata={"description": "The day (China's date) the award took effect: the windows to sue or set "
                                 "aside passed unused"})


class RulingEntered(_Payload):
    minor = 1  # 1.1: actor
    proceeding = fields.Str(required=True, validate=validate.OneOf(
        ["judicial_confirmation", "litigation", "enforcement"]),
        metadata={"description": "judicial_confirmation, litigation or enforcement"})
    ruling = fields.Str(required=True, validate=validate.OneOf(["confirmed", "judgment", "dismissed"]),
        metadata={"description": "confirmed (an agreement confirmed), judgment, or dismissed"})
    amount = amount_field(required=True,
        metadata={"description": "The amount ruled, in yuan"})


class PaymentOrderIssued(_Payload):
    """支付令: the debtor pays or objects in writing by ``respond_by``."""

    minor = 1  # 1.1: actor
    amount = amount_field(required=True,
        metadata={"description": "The amount ordered, in yuan"})
    respond_by = Day(required=True,
        metadata={"description": "The last day (China's date) for the debtor to pay or object"})


class PaymentOrderObjected(_Payload):
    """An objection ends the payment-order procedure; unless the applicant declines, the
    matter goes on as a suit (民事诉讼法, 督促程序)."""

    minor = 1  # 1.1: actor
    turned_to_litigation = Flag(required=True,
        metadata={"description": "The matter goes on as a suit (false: the applicant declined)"})


class EnforcementStarted(_Payload):
    minor = 1  # 1.1: actor
    amount_due = amount_field(required=True,
        metadata={"description": "The amount to enforce, in yuan"})


class InspectionConcluded(_Payload):
    """The labor-inspection bureau (劳动保障监察) reports back on a wage-arrears referral."""

    minor = 1  # 1.1: actor
    handoff_id = fields.Str(required=True,
        metadata={"description": "The labor-inspection referral this concludes; it must have been accepted "
                                 "by the bureau"})
    finding = fields.Str(required=True, validate=validate.OneOf(INSPECTION_FINDINGS),
        metadata={"description": "arrears_paid (the employer paid during the inspection), order_issued "
                                 "(责令支付), no_violation, referred_to_police (拒不支付劳动报酬罪)"})
    amount_recovered = amount_field(required=True,
        metadata={"description": "What the workers were paid as a result, in yuan"})
    workers_paid = WholeNumber(required=True, validate=validate.Range(min=0),
        metadata={"description": "How many workers were paid"})
    note = fields.Str(allow_none=True, load_default=None,
        metadata={"description": "The inspector's note, or null"})


class CaseClosed(_Payload):
    minor = 3  # 1.1 adds worked_seconds; 1.2 the outcome ``payment_order_paid``; 1.3: actor
    outcome = fields.Str(required=True, validate=validate.OneOf(CLOSE_OUTCOMES),
        metadata={"description": "How the case ended"})
    amount_recovered = amount_field(required=True,
        metadata={"description": "What the worker actually received (落实金额), in yuan"})
    days_open = WholeNumber(required=True, validate=validate.Range(min=0),
        metadata={"description": "Whole days from filing to closing"})
    worked_seconds = worked_seconds_field()


class ClockAnnounced(_Payload):
    """A statutory clock on the case (``clocks.kinds``): started, or counted again."""

    minor = 1  # 1.1: actor
    clock_id = fields.Str(required=True,
        metadata={"description": "The clock's id; every later clock event on it repeats it"})
    kind = fields.Str(required=True, validate=validate.OneOf([k.value for k in ClockKind]),
        metadata={"description": "Which statutory period the clock counts"})
    citation = fields.Str(required=True,
        metadata={"description": "The article that sets the period"})
    started_at = Instant(required=True,
        metadata={"description": "When the agency started the clock; the period counts from the day "
                                 "of the event that starts it, that day not counted"})
    last_day = Day(required=True,
        metadata={"description": "The period's last day (China's date; a last day off work moved to the "
                                 "next working day)"})
    due_at = Instant(required=True,
        metadata={"description": "The instant the period runs out: the end of last_day in China (UTC+8)"})
    provisional = Flag(required=True,
        metadata={"description": "Counted partly on an estimate of the rest days (a year the official "
                                 "calendar does not cover yet); recounted when it does"})
    extension_days = WholeNumber(required=True, validate=validate.Range(min=0),
        metadata={"description": "Days the period was extended by (art. 43: once, at most 15), 0 when not"})


class ClockExtended(ClockAnnounced):
    minor = 1  # 1.1: actor
    approved_by = fields.Str(required=True, validate=validate.Length(min=1),
        metadata={"description": "Who approved the extension (the commission's chair)"})


class ClockStopped(ClockAnnounced):
    minor = 1  # 1.1: actor
    reason = fields.Str(required=True,
        metadata={"description": "What was done in time"})


class ClockElapsed(ClockAnnounced):
    minor = 1  # 1.1: actor
    elapsed_means = fields.Str(required=True,
        metadata={"description": "What the law now allows, the period having run out"})


class WarningRaised(_Payload):
    """预警: a pattern across cases a centre should act on before it grows (analytics)."""

    rule = fields.Str(required=True, validate=validate.OneOf(WARNING_RULES),
        metadata={"description": "Which rule fired: group_dispute, repeat_employer, related_cases or spike"})
    subject = fields.Str(required=True, validate=validate.Length(min=1, max=200),
        metadata={"description": "What it is about: an employer_ref, a platform, or a series "
                                 "(industry/claim_type/district)"})
    case_ids = fields.List(fields.Str(validate=validate.Length(min=1, max=64)), required=True,
                           validate=validate.Length(max=200),
        metadata={"description": "The cases that made it fire (at most 200, the newest)"})
    figures = fields.Dict(keys=fields.Str(validate=validate.Length(max=64)), values=Number(),
                          required=True, validate=validate.Length(max=32),
        metadata={"description": "The figures it fired on and the thresholds they were held to, by name"})
    explanation = fields.Str(required=True, validate=validate.Length(min=1, max=2000),
        metadata={"description": "Why it fired, in a sentence a centre's head reads"})
    agencies = fields.List(fields.Str(validate=validate.OneOf(AGENCIES)), load_default=list,
                           validate=validate.Length(max=16),
        metadata={"description": "The agencies it is meant for (related cases: both arbitration and the "
                                 "courts); empty: every centre"})


class AgencyChanged(_Payload):
    """An outside agency registered, suspended, resumed or removed in intake's registry of the
    agencies it routes to. About no case: ``case_id`` is always ``agency-registry``."""

    agency = fields.Str(required=True, validate=validate.OneOf([a.value for a in OUTSIDE_AGENCIES]),
        metadata={"description": "The outside agency, by its source_agency value"})
    status = fields.Str(required=True, validate=validate.OneOf([s.value for s in AgencyStatus]),
        metadata={"description": "Its status from now on: active (routed to), suspended (nothing new "
                                 "routed; handoffs it holds stay pending with it) or removed"})
    purpose = fields.Str(required=True, validate=validate.OneOf([p.value for p in Purpose]),
        metadata={"description": "What it receives while active: wage_arrears_referrals (wage-arrears "
                                 "claims referred to labor inspection) or identity_only (nothing yet)"})
    changed_at = Instant(required=True,
        metadata={"description": "When the registry changed (intake's clock)"})


class PersonalDataRead(_Payload):
    """Someone read personal data of the case (PIPL arts. 51, 55): which fields, for what purpose.
    Names fields, never their values; the reader is ``actor`` (staff, as their verified token
    names them) or, with ``data_subject``, the case's worker reading their own claim with its
    access code. Sent in the same transaction as the read, before the data is answered."""

    fields_read = fields.List(fields.Str(validate=[validate.Length(min=1, max=64),
                                                   validate.Regexp(r"^[a-z_]+(\.[a-z_]+)*$")]),
                              required=True, validate=validate.Length(min=1, max=64),
        metadata={"description": "The personal fields the reader received, by dotted name "
                                 "(worker.id_number), never their values"})
    purpose = fields.Str(required=True, validate=validate.OneOf([p.value for p in ReadPurpose]),
        metadata={"description": "Why they were read: declared by the reader from this vocabulary, or "
                                 "implied by the command (data_subject_access: the worker's own read)"})
    via = fields.Str(required=True, validate=validate.OneOf([v.value for v in ReadVia]),
        metadata={"description": "How they were read: the agency's HTTP API or an RPC command"})
    data_subject = Flag(required=True,
        metadata={"description": "The reader is the case's worker (the data subject), proven by the "
                                 "claim's access code; false: the reader is the actor"})


ERASURE_GROUNDS = ("retention_expired", "worker_request")


class PersonalDataErased(_Payload):
    """A service destroyed a case's data key (crypto-shredding): every personal value it held of
    the case can no longer be read. Intake's announcement is also the request every other
    service holding the case acts on, each announcing its own. No personal data in it."""

    grounds = fields.Str(required=True, validate=validate.OneOf(ERASURE_GROUNDS),
        metadata={"description": "Why: retention_expired (the retention schedule's period after "
                                 "closure ran out, PIPL art. 19) or worker_request (the worker asked, "
                                 "PIPL art. 47)"})
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500),
        metadata={"description": "The reason as recorded: the request's reference, or the schedule's "
                                 "period; never a person's details"})
    request_id = fields.Str(required=True, validate=validate.Length(min=1, max=64),
        metadata={"description": "The erasure this belongs to: the event id of intake's "
                                 "announcement, repeated by every service that acts on it"})
    requested_by = fields.Nested(Actor, allow_none=True, load_default=None, unknown=EXCLUDE,
        metadata={"description": "The staff member who took down the worker's request; null for "
                                 "the schedule's erasures"})
    erased_at = Instant(required=True,
        metadata={"description": "When this service destroyed its key for the case"})


class EvidenceDeleted(_Payload):
    """Intake deleted a case's evidence files when their own retention period ran out (PIPL
    art. 19); the rest of the case's personal data is kept to its own period. The files' ids
    and digests were announced as they came (``case.evidence_received``); none of them, nor
    anything personal, is in this."""

    grounds = fields.Str(required=True, validate=validate.OneOf(("retention_expired",)),
        metadata={"description": "Why: retention_expired (the files' period after closure ran out)"})
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500),
        metadata={"description": "The schedule's period as it was applied, e.g. \"3 years after the "
                                 "case closed on 2026-03-02\""})
    files_deleted = WholeNumber(required=True, validate=validate.Range(min=1),
        metadata={"description": "How many of the case's files were deleted (all it held)"})
    deleted_at = Instant(required=True,
        metadata={"description": "When intake deleted them"})


PAYLOAD_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("case.filed", 1): CaseFiled,
    ("case.triaged", 1): CaseTriaged,
    ("consultation.convened", 1): ConsultationConvened,
    ("consultation.held", 1): ConsultationHeld,
    ("case.evidence_received", 1): EvidenceReceived,
    ("handoff.requested", 1): HandoffRequested,
    ("handoff.dossier", 1): HandoffDossier,
    ("handoff.dossier", 2): HandoffDossierV2,
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
    ("warning.raised", 1): WarningRaised,
    ("agency.changed", 1): AgencyChanged,
    ("personal_data.read", 1): PersonalDataRead,
    ("case.personal_data_erased", 1): PersonalDataErased,
    ("case.evidence_deleted", 1): EvidenceDeleted,
}
EVENT_TYPES = sorted({event_type for event_type, _ in PAYLOAD_SCHEMAS})
# The only event that carries personal data; it is never broadcast.
PERSONAL_DATA_EVENTS = frozenset({"handoff.dossier"})


class PersonalDataRefused(ValueError):
    """An event carrying personal data reached a consumer that must hold none (the trail,
    analytics): refused whole, nothing stored, parked with this reason."""
