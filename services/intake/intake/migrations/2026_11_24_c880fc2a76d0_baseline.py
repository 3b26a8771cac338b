"""baseline: the service's tables and the plumbing (outbox, inbox, handoffs)

Revision ID: c880fc2a76d0
Revises: none (the first revision)
Create Date: 2026-11-24 21:20:19.373871
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.migrations import plumbing_tables

revision: str = 'c880fc2a76d0'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('claims',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('worker', sa.JSON(), nullable=False),
    sa.Column('migrant_worker', sa.Boolean(), nullable=False),
    sa.Column('worker_count', sa.Integer(), nullable=False),
    sa.Column('employer', sa.JSON(), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('relationship', sa.String(length=32), nullable=False),
    sa.Column('claim_types', sa.JSON(), nullable=False),
    sa.Column('amount_claimed', sa.String(length=24), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('legal_aid_requested', sa.Boolean(), nullable=False),
    sa.Column('chosen_station_id', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('collective', sa.Boolean(), nullable=False),
    sa.Column('rules_fired', sa.JSON(), nullable=False),
    sa.Column('tried_stations', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_claims'))
    )
    op.create_index(op.f('ix_claims_state'), 'claims', ['state'], unique=False)
    plumbing_tables.create_handoffs()
    plumbing_tables.create_inbox()
    plumbing_tables.create_outbox()


def downgrade() -> None:
    plumbing_tables.drop_outbox()
    plumbing_tables.drop_inbox()
    plumbing_tables.drop_handoffs()
    op.drop_index(op.f('ix_claims_state'), table_name='claims')
    op.drop_table('claims')
