"""Requests per client and minute, counted by every replica of intake together

Revision ID: b41e7c9d2a68
Revises: 85de09677227
Create Date: 2026-12-05 17:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b41e7c9d2a68'
down_revision: str | Sequence[str] | None = '85de09677227'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'request_counts',
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('client_key', sa.String(length=64), nullable=False),
        sa.Column('minute', sa.BigInteger(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'client_key', 'minute', name=op.f('pk_request_counts')),
    )


def downgrade() -> None:
    op.drop_table('request_counts')
