"""The analytics service in a real container beside intake, mediation and the trail: claims
filed over HTTP reach its read model through the broker, three claims against one employer
raise a group-dispute warning that the trail records, and the read model rebuilt from the
trail's entries gives the same figures."""

from __future__ import annotations

import base64
import json
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import analytics.adapters
import intake.adapters
import mediation.adapters
import trail.adapters
from analytics.service import AnalyticsService
from disputes_shared.clocks.statutory import CHINA_TIME
from disputes_shared.contract.employers import employer_ref
from disputes_shared.contract.personal_numbers import with_check_character
from intake.service import IntakeService
from mediation.service import MediationService
from trail.service import TrailService

from ..support.examples import CLAIM
from ..support.signin import staff_rpc
from ..support.waiting import eventually


@pytest.fixture
def platform(start_service) -> dict[str, Any]:
    return {
        "trail": start_service(TrailService, trail.adapters.metadata),
        "analytics": start_service(AnalyticsService, analytics.adapters.metadata),
        "mediation": start_service(MediationService, mediation.adapters.metadata),
        "intake": start_service(IntakeService, intake.adapters.metadata),
    }


def file_claim(config: dict[str, Any], n: int) -> str:
    worker = {**CLAIM["worker"], "id_number": with_check_character(f"51010719880506{n:03d}")}
    body = {**CLAIM, "worker": worker, "worker_count": 2, "legal_aid_requested": False}
    request = urllib.request.Request(f"http://{config['WEB_SERVER_ADDRESS']}/v1/claims", method="POST",
                                     data=json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["case_id"])


def test_claims_reach_the_figures_and_a_group_dispute_is_announced_and_rebuilt(platform):
    cases = [file_claim(platform["intake"], n) for n in range(3)]
    month = datetime.now(UTC).astimezone(CHINA_TIME).strftime("%Y-%m")
    # Intake's key of the refs, as the started intake made it.
    ref = employer_ref(CLAIM["employer"]["name"], Path(platform["intake"]["WORKER_REF_KEY_FILE"]).read_bytes())
    with staff_rpc(platform["intake"]) as rpc:
        figures = eventually(lambda: (f := rpc.analytics.report(month))["received"]["cases"] == 3 and f,
                             timeout=60)
        assert figures["received"]["workers"] == 6
        assert figures["received"]["by_district"] == {"jinniu": 3}
        assert figures["top_employers"][0]["employer_ref"] == ref
        warned = eventually(lambda: rpc.analytics.report(month)["warnings"], timeout=60)
        assert {(w["rule"], w["subject"]) for w in warned} == {("group_dispute", ref),
                                                              ("group_dispute", CLAIM["employer"]["platform"])}
        # The trail records the warning on the case that raised it.
        def warnings_on_the_trail() -> list[Any]:
            entries = rpc.trail.trail(cases[-1])["entries"]
            return [e for e in entries if e["event_type"] == "warning.raised"]

        assert {e["details"]["rule"] for e in eventually(warnings_on_the_trail, timeout=60)} == {"group_dispute"}
        entries = rpc.trail.entries(after=0, limit=1000)
        assert entries and not any(e["event_type"] == "handoff.dossier" for e in entries)
        assert rpc.analytics.rebuild(entries, first=True) > 0
        rebuilt = rpc.analytics.report(month)
        assert rebuilt["received"] == figures["received"]
        assert rebuilt["warnings"] == warned  # warnings raised are kept, not raised again
        html = rpc.analytics.report_document(month, "html")
        assert html.count("data:image/png;base64,") == 4
        pdf = base64.b64decode(rpc.analytics.report_document(month, "pdf"), validate=True)
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
