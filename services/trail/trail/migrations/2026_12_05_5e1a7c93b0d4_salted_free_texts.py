"""salted free texts: entries of format 2 chain their free texts as salted hashes and keep the
texts beside them, erasable

Every entry recorded before stays format 1 (hashed with its texts in the payload, as before),
so the chain verifies as it did. The release before ignores both columns: the format defaults
to 1 for what it records. Downgrading drops the columns, and with them the kept texts; entries
of format 2 then no longer verify, so a downgrade is for a trail that recorded none.

Revision ID: 5e1a7c93b0d4
Revises: c4965ab05613
Create Date: 2026-12-05 00:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.plumbing.column_types import JsonDocument

revision: str = '5e1a7c93b0d4'
down_revision: str | Sequence[str] | None = 'c4965ab05613'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trail_entries") as batch:
        batch.add_column(sa.Column("format", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("texts", JsonDocument(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trail_entries") as batch:
        batch.drop_column("texts")
        batch.drop_column("format")
