"""The Kubernetes manifests: every file and every kustomization's output valid offline against
the Kubernetes schemas (strict) and the operators' CRDs, and hardened as docs/deploying.md promises."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from .tools import (
    IMAGES,
    K8S,
    PORTAL,
    REPO,
    SERVICES,
    build,
    kustomizations,
    names_the_checkout,
    plain_manifests,
    validate,
)

ENVIRONMENTS = ["dev", "prod"]


def dash(service: str) -> str:
    return service.replace("_", "-")


def of_kind(resources: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] == kind]


@pytest.mark.parametrize("path", plain_manifests(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_manifest_file_is_valid(path):
    for resource in yaml.safe_load_all(path.read_text()):
        if resource:
            validate(resource)


@pytest.mark.parametrize("directory", kustomizations(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_kustomization_builds_into_valid_resources(directory):
    resources = build(directory)
    assert resources
    for resource in resources:
        validate(resource)
    names = Counter((r["kind"], r["metadata"]["name"]) for r in resources)
    assert [n for n, count in names.items() if count > 1] == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_service_runs_hardened_with_real_probes(environment):
    resources = build(K8S / "overlays" / environment)
    deployments = {d["metadata"]["name"]: d for d in of_kind(resources, "Deployment")}
    assert set(deployments) == {dash(s) for s in IMAGES}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
        assert pod["automountServiceAccountToken"] is False
        assert pod["serviceAccountName"] == name
        (container,) = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live", name
        if name != PORTAL:  # a service probes its operations port, not its API's
            # Intake alone serves an API; the others' work comes over the broker.
            assert {p["name"] for p in container["ports"]} == ({"http", "ops"} if name == "intake" else {"ops"}), name
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert container[probe]["httpGet"]["port"] == "ops", (name, probe)
        assert container["args"] == ["run"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
        assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
        env = {e["name"]: e for e in container["env"]}
        if name != PORTAL:  # the portal owns no data
            assert f"DISPUTES_{name.replace('-', '_').upper()}_DATABASE_URL" in env
        assert "DISPUTES_AMQP_URI" in env
        assert container["image"].endswith(f"disputes/{name}:0.1.0")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_migrations_run_as_a_job_per_service_and_never_in_the_service_pods(environment):
    resources = build(K8S / "overlays" / environment)
    jobs = {j["metadata"]["name"]: j for j in of_kind(resources, "Job")}
    assert set(jobs) == {f"{dash(s)}-migrate" for s in SERVICES}
    for job in jobs.values():
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["migrate"] and job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    for deployment in of_kind(resources, "Deployment"):
        assert "migrate" not in deployment["spec"]["template"]["spec"]["containers"][0]["args"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_namespace_denies_all_traffic_but_what_each_part_needs(environment):
    resources = build(K8S / "overlays" / environment)
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(resources, "NetworkPolicy")}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for service in SERVICES:
        policy = policies[dash(service)]
        assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == dash(service)
        reaches = [rule["to"][0]["podSelector"]["matchLabels"] for rule in policy["egress"]]
        assert reaches == [{"app.kubernetes.io/name": "disputes-rabbitmq"},
                           {"cnpg.io/cluster": "disputes-postgres"}]
        assert policies[f"{dash(service)}-migrate"]["egress"][0]["to"][0]["podSelector"]["matchLabels"] \
            == {"cnpg.io/cluster": "disputes-postgres"}
        # The operations port opens to the monitoring namespace alone, and nothing else to it.
        monitoring = [rule for rule in policy["ingress"]
                      if "monitoring" in str(rule["from"])]
        assert [r["ports"] for r in monitoring] == [[{"port": "ops", "protocol": "TCP"}]], service
        assert all("ops" not in str(rule["ports"]) for rule in policy["ingress"] if rule not in monitoring)
    public = [s for s in IMAGES if any(
        "ingress-nginx" in str(rule) for rule in policies[dash(s)].get("ingress", []))]
    assert public == ["intake", PORTAL]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_portal_reaches_only_the_broker_and_intakes_api(environment):
    resources = build(K8S / "overlays" / environment)
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(resources, "NetworkPolicy")}
    reaches = [(rule["to"][0]["podSelector"]["matchLabels"], rule["ports"][0]["port"])
               for rule in policies[PORTAL]["egress"]]
    assert reaches == [({"app.kubernetes.io/name": "disputes-rabbitmq"}, 5672),
                       ({"app.kubernetes.io/name": "intake"}, 8101)]
    # and intake lets the portal in, and no other pod of the namespace
    from_pods = [peer["podSelector"]["matchLabels"] for rule in policies["intake"]["ingress"]
                 for peer in rule["from"] if "podSelector" in peer]
    assert from_pods == [{"app.kubernetes.io/name": PORTAL}]
    (deployment,) = [d for d in of_kind(resources, "Deployment") if d["metadata"]["name"] == PORTAL]
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DISPUTES_PORTAL_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "disputes-portal-secret"


def test_production_runs_three_broker_nodes_and_three_database_instances():
    resources = build(K8S / "overlays" / "prod")
    (rabbit,) = of_kind(resources, "RabbitmqCluster")
    assert rabbit["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit["spec"]["rabbitmq"]["additionalConfig"]
    (postgres,) = of_kind(resources, "Cluster")
    assert postgres["spec"]["instances"] == 3
    roles = {r["name"] for r in postgres["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"]["owner"] for d in of_kind(resources, "Database")}
    assert roles == set(SERVICES) and databases == {s: s for s in SERVICES}
    monitored = {m["metadata"]["name"] for m in of_kind(resources, "ServiceMonitor")}
    scraped = {m["metadata"]["name"]: m["spec"]["endpoints"][0]["port"]
               for m in of_kind(resources, "ServiceMonitor") if m["metadata"]["name"] != "disputes-rabbitmq"}
    assert set(scraped.values()) == {"ops"}
    assert monitored == {dash(s) for s in SERVICES} | {"disputes-rabbitmq"}
    # Analytics runs one consumer: its warnings compare cases across its read model.
    replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for d in of_kind(resources, "Deployment")}
    assert replicas.pop("analytics") == 1
    assert set(replicas.values()) == {3}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_portal_deploys_alone_with_no_database_and_no_schema_job(environment):
    alone = build(K8S / "overlays" / environment / PORTAL)
    assert {r["kind"] for r in alone} == {"ServiceAccount", "ConfigMap", "Service", "Deployment",
                                         "PodDisruptionBudget", "NetworkPolicy"}
    assert all(r["metadata"]["name"].startswith(PORTAL) for r in alone)
    assert not (K8S / "overlays" / environment / PORTAL / "migrate").exists()


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("service", SERVICES)
def test_each_service_deploys_alone_with_only_its_own_resources(environment, service):
    alone = build(K8S / "overlays" / environment / dash(service))
    assert {r["kind"] for r in alone} == {"ServiceAccount", "ConfigMap", "Service", "Deployment",
                                         "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor"}
    assert all(r["metadata"]["name"].startswith(dash(service)) for r in alone)
    assert {r["metadata"]["namespace"] for r in alone} == {"disputes" if environment == "prod" else "disputes-dev"}
    (job,) = build(K8S / "overlays" / environment / dash(service) / "migrate")[:1]
    assert job["kind"] == "Job" and job["metadata"]["name"] == f"{dash(service)}-migrate"


def test_the_crd_schemas_catch_a_field_the_operator_does_not_know():
    (rabbit,) = [r for r in yaml.safe_load_all((K8S / "base/platform/rabbitmq.yaml").read_text())
                 if r["kind"] == "RabbitmqCluster"]
    with pytest.raises(AssertionError, match="replica"):
        validate({**rabbit, "spec": {**rabbit["spec"], "replica": 3}})


def test_nothing_here_names_a_path_of_a_machine():
    for path in (REPO / "deploy").rglob("*"):
        if path.is_file():
            assert not names_the_checkout(path.read_text()), path


@pytest.mark.parametrize("repo", [Path("/srv/checkouts/disputes"), Path("/disputes")], ids=str)
def test_the_path_check_catches_the_checkouts_place_and_passes_urls(repo):
    place = repo.parent if repo.parent != Path("/") else repo
    assert names_the_checkout(f"hostPath: {place}/var/data", repo)
    assert names_the_checkout(f'value: "{place}"', repo)
    assert names_the_checkout(f"--config={repo}/deploy/x.yaml", repo)
    assert not names_the_checkout(f"image: ghcr.io{place}/intake:1.0 at https://example.org{place}/", repo)
    assert not names_the_checkout("see https://example.org/ and file:///etc/hosts", repo)
    assert not names_the_checkout(f"path: /opt{place}/other", repo)
    assert not names_the_checkout(f"path: {place}-old/x", repo)


def test_every_grafana_dashboard_ships_in_the_dashboards_config_map():
    dashboards = sorted((REPO / "deploy" / "grafana" / "dashboards").glob("*.json"))
    assert dashboards
    resources = build(K8S / "overlays" / "prod")
    (config_map,) = [c for c in of_kind(resources, "ConfigMap")
                     if c["metadata"]["name"] == "disputes-grafana-dashboards"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert sorted(config_map["data"]) == [p.name for p in dashboards]
    for path in dashboards:
        assert config_map["data"][path.name] == path.read_text()


def test_the_broker_users_and_topology_in_the_cluster_are_those_the_contract_gives():
    """deploy/k8s/base/platform/broker-users.yaml and broker-topology.yaml are generated from the
    contract; a change to the routing that is not regenerated into them fails here."""
    from .broker import FILE, TOPOLOGY_FILE, render, render_topology

    assert FILE.read_text() == render(), "run: python -m tests.deploy.broker"
    assert TOPOLOGY_FILE.read_text() == render_topology(), "run: python -m tests.deploy.broker"


PERSONAL_DATA_SERVICES = ("intake", "mediation", "legal_aid", "arbitration", "courts_bridge")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_service_keeping_personal_data_reads_its_keys_from_its_own_secret(environment):
    """The service and its migration (which seals rows stored before) mount the service's key
    Secret read-only, owner and group alone, and are told the file's place; no other part does."""
    resources = build(K8S / "overlays" / environment)
    workloads = {r["metadata"]["name"]: r["spec"]["template"]["spec"]
                 for r in resources if r["kind"] in ("Deployment", "Job")}
    for name, pod in workloads.items():
        service = next((s for s in PERSONAL_DATA_SERVICES if name in (dash(s), f"{dash(s)}-migrate")), None)
        secrets = {v["secret"]["secretName"]: v for v in pod.get("volumes", []) if "secret" in v}
        if service is None:
            assert not any(s.startswith("disputes-keys-") for s in secrets), name
            continue
        volume = secrets[f"disputes-keys-{dash(service)}"]
        assert volume["secret"]["defaultMode"] & 0o007 == 0, name
        (container,) = pod["containers"]
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert mount["readOnly"] is True
        assert env[f"DISPUTES_{service.upper()}_KEY_FILE"] == f"{mount['mountPath']}/{service}.json"
