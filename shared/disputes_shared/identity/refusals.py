"""Why a call was refused: 401 (who is calling is not proven) or 403 (proven, not allowed).

Each refusal carries a reason from a small fixed set, the label of the refusals metric; its
message never quotes the token.
"""

from __future__ import annotations

from typing import ClassVar


class AccessRefused(Exception):
    status: ClassVar[int] = 401
    error: ClassVar[str] = "unauthenticated"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class Unauthenticated(AccessRefused):
    """No token, or one that does not prove who sent it: missing, malformed, expired, signed
    by an unknown key or the wrong algorithm, issued by another issuer or for another
    audience."""


class Forbidden(AccessRefused):
    """A valid token whose roles do not allow the command."""

    status = 403
    error = "forbidden"


# The reasons (metric label values): bounded, so the metric's series are too.
REASONS = ("missing", "malformed", "algorithm", "signature", "unknown_key", "expired",
           "issuer", "audience", "claims", "role", "station")
