"""The data map in docs/personal-data.md says what the purpose table says: it cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.purposes import DOSSIER_FIELDS, PERSONAL_FIELDS, allowed_fields, received_by
from disputes_shared.contract.routing import SERVICE_NAMES

PAGE = Path(__file__).resolve().parents[2] / "docs" / "personal-data.md"
NAMED = re.compile(r"`([^`]+)`")


def table_after(heading: str) -> list[list[str]]:
    """The cells of the first table under ``heading``, header row first, rule row left out."""
    lines = PAGE.read_text(encoding="utf-8").split(f"\n{heading}\n", 1)[1].splitlines()
    rows = [line for line in lines[next(i for i, line in enumerate(lines) if line.startswith("|")):]]
    rows = rows[:next((i for i, line in enumerate(rows) if not line.startswith("|")), len(rows))]
    return [[cell.strip() for cell in row.strip("|").split("|")] for i, row in enumerate(rows) if i != 1]


def test_the_page_shows_what_each_purpose_receives_as_the_contract_does():
    header, *rows = table_after("### What each purpose receives")
    purposes = [NAMED.fullmatch(cell).group(1) for cell in header[1:]]  # type: ignore[union-attr]
    assert sorted(purposes) == sorted(HandoffPurpose)
    assert [NAMED.fullmatch(row[0]).group(1) for row in rows] == list(DOSSIER_FIELDS)  # type: ignore[union-attr]
    for row in rows:
        field = row[0].strip("`")
        shown = {purpose for purpose, cell in zip(purposes, row[1:], strict=True) if cell == "✓"}
        assert shown == {p for p in purposes if field in allowed_fields(p)}, field
        assert set(row[1:]) <= {"✓", "—"}, field


def test_each_receiving_agency_is_shown_holding_its_purposes_personal_fields_and_no_other():
    header, *rows = table_after("### Who holds what")
    held = {NAMED.match(row[0]).group(1): row[header.index("personal data it holds")]  # type: ignore[union-attr]
            for row in rows if NAMED.match(row[0])}
    for agency in (Agency.MEDIATION, Agency.LEGAL_AID, Agency.ARBITRATION, Agency.COURTS,
                   Agency.LABOR_INSPECTION):
        shown = set(NAMED.findall(held[SERVICE_NAMES.get(agency, str(agency))])) & set(DOSSIER_FIELDS)
        assert shown == received_by(agency) & set(PERSONAL_FIELDS), agency
    for keeps_none in ("trail", "analytics", "portal"):
        assert not set(NAMED.findall(held[keeps_none])) & set(PERSONAL_FIELDS), keeps_none
    assert set(NAMED.findall(held["intake"])) >= set(PERSONAL_FIELDS)
