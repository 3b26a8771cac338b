"""The worker's ref on a case's facts (case.filed 1.3), for related cases of one worker and employer

Revision ID: 8d41c0a7b2e5
Revises: 536586b17cb7
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8d41c0a7b2e5'
down_revision: str | Sequence[str] | None = '536586b17cb7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Cases filed before have no ref: `disputes rebuild-analytics` fills it from the trail.
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker_ref', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_facts_worker_ref'), ['worker_ref'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_facts_worker_ref'))
        batch_op.drop_column('worker_ref')
