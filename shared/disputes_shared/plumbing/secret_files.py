"""A service's own secret kept in a file: made on first use, readable by its owner only."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path


def create_once(path: Path, content: bytes, mode: int = 0o600) -> bool:
    """Write ``content`` to ``path`` unless a file is there, whole or not at all: two replicas
    starting side by side make one file between them, and neither reads it half written.
    Whether this call made it (written beside it, then linked to its name, which fails if
    another has taken the name first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # owner-only
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)


def load_or_create_secret(path: Path, size: int) -> bytes:
    """The secret at ``path``; ``size`` new random bytes (owner-only, never widened) when there
    is none. In a cluster the file is a mounted Secret, so it is only ever read."""
    if not path.exists():
        create_once(path, secrets.token_bytes(size))
    secret = path.read_bytes()
    if len(secret) < size:
        raise ValueError(f"{path} holds {len(secret)} bytes; the secret needs at least {size}")
    return secret
