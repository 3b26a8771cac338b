"""Personal data sealed: each case's data key in data_keys, the arbitration_cases personal columns as sealed text

Revision ID: 6f3a8c2d9e43
Revises: cd07e31596d2
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import open_personal_columns, seal_personal_columns

revision: str = '6f3a8c2d9e43'
down_revision: str | Sequence[str] | None = 'cd07e31596d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    seal_personal_columns('arbitration', 'arbitration_cases', ['dossier'])


def downgrade() -> None:
    open_personal_columns('arbitration', 'arbitration_cases', ['dossier'])
