"""What an auditor runs: recompute the trail's chain straight from its database and check the
signatures with the public key alone, without trusting the trail service.

An auditor may keep the last checkpoint they verified in a witness file, outside the trail's
database; the next verification then also finds a trail cut back behind it."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from disputes_shared.clocks.wall import SystemClock
from disputes_shared.plumbing.engine import DatabaseTimeouts, make_engine

from .adapters import SqlTrailUnitOfWork, plumbing
from .chain import Checkpoint, Verdict
from .handlers import Trail
from .signing import load_public_key, signature_check


def verify_database(database_url: str, public_key_file: Path,
                    witness_file: Path | None = None) -> Verdict:
    """Verify the trail; with a witness file, also against the checkpoint it holds, and on
    success record the newest checkpoint in it for next time."""
    witnessed = read_witness(witness_file) if witness_file and witness_file.exists() else None
    # Reading and checking a whole trail may take longer than any one service transaction.
    engine = make_engine(database_url, DatabaseTimeouts(statement=0, idle_in_transaction=0))
    try:
        with SqlTrailUnitOfWork(engine, plumbing, SystemClock()) as uow:
            verdict = Trail().verify(uow, signature_check(load_public_key(public_key_file)), witnessed)
    finally:
        engine.dispose()
    if witness_file and verdict.intact and verdict.last_checkpoint:
        write_witness(witness_file, verdict.last_checkpoint)
    return verdict


def read_witness(path: Path) -> Checkpoint:
    try:
        document = json.loads(path.read_text())
        return Checkpoint(**{**document, "signed_at": datetime.fromisoformat(document["signed_at"])})
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path} is not a witness file written by disputes verify: {exc}") from None


def write_witness(path: Path, checkpoint: Checkpoint) -> None:
    document = {**asdict(checkpoint), "signed_at": checkpoint.signed_at.isoformat()}
    path.write_text(json.dumps(document, indent=2) + "\n")
