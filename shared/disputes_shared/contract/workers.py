"""A worker as compared across claims, and its ref: how events name a worker without any personal data.

Unlike an employer's name, a resident ID number is easy to guess (a birth date, a district
code and a check digit), so a plain hash of it could be reversed by trying them all. The ref
is keyed instead (HMAC-SHA-256): only intake, which holds the ID numbers, holds the key; the
analytics service and every consumer see refs they can match but never reverse.
"""

from __future__ import annotations

import hashlib
import hmac

WORKER_REF_KEY_BYTES = 32


def worker_key(id_number: str) -> str:
    """The ID number as compared across claims: spaces dropped, the check letter upper case."""
    return "".join(id_number.split()).upper()


def worker_ref(id_number: str, key: bytes) -> str:
    """``case.filed``'s ``worker_ref``: the same worker always gives the same 16 hex digits
    under the same key; without the key, nothing can be learnt about the worker from it."""
    if len(key) < WORKER_REF_KEY_BYTES:
        raise ValueError(f"the worker ref key must have at least {WORKER_REF_KEY_BYTES} bytes")
    return hmac.new(key, worker_key(id_number).encode(), hashlib.sha256).hexdigest()[:16]
