"""Parked messages carry no personal data in the clear: a dossier a service parks goes onto the
dead-letter stream sealed under a data key of its own, wrapped by that service's key management.

Why sealed on the stream rather than kept in the service's database behind a reference: the
stream already keeps parked messages in order and durably, and ``disputes dead-letters
replay`` already sends one back, as it was parked, to the queue it came from, which is the
parking service's own; the sealed body and its wrapped key travel there together, and the
service opens them as it receives them. No table, no migration and no second place to lose a
message. What the stream holds is ciphertext and a key only that service's key-encryption keys
unwrap (older keys stay after a rotation, so a message parked before one still opens). A
service that keeps no personal data (the trail, analytics) could never apply a dossier: it parks
the message's description without its body.

Not covered: a message the broker itself dead-letters (a consumer that crashed on it ten times)
is parked by the broker as it was sent; a partner's system parks with the client kit as it
chooses.
"""

from __future__ import annotations

import base64
from typing import Any

from ..contract.payloads import PERSONAL_DATA_EVENTS
from ..contract.routing import DOSSIERS_EXCHANGE
from ..contract.wire import UnreadableBody, read_json
from .personal_data import SEALED_PREFIX, KeyManagement, new_data_key, open_sealed, seal

SEALED = "x-parked-sealed"  # "<kek id>:<the message's data key, wrapped, base64>"
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


def sealed_for_parking(keys: KeyManagement, body: bytes) -> tuple[bytes, dict[str, Any]]:
    """The body sealed under a fresh data key, and the headers that carry the key wrapped."""
    data_key = new_data_key()
    kek_id, wrapped = keys.wrap(data_key)
    sealed = seal(data_key, base64.b64encode(body).decode("ascii"), _CONTEXT)
    return sealed.encode("ascii"), {
        **description(body), SEALED: f"{kek_id}:{base64.b64encode(wrapped).decode('ascii')}"}


def withheld_for_parking(body: bytes, agency: str) -> tuple[bytes, dict[str, Any]]:
    return b"", {**description(body), WITHHELD: f"personal data, which {agency} never keeps"}


def is_sealed(headers: dict[str, Any] | None, body: bytes | str) -> bool:
    """Parked sealed: the wrapped key in its headers and a sealed body (a plain body under a
    forged header is not taken for one, and is sealed if it is parked)."""
    text = body if isinstance(body, str) else body[:len(SEALED_PREFIX)].decode("ascii", "replace")
    return bool(headers) and SEALED in headers and text.startswith(SEALED_PREFIX)  # type: ignore[operator]


def opened_after_replay(keys: KeyManagement, body: bytes, headers: dict[str, Any]) -> bytes:
    """A sealed parked body, sent back by a replay, as it first came; ``PersonalDataError`` if
    this service's keys do not open it."""
    kek_id, _, wrapped = str(headers[SEALED]).partition(":")
    data_key = keys.unwrap(kek_id, base64.b64decode(wrapped))
    text = body.decode("ascii") if isinstance(body, bytes) else str(body)
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
