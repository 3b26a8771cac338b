"""bounces counted on indexes: the handoff view and the bounced-cases gauge read no rows

The index by status and case also holds each handoff's answer time, so the bounced cases are
counted, and those returned last found, on the index alone; a new index on the summaries by
returns and closing counts the bounced cases open and closed for the gauge refreshed every few
seconds, which read every summary of a case returned twice before. The release before reads the
same indexes.

Revision ID: d8c3f5a1e926
Revises: a5d0e8c3b214
Create Date: 2026-12-05 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'd8c3f5a1e926'
down_revision: str | Sequence[str] | None = 'a5d0e8c3b214'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_CASE = ["status", "case_id"]


def upgrade() -> None:
    op.drop_index("ix_handoffs_status_case", table_name="handoffs")
    op.create_index("ix_handoffs_status_case", "handoffs", [*BY_CASE, "answered_at"])
    op.create_index("ix_case_summaries_returns", "case_summaries", ["returns", "closed_at"])


def downgrade() -> None:
    op.drop_index("ix_case_summaries_returns", table_name="case_summaries")
    op.drop_index("ix_handoffs_status_case", table_name="handoffs")
    op.create_index("ix_handoffs_status_case", "handoffs", BY_CASE)
