"""statutory clocks

Revision ID: db78ddfdd23f
Revises: 24adde5d80cb
Create Date: 2026-11-24 21:46:12.926636
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations import plumbing_tables

revision: str = 'db78ddfdd23f'
down_revision: str | Sequence[str] | None = '24adde5d80cb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plumbing_tables.create_clocks()



def downgrade() -> None:
    plumbing_tables.drop_clocks()
