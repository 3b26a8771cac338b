"""Triage: limitation, the history of employers, joint consultation

Revision ID: 7529c37928d7
Revises: 25005e9f4698
Create Date: 2026-11-24 21:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7529c37928d7'
down_revision: str | Sequence[str] | None = '25005e9f4698'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Claims filed before this have no employer key: they do not count as an employer's history.
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('limitation_facts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('limitation', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('employer_key', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('consultation', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_claims_employer_key'), ['employer_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_employer_key'))
        batch_op.drop_column('consultation')
        batch_op.drop_column('employer_key')
        batch_op.drop_column('limitation')
        batch_op.drop_column('limitation_facts')
