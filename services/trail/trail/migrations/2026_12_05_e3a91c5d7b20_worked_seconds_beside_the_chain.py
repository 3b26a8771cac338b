"""worked seconds beside the chain: the handoff view ranks each agency's stays on an index

Every work-ending entry's ``worked_seconds`` is copied from its payload into a column of its
own (outside the chain, which hashes the payload and still verifies), filled here for the
entries recorded before, with a partial index by agency and time worked. The release before
ignores the column.

Revision ID: e3a91c5d7b20
Revises: b7e2c4f19a3d
Create Date: 2026-12-05 01:25:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e3a91c5d7b20'
down_revision: str | Sequence[str] | None = 'b7e2c4f19a3d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORKED = sa.text("worked_seconds IS NOT NULL")
# The work-ending events as this revision knows them (a migration does not follow the contract).
WORK_ENDING_EVENTS = ("case.closed", "handoff.requested", "legal_aid.granted", "legal_aid.refused")


def upgrade() -> None:
    with op.batch_alter_table("trail_entries") as batch:
        batch.add_column(sa.Column("worked_seconds", sa.Float(), nullable=True))
    entries = sa.table("trail_entries", sa.column("event_type", sa.String()), sa.column("payload", sa.JSON()),
                       sa.column("worked_seconds", sa.Float()))
    op.execute(entries.update().where(entries.c.event_type.in_(WORK_ENDING_EVENTS))
               .values(worked_seconds=entries.c.payload["worked_seconds"].as_float()))
    op.create_index("ix_trail_entries_worked", "trail_entries", ["source_agency", "worked_seconds"],
                    sqlite_where=WORKED, postgresql_where=WORKED)


def downgrade() -> None:
    op.drop_index("ix_trail_entries_worked", table_name="trail_entries")
    with op.batch_alter_table("trail_entries") as batch:
        batch.drop_column("worked_seconds")
