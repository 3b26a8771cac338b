"""baseline: the service's tables and the plumbing (outbox, inbox, handoffs)

Revision ID: 019c27e76ed7
Revises: none (the first revision)
Create Date: 2026-11-24 21:20:24.805259
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.migrations import plumbing_tables

revision: str = '019c27e76ed7'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('court_matters',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('handoff_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('dossier', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('court_case_number', sa.String(length=64), nullable=True),
    sa.Column('ruling', sa.String(length=32), nullable=True),
    sa.Column('amount_ruled', sa.String(length=24), nullable=True),
    sa.Column('amount_recovered', sa.String(length=24), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_court_matters'))
    )
    op.create_index(op.f('ix_court_matters_state'), 'court_matters', ['state'], unique=False)
    plumbing_tables.create_handoffs()
    plumbing_tables.create_inbox()
    plumbing_tables.create_outbox()


def downgrade() -> None:
    plumbing_tables.drop_outbox()
    plumbing_tables.drop_inbox()
    plumbing_tables.drop_handoffs()
    op.drop_index(op.f('ix_court_matters_state'), table_name='court_matters')
    op.drop_table('court_matters')
