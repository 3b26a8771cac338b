"""Rows written before the triage, mediation and legal-aid columns existed still load after the
upgrade: the new columns get their defaults (no flag set, empty lists)."""

from __future__ import annotations

import json

from sqlalchemy import text

import legal_aid.adapters
import mediation.adapters
from disputes_shared.contract.clock import ManualClock
from disputes_shared.plumbing.schema import ServiceSchema
from disputes_shared.plumbing.storage import make_engine

from .examples import AT, dossier

CLOCKS_REVISIONS = {"mediation": "95ed7b788a0e", "legal_aid": "03dc07a7dfe0"}
OLD_CASE = {"case_id": "LD-OLD", "correlation_id": "c", "handoff_id": "h", "purpose": "mediation",
            "state": "in_mediation", "received_at": "2026-03-02 09:00:00.000000", "history": "{}"}


def old_row(url: str, table: str, purpose: str, extra: dict[str, object]) -> None:
    engine = make_engine(url)
    row = {**OLD_CASE, "purpose": purpose,
           "dossier": json.dumps(dossier(), default=str, ensure_ascii=False), **extra}
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({', '.join(row)}) "
                                f"VALUES ({', '.join(':' + k for k in row)})"), row)
    engine.dispose()


def test_a_mediation_case_from_before_loads_with_no_sessions_and_no_offer(tmp_path):
    url = f"sqlite:///{tmp_path / 'mediation.db'}"
    schema = ServiceSchema("mediation", mediation.adapters.metadata)
    schema.upgrade(url, CLOCKS_REVISIONS["mediation"])
    old_row(url, "mediation_cases", "mediation", {"station_id": "people-wuhou"})
    schema.upgrade(url)
    engine = make_engine(url)
    with mediation.adapters.MediationUnitOfWork(engine, mediation.adapters.plumbing,
                                                ManualClock(AT)) as uow:
        case = uow.cases.get("LD-OLD")
    engine.dispose()
    assert (case.sessions, case.arbitration_offered, case.subsidy) == ([], False, None)


def test_a_legal_aid_application_from_before_loads_outside_the_green_channel(tmp_path):
    url = f"sqlite:///{tmp_path / 'legal_aid.db'}"
    schema = ServiceSchema("legal_aid", legal_aid.adapters.metadata)
    schema.upgrade(url, CLOCKS_REVISIONS["legal_aid"])
    old_row(url, "aid_applications", "legal_aid", {"state": "granted", "representing": True})
    schema.upgrade(url)
    engine = make_engine(url)
    with legal_aid.adapters.LegalAidUnitOfWork(engine, legal_aid.adapters.plumbing,
                                               ManualClock(AT)) as uow:
        application = uow.cases.get("LD-OLD")
    engine.dispose()
    assert (application.green_channel, application.provisional, application.forums) == ([], False, [])
