"""The refs by which events name a worker or an employer across claims without naming them:
the first 16 hex digits of an HMAC-SHA-256 under a key only intake holds, so the same person
always has the same ref and no one without the key can test a guess (a name, an ID number)."""

from __future__ import annotations

import hashlib
import hmac

REF_KEY_BYTES = 32


def keyed_ref(key: bytes, message: bytes) -> str:
    if len(key) < REF_KEY_BYTES:
        raise ValueError(f"the refs' key must have at least {REF_KEY_BYTES} bytes")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]
