"""The broker users of ``deploy/k8s/base/platform/broker-users.yaml``, as the contract gives them
(``contract.routing.broker_permissions``): the messaging-topology operator's ``User``,
``Permission`` and ``TopicPermission`` resources. ``python -m tests.deploy.broker_users``
writes the file; ``test_manifests`` fails while it differs from this."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from disputes_shared.contract.agencies import PRINCIPALS
from disputes_shared.contract.routing import broker_permissions

FILE = Path(__file__).resolve().parents[2] / "deploy/k8s/base/platform/broker-users.yaml"
CLUSTER = {"name": "disputes-rabbitmq"}
VHOST = "/"
HEADER = """\
# A broker user per agency, the operator and the portal, with least privilege: generated from
# the contract (contract/routing.py broker_permissions) by `python -m tests.deploy.broker_users`;
# tests/deploy checks that it still matches. Each user's credentials are the Secret
# disputes-broker-<principal> (keys username = the principal's name, password), made before
# this is applied and never committed, e.g. from the city's secret store or with
#   kubectl create secret generic disputes-broker-intake --from-literal=username=intake \\
#     --from-literal=password="$(openssl rand -base64 32)"
# The services read the same Secret (DISPUTES_AMQP_USERNAME, DISPUTES_AMQP_PASSWORD).
# The operator's User cannot carry the `impersonator` tag (the CRD does not allow it): replaying
# a parked message as its first sender needs `rabbitmqctl set_user_tags operator impersonator`
# by the broker's administrator, else replayed events are parked again by their consumers.
"""
CRD_TAGS = ("management", "policymaker", "monitoring", "administrator")


def resource_name(principal: str) -> str:
    return f"disputes-broker-{principal.replace('_', '-')}"


def resources() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for principal in PRINCIPALS:
        granted = broker_permissions(principal)
        name = resource_name(principal)
        user: dict[str, Any] = {
            "apiVersion": "rabbitmq.com/v1beta1", "kind": "User", "metadata": {"name": name},
            "spec": {"rabbitmqClusterReference": CLUSTER, "importCredentialsSecret": {"name": name},
                     "tags": [tag for tag in granted.tags if tag in CRD_TAGS]}}
        found.append(user)
        found.append({
            "apiVersion": "rabbitmq.com/v1beta1", "kind": "Permission", "metadata": {"name": name},
            "spec": {"vhost": VHOST, "userReference": {"name": name},
                     "permissions": {"configure": granted.configure, "write": granted.write,
                                     "read": granted.read},
                     "rabbitmqClusterReference": CLUSTER}})
        for topic in granted.topics:
            found.append({
                "apiVersion": "rabbitmq.com/v1beta1", "kind": "TopicPermission",
                "metadata": {"name": f"{name}-{topic.exchange.replace('.', '-')}"},
                "spec": {"vhost": VHOST, "userReference": {"name": name},
                         "permissions": {"exchange": topic.exchange, "write": topic.write,
                                         "read": topic.read},
                         "rabbitmqClusterReference": CLUSTER}})
    return found


def render() -> str:
    return HEADER + yaml.safe_dump_all(resources(), sort_keys=False, width=200)


if __name__ == "__main__":
    FILE.write_text(render())
    sys.exit(0)
