"""registered agencies: the outside agencies intake routes to, changed at run time

Revision ID: 8e4b1f0c2d57
Revises: 5c1d7e2f9a30
Create Date: 2026-12-04 17:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8e4b1f0c2d57'
down_revision: str | Sequence[str] | None = '5c1d7e2f9a30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Empty: referrals to labor inspection were switched on by an environment setting before;
    # an operator registers the bureau once (disputes agency add labor_inspection).
    op.create_table('registered_agencies',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_registered_agencies'))
    )


def downgrade() -> None:
    op.drop_table('registered_agencies')
