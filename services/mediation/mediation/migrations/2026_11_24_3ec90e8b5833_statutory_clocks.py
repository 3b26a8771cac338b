"""statutory clocks

Revision ID: 3ec90e8b5833
Revises: 10108615c6b6
Create Date: 2026-11-24 21:45:44.158170
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations import plumbing_tables

revision: str = '3ec90e8b5833'
down_revision: str | Sequence[str] | None = '10108615c6b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plumbing_tables.create_clocks()



def downgrade() -> None:
    plumbing_tables.drop_clocks()
