"""The trail-consumer benchmark applies what the trail's consumer receives, each delivery once,
and counts the statements each one costs."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.trail_consumer import counted_statements, deliveries_of, statement_kind
from disputes_shared.clocks.wall import SystemClock
from disputes_shared.plumbing.engine import make_engine
from trail.adapters import SqlTrailUnitOfWork, metadata, plumbing
from trail.handlers import Trail
from trail.signing import signature_check


def test_every_delivery_of_the_cases_is_recorded_once_and_the_chain_verifies(tmp_path):
    deliveries = deliveries_of(2, seed=2026)
    assert {"case.filed", "handoff.requested", "case.closed"} <= {json.loads(body)["event_type"] for body, _ in deliveries}
    key = Ed25519PrivateKey.generate()
    engine = make_engine(f"sqlite:///{tmp_path / 'trail.db'}")
    try:
        metadata.create_all(engine)
        statements = counted_statements(engine, Trail(key.sign), deliveries)
        with SqlTrailUnitOfWork(engine, plumbing, SystemClock()) as uow:
            verdict = Trail(check=signature_check(key.public_key())).verify(uow)
    finally:
        engine.dispose()
    assert statements["INSERT inbox"] == statements["INSERT trail_entries"] == len(deliveries)
    assert verdict.intact and verdict.entries == len(deliveries)


def test_a_statement_is_named_by_its_verb_and_first_table():
    assert statement_kind("INSERT INTO trail_entries (event_id) SELECT ?") == "INSERT trail_entries"
    assert statement_kind("UPDATE case_summaries SET state=? WHERE case_id = ?") == "UPDATE case_summaries"
    assert statement_kind("SELECT pg_advisory_xact_lock(%(space)s, hashtext(%(name)s))") == "SELECT"
