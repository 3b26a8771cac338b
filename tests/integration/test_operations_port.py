"""The operations port: /metrics and /health/* apart from the agency's API, and a scrape that
never touches the database."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from nameko.testing.utils import find_free_port
from sqlalchemy import create_engine

import intake.adapters
import mediation.adapters
from disputes_shared.plumbing.nameko_deps import Storage
from disputes_shared.plumbing.runner import service_schema
from intake.service import IntakeService
from mediation.service import MediationService

from ..support.keys import key_file_config
from ..support.signin import identity_config
from ..support.waiting import eventually

UNPUBLISHED = 'disputes_outbox_unpublished{agency="mediation"} 0.0'
NO_DATABASE = "postgresql+psycopg2://nobody@127.0.0.1:1/nowhere?connect_timeout=1"


@pytest.fixture
def mediation_container(fresh_database, container_factory, rabbit_config, tmp_path) -> Any:
    url = fresh_database("mediation")
    service_schema(MediationService, mediation.adapters.metadata).upgrade(url)
    container = container_factory(MediationService, {
        **rabbit_config, "DATABASE_URL": url, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}",
        "OPS_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "MONTHLY_MINIMUM_WAGE": "2100",
        **key_file_config(tmp_path, "mediation"), **identity_config()})
    container.start()
    yield container
    container.kill()  # before its database is dropped


def test_a_scrape_opens_no_database_connection_and_answers_the_last_gauges(mediation_container):
    ops = f"http://{mediation_container.config['OPS_SERVER_ADDRESS']}"
    eventually(lambda: UNPUBLISHED in requests.get(f"{ops}/metrics", timeout=5).text)
    storage = next(d for d in mediation_container.dependencies if isinstance(d, Storage))
    storage.engine = create_engine(NO_DATABASE)  # every unit of work from now on fails
    # Readiness does use the database, so the broken one shows there (once its cache expires).
    ready = eventually(lambda: (r := requests.get(f"{ops}/health/ready", timeout=10)).status_code == 503 and r.json())
    assert ready["checks"]["database"].startswith("failed")
    for _ in range(20):
        scrape = requests.get(f"{ops}/metrics", timeout=5)
        assert scrape.status_code == 200 and UNPUBLISHED in scrape.text
    assert requests.get(f"{ops}/health/live", timeout=5).status_code == 200


def test_readiness_probes_in_quick_succession_share_one_check(mediation_container):
    ops = f"http://{mediation_container.config['OPS_SERVER_ADDRESS']}"
    assert requests.get(f"{ops}/health/ready", timeout=10).status_code == 200
    storage = next(d for d in mediation_container.dependencies if isinstance(d, Storage))
    storage.engine = create_engine(NO_DATABASE)
    # Within the cache's two seconds the last answer stands; after them the failure shows.
    assert requests.get(f"{ops}/health/ready", timeout=10).status_code == 200
    eventually(lambda: requests.get(f"{ops}/health/ready", timeout=10).status_code == 503, timeout=5)


def test_the_api_port_serves_the_api_and_not_the_operations_endpoints(start_service):
    config = start_service(IntakeService, intake.adapters.metadata)
    api, ops = f"http://{config['WEB_SERVER_ADDRESS']}", f"http://{config['OPS_SERVER_ADDRESS']}"
    assert requests.post(f"{api}/v1/claims", json={}, timeout=5).status_code == 400  # the API: refused, named
    # What the portal's readiness asks: answered by routing, without a worker.
    assert requests.options(f"{api}/v1/claims", timeout=5).status_code == 405
    for path in ["/metrics", "/health/live", "/health/ready"]:
        assert requests.get(f"{api}{path}", timeout=5).status_code == 404, path
        assert requests.get(f"{ops}{path}", timeout=10).status_code == 200, path
    assert requests.get(f"{ops}/v1/claims/LD-NO-SUCH-CASE", timeout=5).status_code == 404
    assert requests.post(f"{ops}/metrics", timeout=5).status_code == 405
