"""The dashboards and alerts against a real Prometheus: it scrapes every service of a sandbox
platform and the broker while cases flow (one bounced between stations, one poison message
parked); then every PromQL expression of every panel of every dashboard must parse and return
data, and every alert rule must evaluate."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests
import yaml
from kombu import Connection

from disputes_cli.demo import run_demo
from disputes_cli.platform import Platform
from disputes_cli.sandbox import free_port_block, sandbox_platform
from disputes_cli.synthetic import planned_cases
from disputes_shared.contract.routing import EVENTS_EXCHANGE
from disputes_shared.plumbing.config import SERVICE_NAMES

from ..support.command_line import disputes
from ..support.dashboards import PROMETHEUS, concrete, expressions

CASES = 40
SCRAPE = "1s"
RATE_WINDOW_SCRAPES = 20  # Grafana's $__rate_interval, in scrapes (it would use at least 4)
BROKER_METRICS = "127.0.0.1:15692"


def prometheus_config(env: dict[str, str]) -> dict[str, Any]:
    vhost = unquote(env["DISPUTES_AMQP_URI"].rsplit("/", 1)[1])
    services = [{"targets": [f"127.0.0.1:{env[f'DISPUTES_{name.upper()}_OPS_PORT']}"],
                 "labels": {"service": name}} for name in SERVICE_NAMES.values()]
    return {
        "global": {"scrape_interval": SCRAPE, "evaluation_interval": SCRAPE},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [
            {"job_name": "disputes", "static_configs": services},
            {"job_name": "rabbitmq", "static_configs": [{"targets": [BROKER_METRICS]}]},
            {"job_name": "rabbitmq-queues", "metrics_path": "/metrics/detailed",
             "params": {"family": ["queue_coarse_metrics", "queue_consumer_count"], "vhost": [vhost]},
             "static_configs": [{"targets": [BROKER_METRICS]}]},
        ],
    }


class Prometheus:
    """A Prometheus of the test's own: loopback, temporary config and data, stopped by PID."""

    def __init__(self, workdir: Path, config: dict[str, Any]) -> None:
        binary = shutil.which("prometheus")
        assert binary, "prometheus is missing: scripts/prometheus.sh ensure installs it"
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        shutil.copy(PROMETHEUS / "alerts.yml", workdir / "alerts.yml")
        self.url = f"http://127.0.0.1:{free_port_block(1) + 1}"
        with open(workdir / "prometheus.log", "wb") as log:
            self.process = subprocess.Popen(
                [binary, f"--config.file={workdir / 'prometheus.yml'}",
                 f"--storage.tsdb.path={workdir / 'data'}",
                 f"--web.listen-address={self.url.removeprefix('http://')}"],
                stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while not self._ready():
            assert self.process.poll() is None, (workdir / "prometheus.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "Prometheus did not become ready in 60 s"
            time.sleep(0.2)

    def _ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def api(self, path: str, **params: Any) -> Any:
        answer = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=30).json()
        assert answer["status"] == "success", answer
        return answer["data"]

    def value(self, expr: str) -> float:
        result = self.api("query", query=expr)["result"]
        return float(result[0]["value"][1]) if result else 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_for(condition: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def pending_handoff(platform: Platform, service: str, case_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    wait_for(lambda: found.extend(h for h in platform.call(service, "pending_handoffs")
                                  if h["case_id"] == case_id) or found,
             f"a handoff of {case_id} to {service}", timeout=60)
    return found[0]


def bounce_a_case(platform: Platform) -> str:
    """A claim two stations return in turn (推诿扯皮); the third station has not taken it up."""
    plan = planned_cases(1, seed=4242)[0]
    # In Wuhou a food-delivery claim has three stations to go to: the industry's, the
    # district's people's station, the city union's.
    response = platform.file_claim({**plan.claim, "industry": "food_delivery", "district": "wuhou",
                                    "worker_count": 1, "amount_claimed": "5600",
                                    "chosen_station_id": None, "legal_aid_requested": False})
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    for _ in range(2):
        handoff = pending_handoff(platform, "mediation", case_id)
        platform.call("mediation", "return_handoff", handoff["handoff_id"], "outside our district")
    pending_handoff(platform, "mediation", case_id)
    return str(case_id)


def park_a_poison_message(amqp_uri: str) -> None:
    with Connection(amqp_uri) as connection:
        connection.Producer().publish(b"{not json", exchange=EVENTS_EXCHANGE,
                                      routing_key="case.filed.v1.all",
                                      content_type="application/json", content_encoding="utf-8")


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with sandbox_platform() as env:
        prometheus = Prometheus(tmp_path_factory.mktemp("prometheus"), prometheus_config(env))
        try:
            started = time.time()
            scrapes = 'sum(count_over_time(up{job="disputes", service="trail"}[1h]))'
            with Platform() as platform:
                # Two waves: a series is born with its first value, so a rate sees only what
                # the second wave adds to series the first wave made.
                first = run_demo(platform, CASES // 2, seed=11, timeout=300)
                seen = prometheus.value(scrapes)
                wait_for(lambda: prometheus.value(scrapes) >= seen + 3, "three scrapes")
                second = run_demo(platform, CASES - CASES // 2, seed=12, timeout=300)
                bounced = bounce_a_case(platform)
            park_a_poison_message(env["DISPUTES_AMQP_URI"])
            wait_for(lambda: prometheus.value("sum(disputes_cases_closed_total)") >= CASES
                     and prometheus.value('sum(disputes_cases_bounced{status="open"})') >= 1
                     and prometheus.value("sum(disputes_events_dead_lettered_total)") >= 1
                     and prometheus.value('sum(disputes_handoffs_pending{agency="mediation"})') >= 1,
                     "the run's metrics to be scraped")
            # A dashboard looks back over windows of several scrapes: let that many pass.
            seen = prometheus.value(scrapes)
            wait_for(lambda: prometheus.value(scrapes) >= seen + RATE_WINDOW_SCRAPES,
                     f"{RATE_WINDOW_SCRAPES} more scrapes")
            yield {"prometheus": prometheus, "started": started, "waves": [first, second],
                   "bounced": bounced, "env": env}
        finally:
            prometheus.stop()


def test_the_run_went_as_planned(monitored):
    assert sum(wave["cases_as_expected"] for wave in monitored["waves"]) == CASES


def test_every_target_was_scraped(monitored):
    targets = monitored["prometheus"].api("targets")["activeTargets"]
    assert len(targets) == len(SERVICE_NAMES) + 2
    assert {t["health"] for t in targets} == {"up"}, [t["lastError"] for t in targets]


def test_every_dashboard_expression_parses_and_returns_data(monitored):
    prometheus, started = monitored["prometheus"], monitored["started"]
    now = time.time()
    whole_run = f"{int(now - started) + 5}s"
    clocks_exported = prometheus.value("count(disputes_clocks_pending)") > 0
    empty, waiting_for_clocks = [], []
    for board, title, expr in expressions():
        query = concrete(expr, range_=whole_run, rate_interval=f"{RATE_WINDOW_SCRAPES}s")
        data = prometheus.api("query_range", query=query, start=started, end=now, step="2s")
        values = [v for series in data["result"] for _, v in series["values"] if v != "NaN"]
        if values:
            continue
        if "disputes_clock" in expr and not clocks_exported:
            waiting_for_clocks.append((board, title))  # parsed; no service runs clocks yet
        else:
            empty.append((board, title, query))
    assert empty == [], "no data:\n" + "\n".join(f"{b} / {t}: {q}" for b, t, q in empty)
    assert all("clock" in title.lower() for _, title in waiting_for_clocks)


def test_every_alert_rule_evaluates(monitored):
    groups = monitored["prometheus"].api("rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    written = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text("utf-8"))["groups"]
    assert len(rules) == sum(len(group["rules"]) for group in written) > 0
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []


def test_the_terminal_shows_the_bounced_case_and_the_backlog(monitored):
    shown = disputes(monitored["env"], "handoffs")
    assert shown.returncode == 0, shown.stderr
    assert monitored["bounced"] in shown.stdout
    assert "Backlog (handoffs not yet taken up)" in shown.stdout
