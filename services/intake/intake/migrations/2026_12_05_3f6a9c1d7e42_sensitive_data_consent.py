"""The worker's separate consent to processing the ID number (PIPL art. 29), kept with the claim

Revision ID: 3f6a9c1d7e42
Revises: 9ae87aaf93cb
Create Date: 2026-12-05 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3f6a9c1d7e42'
down_revision: str | Sequence[str] | None = '9ae87aaf93cb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Claims filed before were taken without the separate consent: they keep none (null), and
    # the worker's copy says so.
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sensitive_data_consent', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('sensitive_data_consent')
