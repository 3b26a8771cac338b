"""Personal data sealed: each case's data key in data_keys, the mediation_cases personal columns as sealed text

Revision ID: 4d1e6a0b7c21
Revises: 7bcda5a37167
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import open_personal_columns, seal_personal_columns

revision: str = '4d1e6a0b7c21'
down_revision: str | Sequence[str] | None = '7bcda5a37167'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    seal_personal_columns('mediation', 'mediation_cases', ['dossier'])


def downgrade() -> None:
    open_personal_columns('mediation', 'mediation_cases', ['dossier'])
