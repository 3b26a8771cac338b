"""The Prometheus configuration and alert rules as operators load them: promtool accepts them,
and every alert passes its unit tests (alerts_test.yml)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ..support.dashboards import PROMETHEUS


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: scripts/prometheus.sh ensure installs it"
    return found


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True,
                          timeout=120)


def test_the_configuration_is_valid(promtool):
    checked = run(promtool, "check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_alert_rules_are_valid(promtool):
    checked = run(promtool, "check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_fires_when_it_should_and_only_then(promtool):
    tested = run(promtool, "test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {line.split("alert:", 1)[1].strip()
              for line in (PROMETHEUS / "alerts.yml").read_text().splitlines() if "- alert:" in line}
    covered = (PROMETHEUS / "alerts_test.yml").read_text()
    assert alerts and all(f"alertname: {alert}" in covered for alert in alerts)
