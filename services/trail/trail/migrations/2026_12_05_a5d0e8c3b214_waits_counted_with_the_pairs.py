"""waits counted with the pairs: the handoff view counts each pair's kept waits on one index

The index by status and agency pair also holds each handoff's wait, so the one read that counts
the handoffs by status and pair, and finds the oldest pending, counts the waits kept as well,
instead of a second pass over the waits' index. The release before reads the same index.

Revision ID: a5d0e8c3b214
Revises: 2ff2d6476cb3
Create Date: 2026-12-05 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'a5d0e8c3b214'
down_revision: str | Sequence[str] | None = '2ff2d6476cb3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAIR = ["status", "from_agency", "to_agency", "requested_at"]


def upgrade() -> None:
    op.drop_index("ix_handoffs_status_pair", table_name="handoffs")
    op.create_index("ix_handoffs_status_pair", "handoffs", [*PAIR, "wait_seconds"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_status_pair", table_name="handoffs")
    op.create_index("ix_handoffs_status_pair", "handoffs", PAIR)
