"""The outbox keeps no personal data in the clear: waiting bodies sealed under their case's data key, published ones cut down to their header

Revision ID: 9ae87aaf93cb
Revises: 8b5c0e4f1a65
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import open_outbox_bodies, seal_outbox_bodies

revision: str = '9ae87aaf93cb'
down_revision: str | Sequence[str] | None = '8b5c0e4f1a65'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    seal_outbox_bodies('intake')


def downgrade() -> None:
    open_outbox_bodies('intake')
