"""Mediation: sessions, the offer of arbitration, difficulty and subsidy

Revision ID: 7bcda5a37167
Revises: 3ec90e8b5833
Create Date: 2026-11-24 21:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7bcda5a37167'
down_revision: str | Sequence[str] | None = '3ec90e8b5833'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before keep working: new flags off, new lists empty.
    with op.batch_alter_table('mediation_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sessions', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('arbitration_offered', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('difficulty', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('subsidy', sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mediation_cases', schema=None) as batch_op:
        batch_op.drop_column('subsidy')
        batch_op.drop_column('difficulty')
        batch_op.drop_column('arbitration_offered')
        batch_op.drop_column('sessions')
