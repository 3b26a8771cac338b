"""Every dossier the platform's services put on the broker in a run carries only the fields its
handoff's purpose receives (``contract/purposes.py``): a queue of the test's own, bound to every
routing key of the dossiers exchange, keeps a copy of each as it travelled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection

import arbitration.adapters
import courts_bridge.adapters
import intake.adapters
import legal_aid.adapters
import mediation.adapters
import trail.adapters
from arbitration.service import ArbitrationService
from courts_bridge.service import CourtsBridgeService
from disputes_cli.demo import run_demo
from disputes_shared.contract.handoff import PURPOSE_RECEIVER, HandoffPurpose
from disputes_shared.contract.purposes import allowed_fields, dossier_fields
from disputes_shared.contract.routing import DOSSIERS_EXCHANGE
from intake.service import IntakeService
from legal_aid.service import LegalAidService
from mediation.service import MediationService
from trail.service import TrailService

from ..support.signin import staff_rpc

TAP = "test.dossier-tap"
# Eight planned cases of this seed go through mediation, arbitration, judicial confirmation,
# litigation and enforcement; those claiming unpaid wages are referred to labor inspection too.
CASES, SEED = 8, 20


@pytest.fixture
def dossier_tap(rabbit_config) -> Iterator[Any]:
    """A copy of every dossier published on the test's vhost (as the administrator may bind)."""
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        channel.queue_declare(TAP, durable=False, auto_delete=False)
        channel.queue_bind(TAP, DOSSIERS_EXCHANGE, "#")

        def taken() -> list[Any]:
            messages = []
            while (message := channel.basic_get(TAP, no_ack=True)) is not None:
                messages.append(message)
            return messages

        yield taken


def test_each_dossier_on_the_broker_carries_only_its_purposes_fields(start_service, dossier_tap):
    config = start_service(IntakeService, intake.adapters.metadata)
    for service, metadata in ((TrailService, trail.adapters.metadata),
                              (MediationService, mediation.adapters.metadata),
                              (LegalAidService, legal_aid.adapters.metadata),
                              (ArbitrationService, arbitration.adapters.metadata),
                              (CourtsBridgeService, courts_bridge.adapters.metadata)):
        start_service(service, metadata)
    with staff_rpc(config) as rpc:
        rpc.intake.register_agency("labor_inspection", "wage_arrears_referrals")
        rpc.platform.intake_url = f"http://{config['WEB_SERVER_ADDRESS']}"
        summary = run_demo(rpc.platform, CASES, seed=SEED, timeout=60)
    assert summary["cases_as_expected"] == CASES, summary["cases"]

    seen: set[str] = set()
    for message in dossier_tap():
        sent = json.loads(message.body)  # as it travelled: nothing decoded, nothing dropped
        purpose, carried = sent["payload"]["purpose"], dossier_fields(sent["payload"]["dossier"])
        assert sent["schema_version"].startswith("2.")
        assert message.delivery_info["routing_key"].endswith(
            f".{PURPOSE_RECEIVER[HandoffPurpose(purpose)]}")
        assert carried <= allowed_fields(purpose), (purpose, carried - allowed_fields(purpose))
        seen.add(purpose)
    assert seen >= {"mediation", "legal_aid", "arbitration", "judicial_confirmation",
                    "litigation", "enforcement", "labor_inspection"}
