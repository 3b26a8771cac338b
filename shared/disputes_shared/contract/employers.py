"""An employer as compared across claims, and its ref: how events name an employer without its name.

An employer that is a person (a household employing a domestic worker) is named by its name,
and a name is easy to guess: a plain hash of it would let anyone confirm a guess, so the ref is
keyed like the worker's (``contract.refs``), under the same key.
"""

from __future__ import annotations

import unicodedata

from .refs import keyed_ref

# Kept apart from the workers' refs under the one key: an employer's ref is never a worker's.
EMPLOYER_REF_DOMAIN = b"employer\x00"


def employer_key(name: str) -> str:
    """The employer's name as compared across claims: width, case and spaces do not count."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def employer_ref(name: str, key: bytes) -> str:
    """``case.filed``'s ``employer_ref``: the same employer always gives the same 16 hex digits
    under the same key, so a report or a warning can name it without carrying the name (intake
    holds the name); without the key, a guessed name cannot be checked against it."""
    return keyed_ref(key, EMPLOYER_REF_DOMAIN + employer_key(name).encode())
