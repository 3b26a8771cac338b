"""signed entries; checkpoints sign count, time and the previous checkpoint

Rows recorded before this revision have no entry signature (an empty one) and checkpoints in the
earlier format: `disputes verify` reports the first of them as not signed. Verify a trail with
the release before this one before upgrading it.

Revision ID: 24adde5d80cb
Revises: 9ef976733e3b
Create Date: 2026-11-24 21:45:31.990617
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '24adde5d80cb'
down_revision: str | Sequence[str] | None = '9ef976733e3b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Defaults only for rows already there (see above); new rows always carry their values.
    with op.batch_alter_table('trail_checkpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entries', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('previous', sa.String(length=128), nullable=False,
                                      server_default=''))
        batch_op.create_unique_constraint(batch_op.f('uq_trail_checkpoints_signature'), ['signature'])

    with op.batch_alter_table('trail_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature', sa.String(length=128), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('trail_entries', schema=None) as batch_op:
        batch_op.drop_column('signature')

    with op.batch_alter_table('trail_checkpoints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_trail_checkpoints_signature'), type_='unique')
        batch_op.drop_column('previous')
        batch_op.drop_column('entries')
