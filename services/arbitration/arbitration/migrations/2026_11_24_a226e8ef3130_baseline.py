"""baseline: the service's tables and the plumbing (outbox, inbox, handoffs)

Revision ID: a226e8ef3130
Revises: none (the first revision)
Create Date: 2026-11-24 21:20:23.435480
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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
    op.drop_index(op.f('ix_arbitration_cases_state'), table_name='arbitration_cases')
    op.drop_index(op.f('ix_arbitration_cases_arbitrator_id'), table_name='arbitration_cases')
    op.drop_table('arbitration_cases')
