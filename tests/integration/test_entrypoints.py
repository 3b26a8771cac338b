"""Calling a service's entrypoints directly in a running container (nameko's entrypoint_hook)."""

from __future__ import annotations

import pytest
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from nameko.testing.utils import find_free_port

import intake.adapters
from disputes_shared.plumbing.runner import service_schema
from intake.api import InvalidClaim
from intake.service import IntakeService

from ..support.examples import CLAIM
from ..support.keys import key_file_config
from ..support.signin import identity_config


@pytest.fixture
def intake_container(fresh_database, container_factory, rabbit_config, tmp_path):
    url = fresh_database("intake")
    service_schema(IntakeService, intake.adapters.metadata).upgrade(url)
    container = container_factory(IntakeService, {
        **rabbit_config, "DATABASE_URL": url, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}",
        "OPS_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", **key_file_config(tmp_path, "intake"),
        **identity_config()})
    container.start()
    yield container
    container.kill()  # before its database is dropped


def test_the_file_claim_entrypoint_files_and_answers_with_the_route(intake_container):
    with entrypoint_hook(intake_container, "file_claim") as file_claim:
        filed = file_claim({**CLAIM, "legal_aid_requested": False})
    assert filed["state"] == "mediation_requested" and filed["station_id"] == "ind-express-jinniu"
    with entrypoint_hook(intake_container, "claim") as claim:
        assert claim(filed["case_id"])["case_id"] == filed["case_id"]


def test_the_file_claim_entrypoint_refuses_an_invalid_claim_naming_the_fields(intake_container):
    with entrypoint_hook(intake_container, "file_claim") as file_claim, \
            pytest.raises(InvalidClaim) as refused:
        file_claim({**CLAIM, "worker_count": 0})
    assert set(refused.value.errors) == {"worker_count"}


def test_the_metrics_timer_runs_in_the_container(intake_container):
    with entrypoint_waiter(intake_container, "refresh_metrics", timeout=10):
        pass
