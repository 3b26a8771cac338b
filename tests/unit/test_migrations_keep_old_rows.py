"""Rows written before the triage, mediation and legal-aid columns existed still load after the
upgrade: the new columns get their defaults (no flag set, empty lists), and the whole dossier
they were received with is cut to their purpose's fields."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

import legal_aid.adapters
import mediation.adapters
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.contract.purposes import allowed_fields, dossier_fields
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.schema import ServiceSchema

from ..support.examples import AT, dossier
from ..support.fakes import FakeKeyManagement

CLOCKS_REVISIONS = {"mediation": "3ec90e8b5833", "legal_aid": "89f004fc36e9"}
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


OLD_ROWS = {
    "mediation": (mediation.adapters, mediation.adapters.SqlMediationUnitOfWork, "mediation_cases",
                  {"station_id": "people-wuhou"},
                  lambda case: (case.sessions, case.arbitration_offered, case.subsidy) == ([], False, None)),
    "legal_aid": (legal_aid.adapters, legal_aid.adapters.SqlLegalAidUnitOfWork, "aid_applications",
                  {"state": "granted", "representing": True},
                  lambda case: (case.green_channel, case.provisional, case.forums) == ([], False, [])),
}


@pytest.mark.parametrize("package", OLD_ROWS)
def test_a_case_from_before_loads_with_the_new_columns_defaults(package, tmp_path):
    adapters, uow_class, table, extra, as_defaults = OLD_ROWS[package]
    url = f"sqlite:///{tmp_path / 'service.db'}"
    schema = ServiceSchema(package, adapters.metadata)
    schema.upgrade(url, CLOCKS_REVISIONS[package])
    old_row(url, table, package, extra)
    keys = FakeKeyManagement()
    schema.upgrade(url, keys=keys)
    engine = make_engine(url)
    with uow_class(engine, adapters.plumbing, ManualClock(AT), keys=keys) as uow:
        case = uow.cases.get("LD-OLD")
    with engine.connect() as connection:  # the dossier stored in the clear was sealed
        stored = connection.execute(text(f"SELECT dossier FROM {table}")).scalar_one()
    engine.dispose()
    assert as_defaults(case)
    assert case.dossier["worker"] == dossier()["worker"]
    assert dossier_fields(case.dossier) == dossier_fields(dossier()) & allowed_fields(package)
    assert dossier_fields(case.dossier) != dossier_fields(dossier())  # something was cut
    assert not any(value in stored for value in dossier()["worker"].values())
