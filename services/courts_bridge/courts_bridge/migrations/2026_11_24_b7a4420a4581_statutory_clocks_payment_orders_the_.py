"""statutory clocks, payment orders, the court system's steps

Revision ID: b7a4420a4581
Revises: 019c27e76ed7
Create Date: 2026-11-24 21:46:06.307364
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from disputes_shared.migrations import plumbing_tables

revision: str = 'b7a4420a4581'
down_revision: str | Sequence[str] | None = '019c27e76ed7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plumbing_tables.create_clocks()

    with op.batch_alter_table('court_matters', schema=None) as batch_op:
        # Matters already held: the proceeding is the purpose they came for.
        batch_op.add_column(sa.Column('proceeding', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('payment_order_amount', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('respond_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('enforceable', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('last_step_at', sa.DateTime(), nullable=True))

    op.execute("UPDATE court_matters SET proceeding = purpose WHERE proceeding IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('court_matters', schema=None) as batch_op:
        batch_op.drop_column('last_step_at')
        batch_op.drop_column('enforceable')
        batch_op.drop_column('respond_by')
        batch_op.drop_column('payment_order_amount')
        batch_op.drop_column('proceeding')

    plumbing_tables.drop_clocks()
