"""drop the unused clocks table: intake keeps no statutory clock

The release before this one never reads or writes the table (intake starts no clock; the table
came with the plumbing every service used to get), so it keeps working after the drop.
Downgrading builds the empty table again.

Revision ID: 209a17843d4f
Revises: 7529c37928d7
Create Date: 2026-12-04 12:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations import plumbing_tables

revision: str = '209a17843d4f'
down_revision: str | Sequence[str] | None = '7529c37928d7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plumbing_tables.drop_clocks()


def downgrade() -> None:
    plumbing_tables.create_clocks()
