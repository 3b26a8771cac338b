"""What an auditor runs: recompute the trail's chain straight from its database and check the
checkpoints with the public key alone, without trusting the trail service."""

from __future__ import annotations

from pathlib import Path

from disputes_shared.plumbing.storage import make_engine

from .adapters import TrailUnitOfWork, plumbing
from .chain import Verdict
from .handlers import Trail
from .signing import load_public_key, signature_check


def verify_database(database_url: str, public_key_file: Path) -> Verdict:
    from disputes_shared.contract.clock import SystemClock

    engine = make_engine(database_url)
    try:
        with TrailUnitOfWork(engine, plumbing, SystemClock()) as uow:
            return Trail().verify(uow, signature_check(load_public_key(public_key_file)))
    finally:
        engine.dispose()
