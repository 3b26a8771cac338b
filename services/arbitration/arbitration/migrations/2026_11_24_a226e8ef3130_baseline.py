"""baseline: the service's tables and the plumbing (outbox, inbox, handoffs)

Revision ID: a226e8ef3130
Revises: none (the first revision)
Create Date: 2026-11-24 21:20:23.435480
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.migrations import plumbing_tables

revision: str = 'a226e8ef3130'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('arbitration_cases',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('handoff_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('dossier', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('arbitrator_id', sa.String(length=40), nullable=True),
    sa.Column('amount_awarded', sa.String(length=24), nullable=True),
    sa.Column('final_for_employer', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_arbitration_cases'))
    )
    op.create_index(op.f('ix_arbitration_cases_arbitrator_id'), 'arbitration_cases', ['arbitrator_id'], unique=False)
    op.create_index(op.f('ix_arbitration_cases_state'), 'arbitration_cases', ['state'], unique=False)
    plumbing_tables.create_handoffs()
    plumbing_tables.create_inbox()
    plumbing_tables.create_outbox()


def downgrade() -> None:
    plumbing_tables.drop_outbox()
    plumbing_tables.drop_inbox()
    plumbing_tables.drop_handoffs()
    op.drop_index(op.f('ix_arbitration_cases_state'), table_name='arbitration_cases')
    op.drop_index(op.f('ix_arbitration_cases_arbitrator_id'), table_name='arbitration_cases')
    op.drop_table('arbitration_cases')
