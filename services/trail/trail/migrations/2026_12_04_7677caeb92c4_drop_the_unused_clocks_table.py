"""drop the unused clocks table: the trail keeps no statutory clock

The release before this one never reads or writes the table, so it keeps working after the
drop. The trail publishes nothing either, and this release runs no outbox relay for it, but
the ``outbox`` table stays for now: the release before still polls it. It is retired
(``metadata.info["retired_tables"]`` in ``trail.adapters``) and a later release's revision
drops it. Downgrading builds the empty clocks table again.

Revision ID: 7677caeb92c4
Revises: db78ddfdd23f
Create Date: 2026-12-04 12:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations import plumbing_tables

revision: str = '7677caeb92c4'
down_revision: str | Sequence[str] | None = 'db78ddfdd23f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    plumbing_tables.drop_clocks()


def downgrade() -> None:
    plumbing_tables.create_clocks()
