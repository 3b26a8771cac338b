"""baseline: the service's tables and the plumbing (outbox, inbox, handoffs)

Revision ID: 78e986133b3f
Revises: none (the first revision)
Create Date: 2026-11-24 21:20:22.113058
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.migrations import plumbing_tables

revision: str = '78e986133b3f'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('aid_applications',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('handoff_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('dossier', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('lawyer_id', sa.String(length=40), nullable=True),
    sa.Column('means_test', sa.String(length=16), nullable=True),
    sa.Column('representing', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_aid_applications'))
    )
    op.create_index(op.f('ix_aid_applications_lawyer_id'), 'aid_applications', ['lawyer_id'], unique=False)
    op.create_index(op.f('ix_aid_applications_representing'), 'aid_applications', ['representing'], unique=False)
    op.create_index(op.f('ix_aid_applications_state'), 'aid_applications', ['state'], unique=False)
    plumbing_tables.create_handoffs()
    plumbing_tables.create_inbox()
    plumbing_tables.create_outbox()


def downgrade() -> None:
    plumbing_tables.drop_outbox()
    plumbing_tables.drop_inbox()
    plumbing_tables.drop_handoffs()
    op.drop_index(op.f('ix_aid_applications_state'), table_name='aid_applications')
    op.drop_index(op.f('ix_aid_applications_representing'), table_name='aid_applications')
    op.drop_index(op.f('ix_aid_applications_lawyer_id'), table_name='aid_applications')
    op.drop_table('aid_applications')
