"""Reads of personal data (PIPL arts. 51, 55): who read which personal fields of a case, when,
and for what purpose, announced as ``personal_data.read`` in the same transaction as the read.

The record names fields, never their values, and the reader by their signed-in identity (or as
the data subject, a worker reading their own claim with its access code); the trail keeps every
record and lists them for an auditor by case or by worker. Plain Python: the services call
``read_recorded`` from the command that returns the data, and commit before they answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .agencies import Agency
from .envelope import Envelope
from .vocabularies import ReadPurpose, ReadVia

READ_EVENT = "personal_data.read"


class PurposeRefused(ValueError):
    """A read declared with no purpose of the vocabulary: refused, nothing read."""


def declared_purpose(purpose: Any) -> ReadPurpose:
    """The caller's declared purpose, refused unless it is one staff may declare."""
    try:
        found = ReadPurpose(purpose)
    except ValueError:
        found = None
    if found is None or found is ReadPurpose.DATA_SUBJECT:
        raise PurposeRefused(f"purpose must be one of {', '.join(staff_purposes())}")
    return found


def staff_purposes() -> list[str]:
    return [p.value for p in ReadPurpose if p is not ReadPurpose.DATA_SUBJECT]


def field_names(document: Mapping[str, Any], prefix: str = "") -> list[str]:
    """The dotted names of a document's leaves (``worker.id_number``), never its values; a leaf
    without a value (null) discloses nothing and is left out."""
    names: list[str] = []
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            names += field_names(value, f"{name}.")
        elif value is not None:
            names.append(name)
    return sorted(names)


# The parts of a dossier that name people (and the employer, PIPL art. 28 read broadly): their
# leaves are the fields a dossier's reader is recorded as having received.
PERSONAL_DOSSIER_PARTS = ("worker", "employer")


def dossier_fields(dossier: Mapping[str, Any]) -> list[str]:
    """The personal fields of a dossier, by name."""
    return field_names({part: dossier[part] for part in PERSONAL_DOSSIER_PARTS if part in dossier})


def read_recorded(*, case_id: str, correlation_id: str, agency: Agency, fields: Iterable[str],
                  purpose: ReadPurpose, via: ReadVia, at: datetime,
                  data_subject: bool = False) -> Envelope:
    """The access record of one read. A staff reader is put on it by the unit of work (the
    ``actor`` every command's events carry); ``data_subject`` marks the worker's own read."""
    return Envelope(event_type=READ_EVENT, case_id=case_id, source_agency=agency, occurred_at=at,
                    correlation_id=correlation_id,
                    payload={"fields_read": sorted(set(fields)), "purpose": str(purpose),
                             "via": str(via), "data_subject": data_subject})
