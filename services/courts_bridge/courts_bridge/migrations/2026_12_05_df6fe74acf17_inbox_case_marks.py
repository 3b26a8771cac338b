"""Inbox rows name their case, publisher and the publisher's sequence of the event in its case

Revision ID: df6fe74acf17
Revises: 874a1555c386
Create Date: 2026-12-05 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.plumbing_tables import add_inbox_case_marks, drop_inbox_case_marks

revision: str = 'df6fe74acf17'
down_revision: str | Sequence[str] | None = '874a1555c386'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_inbox_case_marks()


def downgrade() -> None:
    drop_inbox_case_marks()
