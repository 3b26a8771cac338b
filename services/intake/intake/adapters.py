"""Intake's own database: its tables and its unit of work."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    func,
    select,
    update,
)

from disputes_shared.contract.lifecycle import CaseState
from disputes_shared.plumbing.column_types import EnumText, JsonDocument, Money, UtcDateTime
from disputes_shared.plumbing.engine import service_metadata
from disputes_shared.plumbing.inbox import dialect_insert
from disputes_shared.plumbing.repositories import DataclassRepository
from disputes_shared.plumbing.sealed import SealedRows
from disputes_shared.plumbing.tables import add_plumbing_tables
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork
from disputes_shared.ports import ERASED_TEXT, WITHHELD

from .domain import SEALED_FIELDS, Claim
from .evidence import EvidenceFile
from .ports import Claims, EvidenceFiles, IntakeUnitOfWork, RegisteredAgencies, RequestCounts
from .registry import AgencyStatus, RegisteredAgency

metadata = service_metadata()
claims = Table(
    "claims", metadata,
    Column("case_id", String(64), primary_key=True),
    Column("correlation_id", String(64), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("channel", String(32), nullable=False),
    # Sealed personal data (plumbing/sealed.py): who the worker is, whom they worked for, what
    # they wrote and what was said of them.
    Column("worker", Text, nullable=False),
    Column("migrant_worker", Boolean, nullable=False),
    Column("worker_count", Integer, nullable=False),
    Column("employer", Text, nullable=False),
    Column("industry", String(32), nullable=False),
    Column("relationship", String(32), nullable=False),
    Column("claim_types", JsonDocument, nullable=False),
    Column("amount_claimed", Money, nullable=False),
    Column("district", String(32), nullable=False),
    Column("legal_aid_requested", Boolean, nullable=False),
    Column("chosen_station_id", String(64)),
    Column("description", Text),
    Column("evidence", Text, nullable=False),
    Column("state", EnumText(CaseState), nullable=False, index=True),
    Column("station_id", String(64)),
    Column("urgent", Boolean, nullable=False),
    Column("collective", Boolean, nullable=False),
    Column("rules_fired", JsonDocument, nullable=False),
    Column("tried_stations", JsonDocument, nullable=False),
    Column("outcome", String(32)),
    Column("closed_at", UtcDateTime),
    Column("limitation_facts", JsonDocument),
    Column("limitation", JsonDocument),
    # The history of employers: repeat claims against one are found by this key (a keyed hash
    # of the employer's name, never the name) and the time.
    Column("employer_key", String(200), nullable=False, index=True),
    Column("consultation", Text),
    Column("access_code_digest", String(160)),
    # The worker's consent to processing the ID number: the text's version and when (no
    # personal data, so in the clear: it shows the processing was lawful after an erasure too).
    Column("sensitive_data_consent", JsonDocument),
)
# Evidence files, kept apart from the claim so a claim's row stays small (see evidence.py).
evidence_files = Table(
    "evidence_files", metadata,
    Column("evidence_id", String(64), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("name", String(120), nullable=False),
    Column("content", LargeBinary, nullable=False),
)
# The registry of outside agencies intake routes to (registry.py), changed at run time.
registered_agencies = Table(
    "registered_agencies", metadata,
    Column("name", String(64), primary_key=True),
    Column("purpose", String(64), nullable=False),
    Column("status", EnumText(AgencyStatus), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("changed_by", String(200), nullable=False),
)
# Requests per client and minute, counted by every replica together (the per-address limits);
# the client by a keyed hash (an address is personal data), each row kept two minutes.
request_counts = Table(
    "request_counts", metadata,
    Column("scope", String(16), primary_key=True),
    Column("client_key", String(64), primary_key=True),
    Column("minute", BigInteger, primary_key=True),
    Column("count", Integer, nullable=False),
)
plumbing = add_plumbing_tables(metadata, clocks=False, personal_data=True)  # no statutory clock
SEALED_CLAIM_FIELDS = SEALED_FIELDS


class SqlClaims(SealedRows[Claim], Claims):
    sealed = SEALED_CLAIM_FIELDS
    locks_what_it_gets = True  # a claim is intake's case: its changes take turns

    def _row(self, obj: Claim) -> dict[str, Any]:
        row = super()._row(obj)
        erased = row["employer"] == ERASED_TEXT  # read from an erased case: no key to hash with
        row["employer_key"] = ERASED_TEXT if erased else self.case_keys.lookup_digest(row["employer_key"])
        return row

    def object_of(self, row: Any) -> Claim:
        # The stored key is a keyed hash: the claim derives its own from the employer again.
        derived = WITHHELD if row["employer"] is WITHHELD else ""
        return super().object_of({**dict(row), "employer_key": derived})

    def count_against_employer(self, key: str, since: datetime) -> int:
        """Claims filed against one employer since ``since`` (intake's history of employers)."""
        query = select(func.count()).select_from(self.table).where(
            self.table.c.employer_key == self.case_keys.lookup_digest(key), self.table.c.received_at >= since)
        return int(self.connection.execute(query).scalar_one())

    def access_digest(self, case_id: str) -> str | None:
        c = self.table.c
        return self.connection.execute(
            select(c.access_code_digest).where(c.case_id == case_id)).scalar_one_or_none()

    def urgent_open(self) -> list[Claim]:
        return self.listed(self.table.c.urgent.is_(True), self.table.c.state != CaseState.CLOSED,
                           opening=("consultation",))

    def closed_before_unerased(self, bound: datetime, limit: int) -> list[tuple[str, str, datetime]]:
        keys = self.case_keys.table
        query = (select(self.table.c.case_id, self.table.c.correlation_id, self.table.c.closed_at)
                 .where(self.table.c.closed_at < bound,
                        self.table.c.case_id.in_(select(keys.c.case_id)))
                 .order_by(self.table.c.closed_at).limit(limit))
        return [(case_id, correlation, closed) for case_id, correlation, closed in self.connection.execute(query)]


class SqlEvidenceFiles(DataclassRepository[EvidenceFile], EvidenceFiles):
    def described(self, case_id: str) -> list[dict[str, Any]]:
        columns = [c for c in self.table.c if c.name != "content"]
        query = select(*columns).where(self.table.c.case_id == case_id).order_by(self.table.c.received_at)
        return [dict(row) for row in self.connection.execute(query).mappings()]

    def count_for(self, case_id: str) -> int:
        return self.count(self.table.c.case_id == case_id)

    def of_cases_closed_before(self, bound: datetime, limit: int) -> list[tuple[str, str, datetime]]:
        query = (select(claims.c.case_id, claims.c.correlation_id, claims.c.closed_at)
                 .where(claims.c.closed_at < bound,
                        claims.c.case_id.in_(select(self.table.c.case_id)))
                 .order_by(claims.c.closed_at).limit(limit))
        return [(case_id, correlation, closed) for case_id, correlation, closed in self.connection.execute(query)]

    def delete_for(self, case_id: str) -> int:
        return int(self.connection.execute(delete(self.table).where(self.table.c.case_id == case_id)).rowcount)


class SqlRegisteredAgencies(DataclassRepository[RegisteredAgency], RegisteredAgencies):
    def listed(self) -> list[RegisteredAgency]:
        return self.find()


@functools.cache
def _one_more(dialect: str) -> Any:
    """Count one request: the row made, or its count raised, in one statement that returns it."""
    c = request_counts.c
    return (dialect_insert(dialect, request_counts)
            .on_conflict_do_update(index_elements=[c.scope, c.client_key, c.minute],
                                   set_={"count": c.count + 1})
            .returning(c.count))


class SqlRequestCounts(RequestCounts):
    def __init__(self, connection: Connection, case_keys: Any) -> None:
        self.connection, self.case_keys = connection, case_keys

    def counted(self, scope: str, client: str, minute: int) -> tuple[int, int]:
        key = self.case_keys.lookup_digest(f"{scope}:{client}")
        current = self.connection.execute(_one_more(self.connection.dialect.name), {
            "scope": scope, "client_key": key, "minute": minute, "count": 1}).scalar_one()
        c = request_counts.c
        previous = self.connection.execute(select(c.count).where(
            c.scope == scope, c.client_key == key, c.minute == minute - 1)).scalar_one_or_none()
        return int(current), int(previous or 0)

    def forget_before(self, minute: int) -> int:
        return int(self.connection.execute(
            delete(request_counts).where(request_counts.c.minute < minute)).rowcount)


class SqlIntakeUnitOfWork(SqlUnitOfWork, IntakeUnitOfWork):
    claims: SqlClaims
    evidence: SqlEvidenceFiles
    agencies: SqlRegisteredAgencies
    request_counts: SqlRequestCounts

    def erase_kept_beside(self, case_id: str) -> None:
        # The files themselves, and the keyed hash that would still link the claim to the
        # employer's other claims. The access code's digest stays: the worker's case page still
        # opens, and shows the case without its personal data.
        self.evidence.delete_for(case_id)
        self.connection.execute(update(claims).where(claims.c.case_id == case_id)
                                .values(employer_key=ERASED_TEXT))

    def bind(self, connection: Connection) -> None:
        self.claims = SqlClaims(connection, claims, Claim, self.case_keys)
        self.evidence = SqlEvidenceFiles(connection, evidence_files, EvidenceFile)
        self.agencies = SqlRegisteredAgencies(connection, registered_agencies, RegisteredAgency)
        self.request_counts = SqlRequestCounts(connection, self.case_keys)
