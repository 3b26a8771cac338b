"""statutory clocks

Revision ID: 25005e9f4698
Revises: c880fc2a76d0
Create Date: 2026-11-24 21:45:38.478333
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations import plumbing_tables

revision: str = '25005e9f4698'
down_revision: str | Sequence[str] | None = 'c880fc2a76d0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plumbing_tables.create_clocks()



def downgrade() -> None:
    plumbing_tables.drop_clocks()
