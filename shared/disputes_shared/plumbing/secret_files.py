"""A service's own secret kept in a file: made on first use, readable by its owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_secret(path: Path, size: int) -> bytes:
    """The secret at ``path``; ``size`` new random bytes (owner-only, never widened) when there
    is none. In a cluster the file is a mounted Secret, so it is only ever read."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(secrets.token_bytes(size))
    secret = path.read_bytes()
    if len(secret) < size:
        raise ValueError(f"{path} holds {len(secret)} bytes; the secret needs at least {size}")
    return secret
