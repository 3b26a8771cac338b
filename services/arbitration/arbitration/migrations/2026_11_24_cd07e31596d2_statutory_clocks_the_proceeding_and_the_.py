"""statutory clocks, the proceeding and the award's items

Revision ID: cd07e31596d2
Revises: a226e8ef3130
Create Date: 2026-11-24 21:45:58.801851
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'cd07e31596d2'
down_revision: str | Sequence[str] | None = 'a226e8ef3130'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clocks',
    sa.Column('clock_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('event_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.Column('extension_days', sa.Integer(), nullable=False),
    sa.Column('extension_approved_by', sa.String(length=100), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('clock_id', name=op.f('pk_clocks'))
    )
    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clocks_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_clocks_due', ['status', 'due_at'], unique=False)

    with op.batch_alter_table('arbitration_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('award_items', sa.JSON(), nullable=True))
        # Cases already held get an empty panel and no overdue award.
        batch_op.add_column(sa.Column('panel', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('served_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('answer_received_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('answer_passed_on_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hearing_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('awarded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('effective_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('award_overdue', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('arbitration_cases', schema=None) as batch_op:
        batch_op.drop_column('award_overdue')
        batch_op.drop_column('effective_on')
        batch_op.drop_column('awarded_at')
        batch_op.drop_column('hearing_on')
        batch_op.drop_column('answer_passed_on_at')
        batch_op.drop_column('answer_received_at')
        batch_op.drop_column('served_at')
        batch_op.drop_column('panel')
        batch_op.drop_column('award_items')

    with op.batch_alter_table('clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_clocks_due')
        batch_op.drop_index(batch_op.f('ix_clocks_case_id'))

    op.drop_table('clocks')
