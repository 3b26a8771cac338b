"""The outbox keeps no payload once published: published bodies cut down to their header

Revision ID: 3ea31ad03176
Revises: 8d41c0a7b2e5
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import seal_outbox_bodies

revision: str = '3ea31ad03176'
down_revision: str | Sequence[str] | None = '8d41c0a7b2e5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    seal_outbox_bodies('analytics', personal_data=False)


def downgrade() -> None:
    pass  # a published body's payload is gone; nothing here was sealed
