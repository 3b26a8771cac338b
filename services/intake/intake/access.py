"""A claim's access code: the secret a worker gets with the receipt number, without which the
claim's status and files cannot be read. Plain Python; only a salted, slow digest is kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

# No 0/O, 1/I/L: the code is read off a phone screen or a paper receipt and typed back.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10  # about 49 bits: with filing and reading rate-limited, not guessable by trying
ITERATIONS = 60_000  # slow enough to make a stolen digest costly, fast enough per page view

# The key stretching (secret, salt, rounds): tens of milliseconds of CPU, which a service runs on
# a thread of its own so that the rest of the process goes on meanwhile (``intake.service``).
Stretch = Callable[[bytes, bytes, int], bytes]


def stretched(secret: bytes, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret, salt, iterations)


def new_access_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalised(code: str) -> str:
    """What the worker typed, as issued: spaces and dashes dropped, capitals."""
    return code.replace(" ", "").replace("-", "").upper()


def access_digest(code: str, salt: bytes | None = None, stretch: Stretch = stretched) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = stretch(normalised(code).encode(), salt, ITERATIONS)
    return f"pbkdf2-sha256${ITERATIONS}${salt.hex()}${digest.hex()}"


def access_code_matches(code: str | None, stored: str | None, stretch: Stretch = stretched) -> bool:
    """Whether ``code`` is the one ``stored`` was made from; never for a claim without one."""
    if not code or not stored or len(code) > 64:
        return False
    try:
        scheme, iterations, salt, expected = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2-sha256":
        return False
    digest = stretch(normalised(code).encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


@dataclass(frozen=True)
class CheckedCode:
    """A worker's access code found to match the digest kept for a case's claim, checked before
    the transaction that reads the claim (the stretching outside it): it admits the worker to
    that case while that digest is still the one kept."""

    case_id: str
    digest: str

    def admits(self, case_id: str, stored: str | None) -> bool:
        return case_id == self.case_id and stored is not None and hmac.compare_digest(stored, self.digest)


def checked_code(case_id: str, code: str | None, stored: str | None,
                 stretch: Stretch = stretched) -> CheckedCode | None:
    """``code`` checked against ``stored``, the digest kept for ``case_id``'s claim: None if it
    does not match (or there is no claim, or no digest)."""
    if stored is None or not access_code_matches(code, stored, stretch):
        return None
    return CheckedCode(case_id, stored)


# What admits a worker to a claim: the code as typed, or as checked already (None: no code).
WorkerCode = str | CheckedCode | None
