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


LINKED_BOARDS = ("handoff-latency.json", "overview.json", "agency.json")


@pytest.mark.parametrize("name", LINKED_BOARDS)
def test_handoff_and_case_panels_link_to_the_portals_operator_and_audit_pages(name):
    from disputes_shared.plumbing.config import PORTAL_DEFAULT_HTTP_PORT

    board = BOARDS[name]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    portal = variables["portal"]  # the portal's address, a default that works on a local platform
    assert portal["type"] == "textbox" and portal["query"] == f"http://127.0.0.1:{PORTAL_DEFAULT_HTTP_PORT}"
    assert portal["current"]["value"] == portal["query"]
    urls = {link["url"] for link in board["links"] if link["type"] == "link"}
    assert urls == {"${portal:raw}/staff/operator", "${portal:raw}/staff/audit"}
    panel_urls = [link["url"] for panel in panels(board)
                  for link in panel.get("fieldConfig", {}).get("defaults", {}).get("links", [])]
    assert panel_urls and all(url.startswith("${portal:raw}/staff/operator#") for url in panel_urls)
    # Each link lands on an anchor the operator page has: a pair's row, an agency's backlog, the lists.
    anchors = {re.sub(r"\$\{[^}]+\}", "X", url.partition("#")[2]) for url in panel_urls}
    assert anchors <= {"pair-X-X", "backlog", "backlog-X", "bounced"}, anchors


def test_every_agency_pair_panel_links_to_that_pair():
    board = BOARDS["handoff-latency.json"]
    for panel in panels(board):
        if "by (from_agency, to_agency" in " ".join(t["expr"] for t in panel["targets"]):
            (link,) = panel["fieldConfig"]["defaults"]["links"]
            assert re.search(r"#pair-\$\{__(field\.labels|data\.fields)\.from_agency\}-"
                             r"\$\{__(field\.labels|data\.fields)\.to_agency\}$", link["url"]), panel["title"]


def test_the_operator_page_has_the_anchors_the_dashboards_link_to():
    from portal.app import TEMPLATES

    page = (TEMPLATES / "staff_operator.html").read_text()
    for anchor in ('id="pair-{{ p.from_agency }}-{{ p.to_agency }}"', 'id="backlog"',
                   'id="backlog-{{ b.agency }}"', 'id="bounced"'):
        assert anchor in page
