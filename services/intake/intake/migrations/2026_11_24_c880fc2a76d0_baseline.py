"""baseline: the service's tables and the plumbing (outbox, inbox, handoffs)

Revision ID: c880fc2a76d0
Revises: none (the first revision)
Create Date: 2026-11-24 21:20:19.373871
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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
    op.create_table('handoffs',
    sa.Column('handoff_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('from_agency', sa.String(length=40), nullable=False),
    sa.Column('to_agency', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('to_unit', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('handoff_id', name=op.f('pk_handoffs'))
    )
    op.create_index(op.f('ix_handoffs_case_id'), 'handoffs', ['case_id'], unique=False)
    op.create_index(op.f('ix_handoffs_status'), 'handoffs', ['status'], unique=False)
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id', name=op.f('pk_inbox'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('exchange', sa.String(length=64), nullable=False),
    sa.Column('routing_key', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    op.create_index('ix_outbox_unpublished', 'outbox', ['published_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_unpublished', table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('inbox')
    op.drop_index(op.f('ix_handoffs_status'), table_name='handoffs')
    op.drop_index(op.f('ix_handoffs_case_id'), table_name='handoffs')
    op.drop_table('handoffs')
    op.drop_index(op.f('ix_claims_state'), table_name='claims')
    op.drop_table('claims')
