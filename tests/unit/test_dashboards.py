"""The Grafana dashboards load unchanged in any Grafana with a Prometheus datasource: valid JSON
model, the datasource chosen through a variable, unique ids, and only the platform's metrics."""

from __future__ import annotations

import re

import pytest

from disputes_shared.plumbing.metrics import PlatformMetrics

from ..support.dashboards import DASHBOARDS, concrete, dashboards, expressions, panels

BOARDS = dashboards()


def test_the_four_boards_are_there():
    assert {d["uid"] for d in BOARDS.values()} == {
        "disputes-overview", "disputes-handoff-latency", "disputes-agency", "disputes-broker"}
    assert (DASHBOARDS.parent / "provisioning" / "dashboards" / "disputes.yaml").exists()
    assert (DASHBOARDS.parent / "provisioning" / "datasources" / "prometheus.yaml").exists()


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_every_panel_queries_the_templated_datasource(name):
    board = BOARDS[name]
    assert board["schemaVersion"] >= 39
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids))
    for panel in panels(board):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"


def test_the_platform_metrics_the_boards_use_exist():
    known = {metric.name for metric in PlatformMetrics("intake").registry.collect()}
    samples = known | {f"{m}_{suffix}" for m in known for suffix in ("bucket", "count", "sum", "total")}
    used = {name for _, _, expr in expressions() for name in re.findall(r"\bdisputes_[a-z_]+", expr)}
    assert used and used <= samples, used - samples


def test_every_expression_is_concrete_once_variables_are_chosen():
    for _, _, expr in expressions():
        assert "$" not in concrete(expr, "10m", "1m")
