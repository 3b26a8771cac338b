"""Evidence a worker sends with a claim (证据材料): which files are taken, in plain Python.

A file is taken by what its bytes are, never by the name or type the sender declares: only PDF,
JPEG and PNG, recognised by their leading bytes, and no larger than the configured limit. It is
kept as sent and only ever handed back as a download (see ``evidence_api``), so a file that
claims to be a picture but holds a web page is refused here and cannot be run in a browser.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

# The leading bytes ("magic numbers") of each kind of file taken, and its file-name ending.
ACCEPTED = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
}
DEFAULT_MAX_BYTES = 8 * 1024 * 1024  # a phone photo or a scanned page or two
DEFAULT_FILES_PER_CASE = 20
NAME_LIMIT = 100


@dataclass(frozen=True)
class EvidenceLimits:
    """Bytes per file and files per case (configuration: ``DISPUTES_EVIDENCE_MAX_BYTES``,
    ``DISPUTES_EVIDENCE_FILES_PER_CASE``)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    files_per_case: int = DEFAULT_FILES_PER_CASE


class EvidenceRefused(ValueError):
    """``code`` is the API's error code: empty, too_large, unsupported_type, too_many_files."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass
class EvidenceFile:
    evidence_id: str
    case_id: str
    received_at: datetime
    media_type: str
    size_bytes: int
    sha256: str
    name: str
    content: bytes


def media_type_of(content: bytes) -> str | None:
    """What the bytes are, by their first bytes; None for anything not taken."""
    for media_type, (magic, _) in ACCEPTED.items():
        if content.startswith(magic):
            return media_type
    return None


def check(content: bytes, max_bytes: int, files_already: int = 0,
          files_per_case: int = DEFAULT_FILES_PER_CASE) -> str:
    """The file's media type, or ``EvidenceRefused`` saying why it is not taken."""
    if files_already >= files_per_case:
        raise EvidenceRefused("too_many_files", f"a case takes at most {files_per_case} files")
    if not content:
        raise EvidenceRefused("empty", "the file is empty")
    if len(content) > max_bytes:
        raise EvidenceRefused("too_large", f"a file may have at most {max_bytes} bytes")
    media_type = media_type_of(content)
    if media_type is None:
        raise EvidenceRefused("unsupported_type", "only PDF, JPEG and PNG files are taken")
    return media_type


def safe_name(name: str | None, media_type: str) -> str:
    """A download name that cannot be a path or a header trick, ending as its type does."""
    stem = unicodedata.normalize("NFC", name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("._")[:NAME_LIMIT] or "evidence"
    return stem + ACCEPTED[media_type][1]


def evidence_file(evidence_id: str, case_id: str, received_at: datetime, content: bytes,
                  name: str | None, max_bytes: int, files_already: int = 0,
                  files_per_case: int = DEFAULT_FILES_PER_CASE) -> EvidenceFile:
    media_type = check(content, max_bytes, files_already, files_per_case)
    return EvidenceFile(evidence_id, case_id, received_at, media_type, len(content),
                        hashlib.sha256(content).hexdigest(), safe_name(name, media_type), content)


def evidence_view(item: EvidenceFile) -> dict[str, object]:
    """What the API tells about a file (never its bytes)."""
    return {"evidence_id": item.evidence_id, "case_id": item.case_id,
            "received_at": item.received_at.isoformat(), "media_type": item.media_type,
            "size_bytes": item.size_bytes, "sha256": item.sha256, "name": item.name}
