"""baseline: the service's tables and the plumbing (outbox, inbox, handoffs)

Revision ID: 10108615c6b6
Revises: none (the first revision)
Create Date: 2026-11-24 21:20:20.786541
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.migrations import plumbing_tables

revision: str = '10108615c6b6'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plumbing_tables.create_handoffs()
    plumbing_tables.create_inbox()
    op.create_table('mediation_cases',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('handoff_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('dossier', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('station_id', sa.String(length=64), nullable=True),
    sa.Column('mediator_id', sa.String(length=80), nullable=True),
    sa.Column('amount_agreed', sa.String(length=24), nullable=True),
    sa.Column('pay_by', sa.Date(), nullable=True),
    sa.Column('amount_paid', sa.String(length=24), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_mediation_cases'))
    )
    op.create_index(op.f('ix_mediation_cases_mediator_id'), 'mediation_cases', ['mediator_id'], unique=False)
    op.create_index(op.f('ix_mediation_cases_state'), 'mediation_cases', ['state'], unique=False)
    op.create_index(op.f('ix_mediation_cases_station_id'), 'mediation_cases', ['station_id'], unique=False)
    plumbing_tables.create_outbox()


def downgrade() -> None:
    plumbing_tables.drop_outbox()
    op.drop_index(op.f('ix_mediation_cases_station_id'), table_name='mediation_cases')
    op.drop_index(op.f('ix_mediation_cases_state'), table_name='mediation_cases')
    op.drop_index(op.f('ix_mediation_cases_mediator_id'), table_name='mediation_cases')
    op.drop_table('mediation_cases')
    plumbing_tables.drop_inbox()
    plumbing_tables.drop_handoffs()
