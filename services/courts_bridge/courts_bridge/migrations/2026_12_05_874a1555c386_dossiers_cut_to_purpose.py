"""The dossiers the court matters hold cut to their handoff's purpose: those received whole, before the dossier's major 2

Revision ID: 874a1555c386
Revises: c5af615235a2
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import cut_dossiers_to_their_purpose

revision: str = '874a1555c386'
down_revision: str | Sequence[str] | None = 'c5af615235a2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    cut_dossiers_to_their_purpose('courts_bridge', 'court_matters')


def downgrade() -> None:
    pass  # what was cut is gone
