"""statutory clocks

Revision ID: 89f004fc36e9
Revises: 78e986133b3f
Create Date: 2026-11-24 21:45:50.368819
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations import plumbing_tables

revision: str = '89f004fc36e9'
down_revision: str | Sequence[str] | None = '78e986133b3f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plumbing_tables.create_clocks()



def downgrade() -> None:
    plumbing_tables.drop_clocks()
