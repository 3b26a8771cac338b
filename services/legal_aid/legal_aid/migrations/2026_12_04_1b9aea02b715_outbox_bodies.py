"""The outbox keeps no personal data in the clear: waiting bodies sealed under their case's data key, published ones cut down to their header

Revision ID: 1b9aea02b715
Revises: 5e2f7b1c8d32
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import open_outbox_bodies, seal_outbox_bodies

revision: str = '1b9aea02b715'
down_revision: str | Sequence[str] | None = '5e2f7b1c8d32'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    seal_outbox_bodies('legal_aid')


def downgrade() -> None:
    open_outbox_bodies('legal_aid')
