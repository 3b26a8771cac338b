"""The dossiers the mediation cases hold cut to their handoff's purpose: those received whole, before the dossier's major 2

Revision ID: f4d3615b7fb3
Revises: 4bdc7daf3080
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import cut_dossiers_to_their_purpose

revision: str = 'f4d3615b7fb3'
down_revision: str | Sequence[str] | None = '4bdc7daf3080'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    cut_dossiers_to_their_purpose('mediation', 'mediation_cases')


def downgrade() -> None:
    pass  # what was cut is gone
