"""A worker's access code as the service checks it: stretched on an OS thread, outside any
transaction, so that neither the process's other green threads nor the database wait for it."""

from __future__ import annotations

from typing import Any

from eventlet import tpool

from disputes_shared.plumbing.forwarding import FORWARDED_FOR

from .access import CheckedCode, checked_code, stretched
from .filing_rate import ClientLimit, SharedCount


def stretched_on_a_thread(secret: bytes, salt: bytes, iterations: int) -> bytes:
    """The key stretching on an OS thread: hashlib lets go of the GIL for it, so the process's
    green threads (its relay, its consumers, other requests) go on meanwhile, on the other core,
    instead of stopping for its tens of milliseconds."""
    return tpool.execute(stretched, secret, salt, iterations)


class WorkerCodes:
    """Mixed into the intake service, which has ``storage``, ``agency_logic``, ``reading_rate``
    and ``counted_across_replicas``."""

    storage: Any
    agency_logic: Any
    reading_rate: ClientLimit
    counted_across_replicas: SharedCount

    def checked(self, request: Any, case_id: str, access_code: str | None) -> CheckedCode | None:
        """The worker's code checked against the digest kept for the case's claim, read in a
        transaction of its own, and stretched after it as the service layer stretches (in the
        service, ``stretched_on_a_thread``); the transaction that then reads the claim admits the
        worker only while that digest is still the one kept (``Intake.claim_for_worker``).
        Every code checked counts against the client's reading limit, whichever endpoint checks
        it (raises ``TooOften``): each guess costs the guesser a try and intake a stretching."""
        if not access_code:
            return None
        self.reading_rate.check(request.remote_addr, request.headers.get(FORWARDED_FOR),
                                self.counted_across_replicas)
        with self.storage() as uow:
            stored = self.agency_logic.access_digest_of(uow, case_id)
        return checked_code(case_id, access_code, stored, self.agency_logic.stretch)
