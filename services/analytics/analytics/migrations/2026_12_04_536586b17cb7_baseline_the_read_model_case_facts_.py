"""baseline: the read model (case facts, stage times, warnings raised) and the plumbing

Revision ID: 536586b17cb7
Revises: none (the first revision)
Create Date: 2026-12-04 14:55:39.823264
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.migrations import plumbing_tables

revision: str = '536586b17cb7'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_facts',
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=True),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('industry', sa.String(length=32), nullable=True),
    sa.Column('relationship', sa.String(length=32), nullable=True),
    sa.Column('claim_types', sa.JSON(), nullable=False),
    sa.Column('district', sa.String(length=64), nullable=True),
    sa.Column('amount_claimed', sa.String(length=24), nullable=False),
    sa.Column('worker_count', sa.Integer(), nullable=False),
    sa.Column('employer_ref', sa.String(length=16), nullable=True),
    sa.Column('platform', sa.String(length=200), nullable=True),
    sa.Column('mediation', sa.String(length=16), nullable=True),
    sa.Column('mediation_ended_at', sa.DateTime(), nullable=True),
    sa.Column('arbitration_at', sa.DateTime(), nullable=True),
    sa.Column('court_at', sa.DateTime(), nullable=True),
    sa.Column('returns', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('amount_recovered', sa.String(length=24), nullable=False),
    sa.Column('days_open', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_facts'))
    )
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_facts_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_facts_employer_ref'), ['employer_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_facts_filed_at'), ['filed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_facts_mediation_ended_at'), ['mediation_ended_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_facts_platform'), ['platform'], unique=False)

    plumbing_tables.create_inbox()
    plumbing_tables.create_outbox()
    op.create_table('raised_warnings',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_raised_warnings'))
    )
    op.create_table('stage_times',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('from_agency', sa.String(length=32), nullable=True),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_stage_times'))
    )
    with op.batch_alter_table('stage_times', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_times_ended_at'), ['ended_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stage_times', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_times_ended_at'))

    op.drop_table('stage_times')
    op.drop_table('raised_warnings')
    plumbing_tables.drop_outbox()
    plumbing_tables.drop_inbox()
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_facts_platform'))
        batch_op.drop_index(batch_op.f('ix_case_facts_mediation_ended_at'))
        batch_op.drop_index(batch_op.f('ix_case_facts_filed_at'))
        batch_op.drop_index(batch_op.f('ix_case_facts_employer_ref'))
        batch_op.drop_index(batch_op.f('ix_case_facts_closed_at'))

    op.drop_table('case_facts')
