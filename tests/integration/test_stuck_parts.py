"""On PostgreSQL a stuck part is bounded: a service waiting on a lock gives up after its lock
timeout and retries the event until it applies; a transaction left open and idle is ended by
the server, which releases what it held."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from disputes_shared.plumbing.engine import DatabaseTimeouts, make_engine
from disputes_shared.plumbing.locks import LockSpace, lock
from disputes_shared.plumbing.messaging import is_transient
from disputes_shared.ports import case_lock_name
from mediation.adapters import metadata
from mediation.service import MediationService

from ..support.broker import parked_now
from ..support.waiting import eventually
from .test_dead_letters import dossier_envelope, pending, send

ON_POSTGRESQL = pytest.mark.parametrize("fresh_database", ["postgresql"], indirect=True)


@ON_POSTGRESQL
def test_an_engine_sets_the_configured_timeouts(fresh_database):
    engine = make_engine(fresh_database("timeouts"), DatabaseTimeouts(12, 3.5, 0))
    try:
        with engine.connect() as connection:
            shown = {name: connection.execute(text(f"SHOW {name}")).scalar_one() for name in (
                "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")}
    finally:
        engine.dispose()
    assert shown == {"statement_timeout": "12s", "lock_timeout": "3500ms",
                     "idle_in_transaction_session_timeout": "0"}


@ON_POSTGRESQL
def test_a_lock_held_past_the_lock_timeout_is_waited_out_by_retrying(start_service, amqp_uri,
                                                                    caplog):
    mediation = start_service(MediationService, metadata,
                              DATABASE_TIMEOUTS=DatabaseTimeouts(lock=0.3),
                              EVENT_RETRY_DELAYS=[0.2] * 50)
    holder = make_engine(mediation["DATABASE_URL"])
    envelope = dossier_envelope()
    caplog.set_level(logging.WARNING)
    try:
        with holder.begin() as held:  # a stalled change of the case the dossier is about
            lock(held, LockSpace.KEY, case_lock_name(envelope.case_id))
            send(amqp_uri, envelope)
            eventually(lambda: sum("transient failure" in r.getMessage()
                                   for r in caplog.records) >= 3, timeout=15.0)
            assert any("lock timeout" in r.getMessage() for r in caplog.records)
        (handoff,) = eventually(lambda: pending(mediation))
    finally:
        holder.dispose()
    assert handoff["case_id"] == envelope.case_id
    assert parked_now(amqp_uri) == []


@ON_POSTGRESQL
def test_a_transaction_left_idle_is_ended_and_its_lock_released(fresh_database):
    url = fresh_database("idle")
    idle = make_engine(url, DatabaseTimeouts(idle_in_transaction=0.5))
    other = make_engine(url, DatabaseTimeouts(lock=5))
    try:
        connection = idle.connect()
        connection.begin()
        lock(connection, LockSpace.KEY, case_lock_name("LD-1"))  # then does nothing
        time.sleep(1.5)
        with other.begin() as waiting:  # gets the lock: the server ended the idle one
            lock(waiting, LockSpace.KEY, case_lock_name("LD-1"))
        with pytest.raises(DBAPIError) as ended:
            connection.execute(text("SELECT 1"))
        assert is_transient(ended.value)
        connection.close()
    finally:
        idle.dispose()
        other.dispose()
