"""The contract and the client kit install and work without the platform's service stack."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
SERVICE_STACK = ("nameko", "eventlet", "sqlalchemy", "prometheus_client", "werkzeug", "alembic",
                 "psycopg2", "psycogreen")

# Runs in a fresh interpreter in which the service stack cannot be imported at all.
BLOCKED = textwrap.dedent("""
    import importlib.abc, sys

    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {stack!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)")
            return None

    sys.meta_path.insert(0, Blocked())
""")


def run_without_service_stack(code: str) -> subprocess.CompletedProcess[str]:
    script = BLOCKED.format(stack=SERVICE_STACK) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)


def test_the_kit_and_the_contract_import_and_work_without_the_service_stack():
    result = run_without_service_stack("""
        import json
        from datetime import datetime, UTC
        import disputes_shared.contract.spec as spec
        from disputes_shared.kit import EventPublisher, EventSubscriber, HandoffClient
        from disputes_shared.kit import SqliteSeenEvents
        from disputes_shared.contract.envelope import Envelope, decode, encode
        from disputes_shared.statute import periods
        from disputes_shared.clocks.statutory import start_clock
        from disputes_shared.clocks.kinds import ClockKind
        from disputes_shared.clocks.wall import ManualClock

        sent = Envelope(event_type="case.closed", case_id="LD-1", source_agency="courts",
                        occurred_at=datetime(2026, 3, 2, tzinfo=UTC), correlation_id="c",
                        payload={"outcome": "enforced", "amount_recovered": "10",
                                 "days_open": 3})
        assert decode(encode(sent)).payload["days_open"] == 3
        assert spec.published_schemas()
        case = type("Case", (), {"case_id": "LD-1", "correlation_id": "c"})()
        clock = start_clock(ClockKind.AWARD, case, ManualClock().now(), periods.ChineseStatutoryCalendar())
        assert clock.running
        loaded = [m for m in sys.modules if m.split(".")[0] in {stack!r}]
        assert not loaded, loaded
        print("ok")
    """.replace("{stack!r}", repr(SERVICE_STACK)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_blocker_does_keep_the_service_plumbing_out():
    result = run_without_service_stack("import disputes_shared.plumbing.messaging")
    assert result.returncode != 0 and "blocked" in result.stderr


def test_the_package_asks_for_the_service_stack_only_as_an_extra():
    project = tomllib.loads((SHARED / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    assert not any(name.replace("_", "-") in core for name in SERVICE_STACK)
    service = " ".join(project["optional-dependencies"]["service"]).lower()
    assert "nameko" in service and "sqlalchemy" in service
