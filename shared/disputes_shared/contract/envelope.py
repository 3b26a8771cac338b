"""The event envelope and its codec: every message on the broker is one envelope::

    {"event_id", "event_type", "schema_version": "1.0", "occurred_at", "case_id",
     "correlation_id", "causation_id", "source_agency", "payload": {...}}

The payload's schema (``payloads.PAYLOAD_SCHEMAS``) is chosen by ``(event_type, major version)``.

Versions (the rules partners rely on, docs/contract.md "Versioning"): adding an optional field is a minor
change (bump the schema's ``minor``); removing, renaming, retyping a field or changing its
meaning needs a new major, registered beside the old one with an ``upcast_vN_vN+1`` from it.
A consumer reads every minor of a major it knows, upcasts older majors, and refuses a major it
does not know as a ``PoisonMessage`` (so it is parked, saying why).
"""

from __future__ import annotations

import functools
import json
import logging
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .agencies import Agency, agency_of_user
from .payloads import AGENCIES, PAYLOAD_SCHEMAS
from .purposes import upcast_dossier_v1_v2
from .strict import Bounded, Instant
from .wire import MAX_BODY_BYTES, UnreadableBody, describe_errors, read_json

log = logging.getLogger(__name__)

CASE_ID_MAX = 64  # characters of a case id (the services' tables hold no longer one)


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
    schema_version: str = ""  # empty: the current version of the event type
    # Not in the body: the publisher's place of the event among its case's events, as its relay
    # sent them (the ``x-case-sequence`` header, ``routing.case_headers``); None when unstamped
    # (an outside agency's kit, an older release).
    case_sequence: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.schema_version:
            object.__setattr__(self, "schema_version", current_version(self.event_type))

    @property
    def major(self) -> int:
        return int(self.schema_version.split(".", 1)[0])


# ``(event_type, from_major)``: turns a payload of that major (as JSON) into one of the next,
# e.g. ``upcast_v1_v2``. Every major below a type's current one needs its upcaster.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("handoff.dossier", 1): upcast_dossier_v1_v2,
}


class EnvelopeSchema(Bounded):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True, metadata={
        "description": "The event's own id, new for every event; a redelivered message repeats "
                       "it (consumers apply an event once per id), and the AMQP message_id is it"})
    event_type = fields.Str(required=True, validate=[validate.Length(max=64),
                                                     validate.Regexp(r"^[a-z_]+\.[a-z_]+$")],
                            metadata={"description": "What happened, e.g. handoff.accepted; with "
                                                     "the major version it chooses the payload's "
                                                     "schema"})
    schema_version = fields.Str(required=True, validate=validate.Regexp(r"^\d{1,4}\.\d{1,4}$"),
                                metadata={"description": "major.minor of the payload's schema"})
    occurred_at = Instant(required=True, metadata={
        "description": "When it happened, by the publishing agency's clock, with its UTC offset"})
    case_id = fields.Str(required=True, validate=validate.Length(min=1, max=CASE_ID_MAX), metadata={
        "description": "The case it is about, as intake numbered it when the claim was filed"})
    correlation_id = fields.Str(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "The case's correlation id, given by intake when the claim was filed and "
                       "carried by every event about the case, a handoff's answer and report "
                       "included (they repeat the correlation_id of the dossier they answer)"})
    causation_id = fields.Str(allow_none=True, load_default=None, metadata={
        "description": "The event_id of the event that caused this one, where the publisher "
                       "records it (intake's triage and handoffs name case.filed, or the return that "
                       "sends the case on; an outside system's answer should name the dossier it "
                       "answers); null where none is recorded, as in the platform's own handoff "
                       "answers"})
    source_agency = fields.Str(required=True, validate=validate.OneOf(AGENCIES), metadata={
        "description": "The agency that published the event (the agency directory: "
                       "x-agencies in the AsyncAPI document)"})
    payload = fields.Dict(required=True, metadata={
        "description": "What happened, as the event type's schema says"})


def payload_schema(event_type: str, major: int) -> Schema:
    try:
        return shared_schema(PAYLOAD_SCHEMAS[(event_type, major)])
    except KeyError:
        known = majors_of(event_type)
        if not known:
            raise UnknownEventType(f"unknown event type {event_type!r} version {major}") from None
        raise UnknownEventType(
            f"unknown event type {event_type!r} version {major}: this consumer reads major "
            f"{', '.join(map(str, known))} of it; a newer major needs a consumer that knows it"
        ) from None


@functools.cache
def shared_schema(schema_class: type[Schema]) -> Schema:
    """One instance of a schema class for every load and dump: a marshmallow schema keeps no
    state between them, and building one cost more than loading an event with it (done once
    to encode an event and twice for each consumer that decodes it)."""
    return schema_class()


def majors_of(event_type: str) -> list[int]:
    return sorted(major for kind, major in PAYLOAD_SCHEMAS if kind == event_type)


# Values added to the lists the envelope and every payload share (``source_agency``, the
# handoffs' agencies) since a major was published: each is a minor version of every event type.
SHARED_MINORS = {1: 2}  # 1: the agencies trade_union and hotline_12345; 2: analytics


def schema_version(event_type: str, major: int) -> str:
    """``major.minor`` of a registered payload schema: its own minor plus the shared ones."""
    schema = PAYLOAD_SCHEMAS[(event_type, major)]
    return f"{major}.{getattr(schema, 'minor', 0) + SHARED_MINORS.get(major, 0)}"


def current_version(event_type: str) -> str:
    """The version a publisher sends today: the newest minor of the newest major."""
    known = majors_of(event_type)
    return schema_version(event_type, known[-1]) if known else "1.0"


def upcast(event_type: str, major: int, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A payload of an older major brought up to the current one, one upcaster at a time."""
    latest = majors_of(event_type)[-1]
    while major < latest:
        try:
            step = UPCASTERS[(event_type, major)]
        except KeyError:
            raise UnknownEventType(
                f"{event_type!r} version {major} has no upcaster to version {major + 1}") from None
        payload, major = step(payload), major + 1
    return major, payload


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


MAX_MESSAGE_BYTES = MAX_BODY_BYTES


def decode(body: str | bytes | dict[str, Any]) -> Envelope:
    """Parse and validate a message; raise ``PoisonMessage`` saying what is wrong with it (the
    field and the rule, never a value: a dossier carries personal data)."""
    if not isinstance(body, dict):
        try:
            body = read_json(body, MAX_MESSAGE_BYTES)
        except UnreadableBody as exc:
            raise PoisonMessage(str(exc)) from None
    if not isinstance(body, dict):
        raise PoisonMessage("body is not a JSON object")
    try:
        head = shared_schema(EnvelopeSchema).load(body)
    except ValidationError as exc:
        raise PoisonMessage(f"invalid envelope: {describe_errors(exc.messages)}") from None
    event_type, version = head["event_type"], head["schema_version"]
    major = int(version.split(".", 1)[0])
    try:
        sent = payload_schema(event_type, major)
        payload = sent.load(head["payload"])  # valid as sent...
        if major < majors_of(event_type)[-1]:  # ...then brought up to the major consumers read
            major, raw = upcast(event_type, major, sent.dump(payload))
            payload = payload_schema(event_type, major).load(raw)
            version = schema_version(event_type, major)
    except ValidationError as exc:
        raise PoisonMessage(f"invalid {event_type} payload: {describe_errors(exc.messages)}") from None
    return Envelope(
        event_id=str(head["event_id"]),
        event_type=event_type,
        schema_version=version,
        occurred_at=head["occurred_at"],
        case_id=head["case_id"],
        correlation_id=head["correlation_id"],
        causation_id=head["causation_id"],
        source_agency=Agency(head["source_agency"]),
        payload=payload,
    )


def sender_reason(envelope: Envelope, sent_by: str | None) -> str:
    """Why ``envelope`` is not its source agency's to send ("" when it is): an agency speaks only
    for itself, and RabbitMQ has checked ``sent_by`` (the message's ``user_id``) against the
    user of the connection that published it."""
    agency = agency_of_user(sent_by)
    if agency == envelope.source_agency:
        return ""
    claimed = f"source_agency is {envelope.source_agency}"
    if not sent_by:
        return f"{claimed} but the message names no broker user (user_id) that sent it"
    of = f"agency {agency}" if agency else "no agency"
    return f"{claimed} but the message was sent by broker user {sent_by!r} of {of}"


# The platform compresses nothing, and a compressed body may inflate to gigabytes: a message
# whose headers name a ``compression`` is refused as it came.
COMPRESSED_BODY = "the platform takes no compressed bodies (the message names a compression)"


def decode_or_reason(body: str | bytes, sent_by: str | None) -> tuple[Envelope | None, str]:
    """``decode``, every failure turned into the reason a consumer parks the message with,
    including an event sent by a broker user (``sent_by``, the message's ``user_id``) of another
    agency than its ``source_agency`` (``sender_reason``). A failure the contract did not foresee
    is named by its kind and logged by where it happened, never by its text, which may quote the
    message."""
    try:
        envelope = decode(body)
        reason = sender_reason(envelope, sent_by)
        return (None, reason) if reason else (envelope, "")
    except PoisonMessage as exc:
        return None, str(exc)
    except Exception as exc:  # a gap in the checks above must not stop a consumer
        log.error("could not decode a message (%s) at\n%s", type(exc).__name__,
                  "".join(traceback.format_tb(exc.__traceback__)))
        return None, f"could not decode the message ({type(exc).__name__})"

