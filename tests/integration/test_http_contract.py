"""Every service's HTTP API against its OpenAPI document, with schemathesis: generated requests,
valid and invalid, sent to a running service. No answer may be a server error or stray from
the document, invalid input must be refused and valid input accepted."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from disputes_shared.contract.personal_numbers import with_check_character
from disputes_shared.identity.roles import Role
from disputes_shared.plumbing.engine import make_engine
from intake.adapters import claims

from ..support.signin import run_issuer

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection, positive_data_acceptance]
# Every service serves the operations endpoints (on its operations port); intake also the claims.
OPERATIONS = ["/health/live", "/health/ready", "/metrics"]
SERVICES = {
    "intake": ("intake.service:IntakeService", OPERATIONS + ["/v1/claims", "/v1/claims/{case_id}"]),
    "mediation": ("mediation.service:MediationService", OPERATIONS),
    "legal_aid": ("legal_aid.service:LegalAidService", OPERATIONS),
    "arbitration": ("arbitration.service:ArbitrationService", OPERATIONS),
    "courts_bridge": ("courts_bridge.service:CourtsBridgeService", OPERATIONS),
    "trail": ("trail.service:TrailService", OPERATIONS),
}
# Bounded: the claims get the most, the operations endpoints (no input) a few each.
EXAMPLES = {"/v1/claims": 120, "/v1/claims/{case_id}": 40}


def with_valid_person_numbers(case: Any) -> None:
    """A resident ID's check character and birth date, and a mobile number's second digit, are
    rules the document describes but its patterns cannot hold: a positive case gets numbers that
    keep them (drawn from the generated ones), every other field as generated."""
    worker = case.body.get("worker") if isinstance(case.body, dict) else None
    if case.meta.generation.mode is GenerationMode.POSITIVE and isinstance(worker, dict):
        if isinstance(worker.get("id_number"), str):
            worker["id_number"] = with_check_character(f"51010419900101{worker['id_number'][14:17]}")
        if isinstance(worker.get("phone"), str):
            worker["phone"] = "138" + worker["phone"][3:]


def service_class(where: str) -> tuple[Any, Any]:
    module_name, class_name = where.split(":")
    module = importlib.import_module(module_name)
    adapters = importlib.import_module(module_name.rsplit(".", 1)[0] + ".adapters")
    return getattr(module, class_name), adapters.metadata


def operations(paths: list[str]) -> list[Any]:
    schema = schemathesis.openapi.from_path(str(SPEC))
    schema.config.generation.update(allow_x00=False)  # the document rules NUL out of all text
    return [operation for path in paths for operation in schema[path].values()]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_http_api_keeps_its_openapi_document_under_generated_requests(
        service, start_service):
    where, paths = SERVICES[service]
    service_cls, metadata = service_class(where)
    # Hundreds of requests from one address: the per-address limits (their own tests) off.
    config = start_service(service_cls, metadata, FILING_RATE_PER_MINUTE="0", READING_RATE_PER_MINUTE="0")
    base_url = f"http://{config['WEB_SERVER_ADDRESS']}"
    ops_url = f"http://{config['OPS_SERVER_ADDRESS']}"
    # Signed in as the role that may use every endpoint here; refusals are test_signed_in's.
    signed_in = {"Authorization": f"Bearer {run_issuer().issue(Role.INTAKE_CLERK)}"}
    sent = {"positive": 0, "negative": 0}
    for operation in operations(paths):
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        if not operation.body and not list(operation.iter_parameters()):
            modes = [GenerationMode.POSITIVE]  # nothing to spoil

        @settings(max_examples=EXAMPLES.get(operation.path, 5), deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(st.sampled_from(modes).flatmap(operation.as_strategy))
        def call(case: Any) -> None:
            with_valid_person_numbers(case)
            case.call_and_validate(base_url=ops_url if case.path in OPERATIONS else base_url, checks=CHECKS, timeout=10, headers=signed_in)
            sent[case.meta.generation.mode.value] += 1

        call()
    assert sent["positive"] > 0
    if service == "intake":
        assert sent["negative"] > 0


def test_a_refused_claim_stores_nothing(start_service):
    """The negative requests above are refused; this checks a refusal leaves no row."""
    service_cls, metadata = service_class(SERVICES["intake"][0])
    config = start_service(service_cls, metadata)
    url = f"http://{config['WEB_SERVER_ADDRESS']}/v1/claims"
    for body in [b'{"a":' * 5000 + b"1" + b"}" * 5000, b'"\\ud800"', b"\xff", b"x" * 300_000,
                 b'{"channel": "online", "legal_aid_requested": 1}']:
        answer = requests.post(url, data=body, headers={"Content-Type": "application/json"},
                               timeout=10)
        assert answer.status_code in (400, 413), body[:40]
        assert answer.json()["error"] in ("invalid_json", "invalid_claim", "too_large")
    engine = make_engine(config["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(claims)).scalar() == 0
    finally:
        engine.dispose()
