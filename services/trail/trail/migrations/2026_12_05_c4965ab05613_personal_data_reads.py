"""personal data reads: access records listed by case and by worker

Every ``personal_data.read`` the trail records in its chain is also kept here, with the
case's worker as ``case.filed`` named them (a keyed ref), so an auditor can list every read of
one worker's data. A new table: the release before neither reads nor writes it.

Revision ID: c4965ab05613
Revises: 7677caeb92c4
Create Date: 2026-12-05 00:10:14.618530
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c4965ab05613'
down_revision: str | Sequence[str] | None = '7677caeb92c4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('personal_data_reads',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('worker_ref', sa.String(length=16), nullable=True),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('reader', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('via', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_reads')),
    sa.UniqueConstraint('event_id', name=op.f('uq_personal_data_reads_event_id'))
    )
    with op.batch_alter_table('personal_data_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personal_data_reads_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_personal_data_reads_worker_ref'), ['worker_ref'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('personal_data_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personal_data_reads_worker_ref'))
        batch_op.drop_index(batch_op.f('ix_personal_data_reads_case_id'))

    op.drop_table('personal_data_reads')
