"""Personal data sealed: each case's data key in data_keys, the aid_applications personal columns as sealed text

Revision ID: 5e2f7b1c8d32
Revises: b15ec879e639
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import open_personal_columns, seal_personal_columns

revision: str = '5e2f7b1c8d32'
down_revision: str | Sequence[str] | None = 'b15ec879e639'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    seal_personal_columns('legal_aid', 'aid_applications', ['dossier'])


def downgrade() -> None:
    open_personal_columns('legal_aid', 'aid_applications', ['dossier'])
