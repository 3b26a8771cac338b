"""The trail's tamper evidence, in plain Python.

Entries form one hash chain in the order they were recorded: each entry's hash covers the
previous entry's hash and the entry itself, so altering, removing, inserting or moving an entry
breaks the chain at that point. The trail service signs each entry's hash as it records it, with
a key only it holds; auditors check with the public key. So someone who can write the database
but does not hold the key can neither rewrite the chain after a change nor append a forged
entry. What the chain and the entry signatures cannot show is entries cut off the end: for
that, the head is signed into a checkpoint every few seconds (count, head, time, and the
checkpoint before it), and an auditor who keeps the last checkpoint they verified
(``witnessed``) finds any later cut that reaches back past it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
ENTRY_FORMAT = 2  # 1: the payload hashed whole, texts included; 2: texts as salted hashes
SALTED = "salted-sha256:"
# Payload fields a person types or that name a person: a reason, a note, a plan, who sat in a
# consultation, who approved an extension. Everything else in a broadcast payload is a code,
# an amount, a date or an id.
FREE_TEXT_FIELDS = frozenset({"reason", "note", "plan", "participants", "approved_by"})


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def salted_hash(salt: str, value: Any) -> str:
    return SALTED + hashlib.sha256(bytes.fromhex(salt) + _canonical(value).encode("utf-8")).hexdigest()


def with_texts_salted(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payload as it enters the chain (each free text replaced by its salted hash) and the
    texts kept beside it (``{field: {"salt", "value"}}``)."""
    chained, texts = dict(payload), {}
    for name in FREE_TEXT_FIELDS & payload.keys():
        if payload[name] is None:
            continue
        salt = secrets.token_hex(16)
        texts[name] = {"salt": salt, "value": payload[name]}
        chained[name] = salted_hash(salt, payload[name])
    return chained, texts


def with_texts_restored(payload: dict[str, Any], texts: dict[str, Any] | None,
                        erased: str = "erased") -> dict[str, Any]:
    """The payload as readers see it: each salted text back in its place, ``erased`` where it
    was erased."""
    restored = dict(payload)
    for name, value in payload.items():
        if isinstance(value, str) and value.startswith(SALTED):
            restored[name] = (texts or {}).get(name, {}).get("value", erased)
    return restored


def entry_digest(prev_hash: str, entry: Any) -> str:
    """The hash of an entry, chained to the one before it."""
    document = {
        "event_id": entry.event_id, "case_id": entry.case_id, "event_type": entry.event_type,
        "move": entry.move, "source_agency": entry.source_agency,
        "occurred_at": entry.occurred_at.isoformat(), "recorded_at": entry.recorded_at.isoformat(),
        "causation_id": entry.causation_id, "payload": entry.payload,
    }
    if entry.format >= 2:
        document["format"] = entry.format
    return hashlib.sha256((prev_hash + _canonical(document)).encode("utf-8")).hexdigest()


def texts_problem(entry: Any) -> str | None:
    """Why the texts kept beside an entry do not match the salted hashes it was chained with."""
    for name, kept in (entry.texts or {}).items():
        if entry.payload.get(name) != salted_hash(kept["salt"], kept["value"]):
            return f"its kept {name} does not match the salted hash chained with it (altered)"
    return None


def entry_message(entry_hash: str) -> bytes:
    """What the trail service signs as it records an entry: its hash, which covers its place
    in the chain. Someone who can write the database but does not hold the key cannot add an
    entry that verifies."""
    return f"disputes-trail-entry:{entry_hash}".encode()


@dataclass
class Checkpoint:
    entry_id: int  # the head of the chain when signed
    entries: int  # how many entries the chain held up to and including the head
    head_hash: str
    signed_at: datetime
    previous: str  # the previous checkpoint's signature (hex), "" for the first
    signature: str  # hex

    def message(self) -> bytes:
        """What is signed: the head, the count, the time, and the checkpoint before it, so
        that a checkpoint removed from between two others is detected as well."""
        return (f"disputes-trail-checkpoint:v2:{self.entry_id}:{self.entries}:{self.head_hash}:"
                f"{self.signed_at.isoformat()}:{self.previous}").encode()


@dataclass(frozen=True)
class Verdict:
    entries: int
    checkpoints: int
    problem: str | None = None
    entry_id: int | None = None  # the first entry that does not match
    unattested: int = 0  # entries after the last signed checkpoint: protected by the chain alone
    last_checkpoint: Checkpoint | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def report(self) -> dict[str, Any]:
        """The verdict as JSON, as ``disputes verify --json`` prints it and the ``verify`` RPC
        returns it."""
        last = self.last_checkpoint
        return {"intact": self.intact, "entries": self.entries, "checkpoints": self.checkpoints,
                "first_bad_entry": self.entry_id, "problem": self.problem,
                "unattested_entries": self.unattested,
                "last_checkpoint": {"entry_id": last.entry_id, "entries": last.entries,
                                    "signed_at": last.signed_at.isoformat()} if last else None}


def verify(entries: Iterable[Any], checkpoints: Iterable[Checkpoint],
           signature_valid: Callable[[bytes, bytes], bool],
           witnessed: Checkpoint | None = None) -> Verdict:
    """Recompute the chain over ``entries`` (in recorded order), check every checkpoint and,
    when given, that the chain still holds the checkpoint an earlier verification saw
    (``witnessed``); report the first entry that does not match."""
    checkpoints = sorted(checkpoints, key=lambda c: c.entry_id)
    count = 0
    reached: dict[int, tuple[str, int]] = {}  # entry id -> (hash, entries up to it)
    previous = GENESIS

    def failed(problem: str, entry_id: int | None) -> Verdict:
        return Verdict(count, len(checkpoints), problem, entry_id)

    for entry in entries:
        count += 1
        if entry.prev_hash != previous:
            return failed("does not follow the entry recorded before it "
                          "(an entry was removed, inserted or moved here)", entry.id)
        if entry_digest(entry.prev_hash, entry) != entry.entry_hash:
            return failed("its content does not match its hash (altered)", entry.id)
        if (problem := texts_problem(entry)) is not None:
            return failed(problem, entry.id)
        if not signature_valid(bytes.fromhex(entry.signature), entry_message(entry.entry_hash)):
            return failed("it is not signed with the trail's key (forged)", entry.id)
        previous = entry.entry_hash
        reached[entry.id] = (previous, count)
    prior = ""
    for checkpoint in checkpoints:
        if not signature_valid(bytes.fromhex(checkpoint.signature), checkpoint.message()):
            return failed(f"checkpoint at entry {checkpoint.entry_id} has an invalid signature",
                          checkpoint.entry_id)
        if checkpoint.previous != prior:
            return failed(f"the checkpoint signed before the one at entry {checkpoint.entry_id} "
                          "was removed", checkpoint.entry_id)
        if reached.get(checkpoint.entry_id) != (checkpoint.head_hash, checkpoint.entries):
            return failed(f"the chain no longer reaches the head signed at entry "
                          f"{checkpoint.entry_id} (entries up to it were rewritten or removed)",
                          checkpoint.entry_id)
        prior = checkpoint.signature
    if witnessed is not None and not any(c.signature == witnessed.signature for c in checkpoints):
        return failed(f"the checkpoint at entry {witnessed.entry_id} that an earlier "
                      "verification saw is gone (the trail was cut back or rewritten)",
                      witnessed.entry_id)
    last = checkpoints[-1] if checkpoints else None
    return Verdict(count, len(checkpoints), unattested=count - (last.entries if last else 0),
                   last_checkpoint=last)
