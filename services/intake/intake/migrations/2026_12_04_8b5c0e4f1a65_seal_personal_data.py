"""Personal data sealed: each case's data key in data_keys, the claims personal columns as sealed text

Revision ID: 8b5c0e4f1a65
Revises: 8e4b1f0c2d57
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from disputes_shared.contract.employers import employer_key
from disputes_shared.migrations.sealing import open_personal_columns, seal_personal_columns

revision: str = '8b5c0e4f1a65'
down_revision: str | Sequence[str] | None = '8e4b1f0c2d57'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_COLUMNS = ['worker', 'employer', 'evidence', 'consultation']


def _employer_key(claim: dict[str, Any]) -> str:
    return employer_key(str(claim['employer'].get('name', '')))


def upgrade() -> None:
    seal_personal_columns('intake', 'claims', JSON_COLUMNS, ['description'], lookup_columns=['employer_key'])


def downgrade() -> None:
    open_personal_columns('intake', 'claims', JSON_COLUMNS, ['description'],
                          derive={'employer_key': _employer_key})
