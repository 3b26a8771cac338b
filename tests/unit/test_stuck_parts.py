"""Stuck parts are bounded: PostgreSQL timeouts configured and checked, the failures they raise
retried as passing ones, and no bound parameter (personal data) in an error's text."""

from __future__ import annotations

import traceback

import psycopg2.errors
import pytest
from sqlalchemy import Column, MetaData, String, Table, insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.personal_numbers import with_check_character
from disputes_shared.plumbing.config import TIMEOUT_VARIABLES, database_timeouts, service_config
from disputes_shared.plumbing.engine import DatabaseTimeouts, make_engine
from disputes_shared.plumbing.messaging import failure_reason, failure_trace, is_transient

ID_NUMBER = with_check_character("51010419900101110")


def test_postgresql_timeouts_have_defaults_and_are_set_in_seconds(monkeypatch):
    for variable in TIMEOUT_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    assert service_config(Agency.MEDIATION)["DATABASE_TIMEOUTS"] == DatabaseTimeouts(60, 30, 60)
    monkeypatch.setenv("DISPUTES_DB_LOCK_TIMEOUT", "2.5")
    monkeypatch.setenv("DISPUTES_DB_IDLE_IN_TRANSACTION_TIMEOUT", "0")
    timeouts = service_config(Agency.MEDIATION)["DATABASE_TIMEOUTS"]
    assert timeouts == DatabaseTimeouts(statement=60, lock=2.5, idle_in_transaction=0)
    assert timeouts.server_options() == ("-c statement_timeout=60000 -c lock_timeout=2500 "
                                         "-c idle_in_transaction_session_timeout=0")


@pytest.mark.parametrize("variable", sorted(TIMEOUT_VARIABLES.values()))
@pytest.mark.parametrize("value", ["soon", "-1", "90000", "nan", "10s"])
def test_a_timeout_that_is_not_seconds_is_refused_naming_the_variable(variable, value):
    with pytest.raises(ValueError, match=variable):
        database_timeouts({variable: value})


def sqlstate_error(error_class: type[Exception]) -> OperationalError:
    return OperationalError("UPDATE handoffs ...", {}, error_class("canceled"))


@pytest.mark.parametrize(("failure", "transient"), [
    (PoolTimeout("QueuePool limit of size 3 overflow 2 reached, connection timed out"), True),
    (sqlstate_error(psycopg2.errors.LockNotAvailable), True),
    (sqlstate_error(psycopg2.errors.SerializationFailure), True),
    (sqlstate_error(psycopg2.errors.DeadlockDetected), True),
    (sqlstate_error(psycopg2.errors.QueryCanceled), True),
    (DBAPIError("UPDATE", {}, psycopg2.errors.IdleInTransactionSessionTimeout("idle")), True),
    (DBAPIError("INSERT", {}, psycopg2.errors.StringDataRightTruncation("too long")), False),
    (IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")), False),
])
def test_pool_waits_lock_timeouts_and_serialization_failures_are_passing(failure, transient):
    assert is_transient(failure) is transient


def test_no_bound_parameter_reaches_an_error_or_a_parked_reason(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'hidden.db'}")
    metadata = MetaData()
    workers = Table("workers", metadata, Column("id_number", String(18), primary_key=True))
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(workers), {"id_number": ID_NUMBER})
    with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
        connection.execute(insert(workers), {"id_number": ID_NUMBER})
    assert ID_NUMBER not in str(raised.value)
    assert "parameters hidden" in str(raised.value)
    reason = failure_reason(raised.value)
    assert reason.startswith("IntegrityError (IntegrityError): UNIQUE constraint failed")
    assert ID_NUMBER not in reason
    engine.dispose()


def test_a_parked_reason_leaves_out_the_database_detail_lines():
    detail = psycopg2.errors.UniqueViolation(
        "duplicate key value violates unique constraint \"uq_workers\"\n"
        f"DETAIL:  Key (id_number)=({ID_NUMBER}) already exists.\n")
    reason = failure_reason(IntegrityError("INSERT INTO workers ...", {}, detail))
    assert reason == ("IntegrityError (UniqueViolation): duplicate key value violates unique "
                      "constraint \"uq_workers\"")


def test_a_logged_failure_has_its_frames_but_not_the_database_detail_nor_what_it_was_raised_from():
    detail = psycopg2.errors.NotNullViolation(
        "null value in column \"phone\" violates not-null constraint\n"
        f"DETAIL:  Failing row contains ({ID_NUMBER}, null).\n")

    def store() -> None:
        try:
            raise ValueError(f"worker {ID_NUMBER} refused")
        except ValueError as refused:
            raise IntegrityError("INSERT INTO workers ...", {}, detail) from refused

    with pytest.raises(IntegrityError) as raised:
        store()
    assert ID_NUMBER in "".join(traceback.format_exception(raised.value))  # what was logged before
    logged = failure_trace(raised.value)
    assert logged.startswith("IntegrityError (NotNullViolation): null value in column")
    assert "in store" in logged  # where it happened
    assert ID_NUMBER not in logged
