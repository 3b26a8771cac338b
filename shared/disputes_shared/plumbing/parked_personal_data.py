"""Parked messages carry no personal data in the clear: a dossier a service parks goes onto the
dead-letter stream sealed, under its case's data key in the parking service's own database
(``data_keys``), so erasing the case there (crypto-shredding) leaves every dossier of the case
parked by that service unreadable, on the stream and in any copy of it.

Why sealed on the stream rather than kept in the service's database behind a reference: the
stream already keeps parked messages in order and durably, and ``disputes dead-letters
replay`` already sends one back, as it was parked, to the queue it came from, which is the
parking service's own; the sealed body travels there, and the service opens it with the case's
key as it receives it. Only the key stays behind: no new table, no second place to lose a
message. A replay of a dossier whose case was erased since is parked again, saying so: it never
opens, and nothing of it is applied. A key of the case made for parking alone (the service
never took the case in) is a key like any other: the case's erasure destroys it.

Why the case's own key and not a parking key beside it: erasure, rotation of the key-encryption
keys and backups already treat that key as the case's personal data, and one key per case keeps
one way to erase it.

A message that names no case (its body unreadable and no case header) cannot be tied to an
erasure: it is sealed under a data key of its own, wrapped by the service's key management and
carried in its headers, as every parked dossier was before (those still open on a replay). A
service that keeps no personal data (the trail, analytics) could never apply a dossier: it parks
the message's description without its body.

The broker parks a message at its delivery limit as it was sent; a consumer parks a dossier
itself, sealed, one delivery before (``contract.routing.near_delivery_limit``), before handling
it, so a dossier a consumer keeps crashing on never reaches the broker's limit. A partner's
system parks with the client kit as it chooses.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import Engine, Table

from ..contract.envelope import CASE_ID_MAX
from ..contract.payloads import PERSONAL_DATA_EVENTS
from ..contract.routing import DOSSIERS_EXCHANGE
from ..contract.wire import UnreadableBody, read_json
from ..ports import case_lock_name
from .locks import LockSpace, lock
from .personal_data import SEALED_PREFIX, KeyManagement, PersonalDataError, new_data_key, open_sealed, seal
from .sealed import CaseKeys

# How the body is sealed: UNDER_CASE_KEY (the case named by SEALED_CASE), or, for a message that
# names no case, "<kek id>:<the message's own data key, wrapped, base64>".
SEALED = "x-parked-sealed"
UNDER_CASE_KEY = "under-case-key"
SEALED_CASE = "x-parked-sealed-case"
WITHHELD = "x-parked-withheld"  # the body was not kept: why
# What a parked message was, for ``disputes dead-letters list``, when its body cannot be read.
EVENT_TYPE, CASE_ID, PAYLOAD_FIELDS = "x-parked-event-type", "x-parked-case-id", "x-parked-payload-fields"
_CONTEXT = "disputes.parked"  # the sealed value's context (``personal_data.seal``)
_MOST = 2000  # characters of a description header


def carries_personal_data(exchange: str, body: bytes) -> bool:
    """A message from the dossiers exchange, or one that says it is a dossier, readable or not."""
    return exchange == DOSSIERS_EXCHANGE or _text(_document(body), "event_type") in PERSONAL_DATA_EVENTS


def description(body: bytes) -> dict[str, Any]:
    """The headers that tell an operator what a message was: its type, case and payload's
    field names (no personal data: names, not values)."""
    document = _document(body)
    payload = document.get("payload")
    fields = ",".join(sorted(payload)) if isinstance(payload, dict) else ""
    return {EVENT_TYPE: _text(document, "event_type"), CASE_ID: _text(document, "case_id"),
            PAYLOAD_FIELDS: fields[:_MOST]}


class ParkedDossierKeys:
    """The case keys of a service's own database (``data_keys``), for the dossiers it parks:
    each sealed under its case's data key, made if the case has none yet."""

    def __init__(self, engine: Engine, data_keys: Table, keys: KeyManagement) -> None:
        self.engine = engine
        self.data_keys = data_keys
        self.keys = keys

    def seal(self, case_id: str, body: bytes) -> str:
        with self.engine.begin() as connection:  # the key is committed before the parking
            lock(connection, LockSpace.KEY, case_lock_name(case_id))  # as the case's events do
            return CaseKeys(connection, self.data_keys, self.keys).seal(
                case_id, base64.b64encode(body).decode("ascii"), _CONTEXT)

    def open(self, case_id: str, sealed: str) -> bytes:
        with self.engine.connect() as connection:
            case_keys = CaseKeys(connection, self.data_keys, self.keys)
            if not case_keys.has_key(case_id):
                raise PersonalDataError(f"case {case_id}: its personal data was erased here (its "
                                        "key is gone), so a dossier parked before cannot be opened")
            return base64.b64decode(case_keys.open(case_id, sealed, _CONTEXT))


def sealed_for_parking(keys: KeyManagement, body: bytes, case_keys: ParkedDossierKeys | None = None,
                       case_header: Any = None) -> tuple[bytes, dict[str, Any]]:
    """The body sealed, and the headers that say how: under the key of the case it names (the
    envelope's case id, else the message's case header) where the service keeps case keys, so
    the case's erasure reaches it; else under a fresh data key carried wrapped in the headers."""
    described = description(body)
    case_id = described[CASE_ID] or (case_header if isinstance(case_header, str) else "")
    # A case id no table would take (a hostile sender's) would fail the parking every time.
    if case_keys is not None and 0 < len(case_id) <= CASE_ID_MAX and case_id.isprintable():
        return (case_keys.seal(case_id, body).encode("ascii"),
                {**described, SEALED: UNDER_CASE_KEY, SEALED_CASE: case_id})
    data_key = new_data_key()
    kek_id, wrapped = keys.wrap(data_key)
    sealed = seal(data_key, base64.b64encode(body).decode("ascii"), _CONTEXT)
    return sealed.encode("ascii"), {
        **described, SEALED: f"{kek_id}:{base64.b64encode(wrapped).decode('ascii')}"}


def withheld_for_parking(body: bytes, agency: str) -> tuple[bytes, dict[str, Any]]:
    return b"", {**description(body), WITHHELD: f"personal data, which {agency} never keeps"}


def is_sealed(headers: dict[str, Any] | None, body: bytes | str) -> bool:
    """Parked sealed: how it was sealed in its headers and a sealed body (a plain body under a
    forged header is not taken for one, and is sealed if it is parked)."""
    text = body if isinstance(body, str) else body[:len(SEALED_PREFIX)].decode("ascii", "replace")
    return bool(headers) and SEALED in headers and text.startswith(SEALED_PREFIX)  # type: ignore[operator]


def opened_after_replay(keys: KeyManagement, body: bytes, headers: dict[str, Any],
                        case_keys: ParkedDossierKeys | None = None) -> bytes:
    """A sealed parked body, sent back by a replay, as it first came; ``PersonalDataError`` if
    this service's keys do not open it (its case erased here since, among other reasons)."""
    text = body.decode("ascii") if isinstance(body, bytes) else str(body)
    if SEALED_CASE in headers:
        if case_keys is None:
            raise PersonalDataError("sealed under a case's key, and this service keeps none")
        return case_keys.open(str(headers[SEALED_CASE]), text)
    kek_id, _, wrapped = str(headers[SEALED]).partition(":")
    data_key = keys.unwrap(kek_id, base64.b64decode(wrapped))
    return base64.b64decode(open_sealed(data_key, text, _CONTEXT))


def _text(document: dict[str, Any], name: str) -> str:
    """A short text field of the document, if it is one (a hostile body's may be anything)."""
    value = document.get(name)
    return value[:_MOST] if isinstance(value, str) else ""


def _document(body: bytes) -> dict[str, Any]:
    """The body's JSON object, bounded as the contract reads one; empty when it holds none."""
    try:
        document = read_json(body)
    except UnreadableBody:
        return {}
    return document if isinstance(document, dict) else {}
