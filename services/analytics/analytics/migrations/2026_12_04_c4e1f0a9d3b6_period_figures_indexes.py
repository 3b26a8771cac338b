"""Indexes for the period's figures counted in the database: a period's stretches read from one
index holding what their spreads need, and its returned handoffs apart

Revision ID: c4e1f0a9d3b6
Revises: 3ea31ad03176
Create Date: 2026-12-04 21:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'c4e1f0a9d3b6'
down_revision: str | Sequence[str] | None = '3ea31ad03176'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The new index begins with ended_at: it also serves every lookup the old one did.
    with op.batch_alter_table('stage_times', schema=None) as batch_op:
        batch_op.create_index('ix_stage_times_ended_at_spread',
                              ['ended_at', 'kind', 'agency', 'from_agency', 'seconds'], unique=False)
        batch_op.create_index('ix_stage_times_answer_ended_at', ['answer', 'ended_at'], unique=False)
        batch_op.drop_index(batch_op.f('ix_stage_times_ended_at'))


def downgrade() -> None:
    with op.batch_alter_table('stage_times', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_times_ended_at'), ['ended_at'], unique=False)
        batch_op.drop_index('ix_stage_times_answer_ended_at')
        batch_op.drop_index('ix_stage_times_ended_at_spread')
