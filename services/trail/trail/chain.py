"""The trail's tamper evidence, in plain Python.

Entries form one hash chain in the order they were recorded: each entry's hash covers the
previous entry's hash and the entry itself, so altering, removing, inserting or moving an entry
breaks the chain at that point. Someone able to rewrite every hash after the change is caught by
the signed checkpoints: every so often the head of the chain is signed with a key the trail
service holds and auditors can check with its public key. Entries recorded after the last
checkpoint are protected by the chain alone until the next checkpoint is signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def entry_digest(prev_hash: str, entry: Any) -> str:
    """The hash of an entry, chained to the one before it."""
    document = {
        "event_id": entry.event_id, "case_id": entry.case_id, "event_type": entry.event_type,
        "move": entry.move, "source_agency": entry.source_agency,
        "occurred_at": entry.occurred_at.isoformat(), "recorded_at": entry.recorded_at.isoformat(),
        "causation_id": entry.causation_id, "payload": entry.payload,
    }
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


@dataclass
class Checkpoint:
    entry_id: int
    head_hash: str
    signed_at: datetime
    signature: str  # hex


def checkpoint_message(entry_id: int, head_hash: str) -> bytes:
    return f"disputes-trail-checkpoint:{entry_id}:{head_hash}".encode()


@dataclass(frozen=True)
class Verdict:
    entries: int
    checkpoints: int
    problem: str | None = None
    entry_id: int | None = None  # the first entry that does not match

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify(entries: Iterable[Any], checkpoints: Iterable[Checkpoint],
           signature_valid: Callable[[bytes, bytes], bool]) -> Verdict:
    """Recompute the chain over ``entries`` (in recorded order) and check every checkpoint;
    report the first entry that does not match."""
    checkpoints = sorted(checkpoints, key=lambda c: c.entry_id)
    hashes: dict[int, str] = {}
    previous, count = GENESIS, 0
    for entry in entries:
        count += 1
        if entry.prev_hash != previous:
            return Verdict(count, len(checkpoints), "does not follow the entry recorded before it "
                           "(an entry was removed, inserted or moved here)", entry.id)
        if entry_digest(entry.prev_hash, entry) != entry.entry_hash:
            return Verdict(count, len(checkpoints), "its content does not match its hash (altered)",
                           entry.id)
        hashes[entry.id] = previous = entry.entry_hash
    for checkpoint in checkpoints:
        if not signature_valid(bytes.fromhex(checkpoint.signature),
                               checkpoint_message(checkpoint.entry_id, checkpoint.head_hash)):
            return Verdict(count, len(checkpoints),
                           f"checkpoint at entry {checkpoint.entry_id} has an invalid signature",
                           checkpoint.entry_id)
        if hashes.get(checkpoint.entry_id) != checkpoint.head_hash:
            return Verdict(count, len(checkpoints),
                           f"the chain no longer reaches the head signed at entry {checkpoint.entry_id} "
                           "(entries up to it were rewritten)", checkpoint.entry_id)
    return Verdict(count, len(checkpoints))
