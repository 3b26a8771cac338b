"""statutory clocks, the proceeding and the award's items

Revision ID: cd07e31596d2
Revises: a226e8ef3130
Create Date: 2026-11-24 21:45:58.801851
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.migrations import plumbing_tables

revision: str = 'cd07e31596d2'
down_revision: str | Sequence[str] | None = 'a226e8ef3130'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plumbing_tables.create_clocks()

    with op.batch_alter_table('arbitration_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('award_items', sa.JSON(), nullable=True))
        # Cases already held get an empty panel and no overdue award.
        batch_op.add_column(sa.Column('panel', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('served_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('answer_received_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('answer_passed_on_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hearing_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('awarded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('effective_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('award_overdue', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('arbitration_cases', schema=None) as batch_op:
        batch_op.drop_column('award_overdue')
        batch_op.drop_column('effective_on')
        batch_op.drop_column('awarded_at')
        batch_op.drop_column('hearing_on')
        batch_op.drop_column('answer_passed_on_at')
        batch_op.drop_column('answer_received_at')
        batch_op.drop_column('served_at')
        batch_op.drop_column('panel')
        batch_op.drop_column('award_items')

    plumbing_tables.drop_clocks()
