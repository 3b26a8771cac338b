"""Legal aid: green channel, aid before review, forums followed

Revision ID: b15ec879e639
Revises: 89f004fc36e9
Create Date: 2026-11-24 21:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b15ec879e639'
down_revision: str | Sequence[str] | None = '89f004fc36e9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before keep working: new flags off, new lists empty.
    with op.batch_alter_table('aid_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('green_channel', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('provisional', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('forums', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('aid_applications', schema=None) as batch_op:
        batch_op.drop_column('forums')
        batch_op.drop_column('provisional')
        batch_op.drop_column('green_channel')
