"""baseline: the service's tables and the plumbing (outbox, inbox, handoffs)

Revision ID: 9ef976733e3b
Revises: none (the first revision)
Create Date: 2026-11-24 21:20:26.147742
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.migrations import plumbing_tables

revision: str = '9ef976733e3b'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_summaries',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('aid_state', sa.String(length=32), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('last_event_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('amount_recovered', sa.String(length=24), nullable=True),
    sa.Column('returns', sa.Integer(), nullable=False),
    sa.Column('anomalies', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_summaries'))
    )
    op.create_index(op.f('ix_case_summaries_outcome'), 'case_summaries', ['outcome'], unique=False)
    op.create_index(op.f('ix_case_summaries_state'), 'case_summaries', ['state'], unique=False)
    plumbing_tables.create_handoffs()
    plumbing_tables.create_inbox()
    plumbing_tables.create_outbox()
    op.create_table('trail_checkpoints',
    sa.Column('entry_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_trail_checkpoints'))
    )
    op.create_table('trail_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('move', sa.String(length=96), nullable=False),
    sa.Column('source_agency', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('causation_id', sa.String(length=36), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trail_entries')),
    sa.UniqueConstraint('entry_hash', name=op.f('uq_trail_entries_entry_hash')),
    sa.UniqueConstraint('event_id', name=op.f('uq_trail_entries_event_id'))
    )
    op.create_index(op.f('ix_trail_entries_case_id'), 'trail_entries', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_trail_entries_case_id'), table_name='trail_entries')
    op.drop_table('trail_entries')
    op.drop_table('trail_checkpoints')
    plumbing_tables.drop_outbox()
    plumbing_tables.drop_inbox()
    plumbing_tables.drop_handoffs()
    op.drop_index(op.f('ix_case_summaries_state'), table_name='case_summaries')
    op.drop_index(op.f('ix_case_summaries_outcome'), table_name='case_summaries')
    op.drop_table('case_summaries')
