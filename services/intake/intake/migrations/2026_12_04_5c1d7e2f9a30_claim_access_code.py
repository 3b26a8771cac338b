"""A claim's access code, kept as a salted digest

Revision ID: 5c1d7e2f9a30
Revises: 2abb1ad6a471
Create Date: 2026-12-04 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5c1d7e2f9a30'
down_revision: str | Sequence[str] | None = '2abb1ad6a471'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Claims filed before have no code: their workers read them through staff, as before.
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_code_digest', sa.String(length=160), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('access_code_digest')
