"""The events whose effect the read model holds, so that the consumer and a rebuild from the
trail fold each once

Revision ID: 9702cfb4281b
Revises: c4e1f0a9d3b6
Create Date: 2026-12-05 03:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9702cfb4281b'
down_revision: str | Sequence[str] | None = 'c4e1f0a9d3b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Starts empty: the events folded before are not listed, and need not be (the inbox keeps
    # them from being applied again, and a rebuild clears the facts with the list).
    op.create_table('folded_events',
                    sa.Column('event_id', sa.String(length=36), nullable=False),
                    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_folded_events')))


def downgrade() -> None:
    op.drop_table('folded_events')
