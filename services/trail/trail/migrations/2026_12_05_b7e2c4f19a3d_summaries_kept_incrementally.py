"""summaries kept incrementally: each case's summary holds its inspection track and worker

A case's summary is advanced by each newest event instead of replayed from all of its entries,
so it keeps what the replay otherwise finds again: where the labor-inspection track stands and
the worker ``case.filed`` named. Summaries kept before have both null and are replayed once, at
their case's next event. The release before ignores both columns.

Revision ID: b7e2c4f19a3d
Revises: 5e1a7c93b0d4
Create Date: 2026-12-05 01:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7e2c4f19a3d'
down_revision: str | Sequence[str] | None = '5e1a7c93b0d4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_summaries") as batch:
        batch.add_column(sa.Column("inspection_state", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("worker_ref", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_summaries") as batch:
        batch.drop_column("worker_ref")
        batch.drop_column("inspection_state")
