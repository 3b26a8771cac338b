"""Personal data sealed: each case's data key in data_keys, the court_matters personal columns as sealed text

Revision ID: 7a4b9d3e0f54
Revises: b7a4420a4581
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from disputes_shared.migrations.sealing import open_personal_columns, seal_personal_columns

revision: str = '7a4b9d3e0f54'
down_revision: str | Sequence[str] | None = 'b7a4420a4581'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    seal_personal_columns('courts_bridge', 'court_matters', ['dossier'])


def downgrade() -> None:
    open_personal_columns('courts_bridge', 'court_matters', ['dossier'])
