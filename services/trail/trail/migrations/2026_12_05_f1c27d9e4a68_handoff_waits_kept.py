"""handoff waits kept: the handoff view ranks each agency pair's waits on an index

Every answered handoff's wait (seconds from requested to answered, as ``Handoff.wait_seconds``
gives it) is kept in a column of its own, filled here for the handoffs answered before, with
three indexes: by status and agency pair (the counts and the oldest pending), by status and
case (the cases returned again and again), and by agency pair and wait where it is set. The release before ignores the column; a handoff it answers after this
migration has no wait kept, and is left out of the waits until the column is filled again.

Revision ID: f1c27d9e4a68
Revises: e3a91c5d7b20
Create Date: 2026-12-05 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f1c27d9e4a68'
down_revision: str | Sequence[str] | None = 'e3a91c5d7b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANSWERED = sa.text("wait_seconds IS NOT NULL")
# Exact to the microsecond, as Python's timedelta counts it: SQLite's text times as whole
# seconds since the epoch (of the text without its fraction, which strftime would round) and
# their microseconds (julianday's days lose a few microseconds); PostgreSQL's interval as
# numeric seconds.
WAIT = {
    "sqlite": "((strftime('%s', substr(answered_at, 1, 19)) - strftime('%s', substr(requested_at, 1, 19)))"
              " * 1000000"
              " + CAST(substr(answered_at, 21, 6) AS INTEGER)"
              " - CAST(substr(requested_at, 21, 6) AS INTEGER)) / 1000000.0",
    "postgresql": "CAST(EXTRACT(EPOCH FROM answered_at - requested_at) AS DOUBLE PRECISION)",
}


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("wait_seconds", sa.Float(), nullable=True))
    op.execute(f"UPDATE handoffs SET wait_seconds = {WAIT[op.get_bind().dialect.name]} "
               "WHERE answered_at IS NOT NULL")
    op.create_index("ix_handoffs_status_pair", "handoffs", ["status", "from_agency", "to_agency", "requested_at"])
    op.create_index("ix_handoffs_status_case", "handoffs", ["status", "case_id"])
    op.create_index("ix_handoffs_waits", "handoffs", ["from_agency", "to_agency", "wait_seconds"],
                    sqlite_where=ANSWERED, postgresql_where=ANSWERED)


def downgrade() -> None:
    op.drop_index("ix_handoffs_waits", table_name="handoffs")
    op.drop_index("ix_handoffs_status_case", table_name="handoffs")
    op.drop_index("ix_handoffs_status_pair", table_name="handoffs")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("wait_seconds")
