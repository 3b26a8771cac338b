"""An employer as compared across claims, and its ref: how events name an employer without its name."""

from __future__ import annotations

import hashlib
import unicodedata


def employer_key(name: str) -> str:
    """The employer's name as compared across claims: width, case and spaces do not count."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def employer_ref(name: str) -> str:
    """``case.filed``'s ``employer_ref``: the same employer always gives the same 16 hex digits,
    and a report or a warning can name it without carrying the name (intake holds the name)."""
    return hashlib.sha256(employer_key(name).encode()).hexdigest()[:16]
