"""The dossiers the legal-aid applications hold cut to their handoff's purpose: those received whole, before the dossier's major 2

Revision ID: b64c16af08ba
Revises: 1b9aea02b715
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import cut_dossiers_to_their_purpose

revision: str = 'b64c16af08ba'
down_revision: str | Sequence[str] | None = '1b9aea02b715'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    cut_dossiers_to_their_purpose('legal_aid', 'aid_applications')


def downgrade() -> None:
    pass  # what was cut is gone
