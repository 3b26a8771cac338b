"""The HTTP/RPC claim submission: what a worker (or a hotline operator for them) sends."""

from __future__ import annotations

from marshmallow import RAISE, ValidationError, fields, validate, validates_schema

from disputes_shared.contract.consent import SENSITIVE_DATA_CONSENT_TEXTS
from disputes_shared.contract.payloads import Employer, Person
from disputes_shared.contract.stations import DISTRICTS, stations
from disputes_shared.contract.strict import Amount, Bounded, Day, Flag, WholeNumber
from disputes_shared.contract.vocabularies import CHANNELS, CLAIM_TYPES, INDUSTRIES, RELATIONSHIPS
from disputes_shared.contract.wire import UnreadableBody, check_text, safe_errors
from disputes_shared.statute.limitation import Interruption


class Evidence(Bounded):
    class Meta:
        unknown = RAISE

    kind = fields.Str(required=True, validate=validate.OneOf(
        ["contract", "pay_slip", "chat_record", "platform_record", "medical_record", "other"]))
    description = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class LimitationInterruption(Bounded):
    class Meta:
        unknown = RAISE

    on = Day(required=True)
    kind = fields.Str(required=True, validate=validate.OneOf([str(i) for i in Interruption]))


class LimitationDates(Bounded):
    """The dates the one-year limitation (art. 27) is counted from; dates as YYYY-MM-DD."""

    class Meta:
        unknown = RAISE

    known_on = Day(required=True)  # knew, or should have known, of the infringement
    still_employed = Flag(load_default=False)
    employment_ended_on = Day(load_default=None, allow_none=True)
    interruptions = fields.List(fields.Nested(LimitationInterruption), load_default=list)

    @validates_schema
    def _consistent(self, data: dict, **_: object) -> None:
        if data.get("still_employed") and data.get("employment_ended_on"):
            raise ValidationError("an employment that ended is not still going on",
                                  "employment_ended_on")


CONSENT_REQUIRED = ("the worker's separate consent to the processing of their ID number (PIPL "
                    "art. 29) is required: true")


class ClaimSubmission(Bounded):
    class Meta:
        unknown = RAISE  # a misspelt field is named back to the sender, not silently dropped

    channel = fields.Str(required=True, validate=validate.OneOf(CHANNELS))
    worker = fields.Nested(Person, required=True)
    migrant_worker = Flag(load_default=False)  # 农民工: art. 42 means-test exemption
    worker_count = WholeNumber(load_default=1, validate=validate.Range(min=1, max=10000))
    employer = fields.Nested(Employer, required=True)
    industry = fields.Str(required=True, validate=validate.OneOf(INDUSTRIES))
    relationship = fields.Str(required=True, validate=validate.OneOf(RELATIONSHIPS))
    claim_types = fields.List(fields.Str(validate=validate.OneOf(CLAIM_TYPES)), required=True,
                              validate=validate.Length(min=1))
    amount_claimed = Amount(text_only=True, required=True)
    district = fields.Str(required=True, validate=validate.OneOf(DISTRICTS))
    legal_aid_requested = Flag(load_default=False)
    # the station directory (``contract.stations``): the OpenAPI document lists its ids
    chosen_station_id = fields.Str(load_default=None, allow_none=True,
                                   validate=validate.OneOf([s.station_id for s in stations()]))
    description = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    evidence = fields.List(fields.Nested(Evidence), load_default=list,
                           validate=validate.Length(max=20))
    limitation = fields.Nested(LimitationDates, load_default=None, allow_none=True)
    # PIPL art. 29: the ID number is sensitive personal information, processed only with the
    # worker's separate consent to the text of this version (``contract.consent``).
    sensitive_data_consent = Flag(required=True, error_messages={"required": CONSENT_REQUIRED})
    sensitive_data_consent_version = fields.Str(
        required=True, validate=validate.OneOf(sorted(SENSITIVE_DATA_CONSENT_TEXTS)),
        error_messages={"required": "the version of the consent text the worker agreed to"})

    @validates_schema
    def _consented(self, data: dict, **_: object) -> None:
        if data.get("sensitive_data_consent") is False:
            raise ValidationError(CONSENT_REQUIRED, "sensitive_data_consent")


class InvalidClaim(ValueError):
    """A submission that does not validate; ``errors`` names each bad field."""

    def __init__(self, errors: dict) -> None:
        super().__init__(f"invalid claim: {errors}")
        self.errors = errors


def validate_submission(document: object) -> dict:
    if not isinstance(document, dict):
        raise InvalidClaim({"_schema": ["the claim must be a JSON object"]})
    try:  # over RPC the document comes parsed, its text not yet checked
        check_text(document, "claim")
    except UnreadableBody as exc:
        raise InvalidClaim({"_schema": [str(exc)]}) from None
    try:
        return ClaimSubmission().load(document)
    except ValidationError as exc:
        raise InvalidClaim(safe_errors(exc.normalized_messages())) from None
