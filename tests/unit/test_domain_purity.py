"""Each agency's domain, and the contract, are plain Python: no broker, ORM or nameko; its
service layer works against the storage ports, never SQLAlchemy or nameko."""

import subprocess
import sys

import pytest

PURE_MODULES = [
    "disputes_shared.contract.lifecycle", "disputes_shared.contract.envelope",
    "disputes_shared.contract.payloads", "disputes_shared.contract.handoff_events",
    "disputes_shared.contract.handoff", "disputes_shared.contract.routing",
    "disputes_shared.agency_case", "disputes_shared.statute.periods",
    "disputes_shared.clocks.statutory", "disputes_shared.clocks.kinds", "disputes_shared.clocks.wall", "intake.domain", "intake.api", "mediation.domain",
    "legal_aid.domain", "arbitration.domain", "courts_bridge.domain", "trail.domain",
    "portal.guidance", "portal.status", "intake.evidence",
    "analytics.domain", "analytics.figures", "analytics.warnings", "analytics.spikes",
    "disputes_shared.contract.employers", "disputes_shared.contract.registry", "intake.registry",
]
FORBIDDEN = ("nameko", "kombu", "amqp", "sqlalchemy", "eventlet", "werkzeug")
SERVICE_LAYERS = [
    "disputes_shared.ports", "disputes_shared.plumbing.agency", "disputes_shared.plumbing.handoff_desk",
    "disputes_shared.clocks.keeper",
    *(f"{service}.{layer}" for service in ("intake", "mediation", "legal_aid", "arbitration",
                                            "courts_bridge", "trail", "analytics")
      for layer in ("ports", "handlers")),
]


@pytest.mark.parametrize("module", PURE_MODULES + SERVICE_LAYERS)
def test_a_domain_module_imports_no_infrastructure(module):
    probe = (f"import sys, {module}; "
             f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
