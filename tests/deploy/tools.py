"""The deployment checks' tools and inputs: the real kustomize (inside kubectl), offline
Kubernetes schemas (kubernetes-validate), the operators' CRD schemas, hadolint."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the CRDs are large
REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
KUBERNETES_VERSION = "1.37"
# The operators' CRDs are data kept beside the project, not in it (docs/deploying.md).
CRDS = Path(os.environ.get("DISPUTES_CRDS_DIR", REPO.parent / "shared" / "crds"))
# API groups served by the operators the platform runs on, whose schemas are their CRDs.
OPERATOR_GROUPS = {"rabbitmq.com", "postgresql.cnpg.io", "monitoring.coreos.com"}
SERVICES = ["intake", "mediation", "legal_aid", "arbitration", "courts_bridge", "trail", "analytics"]
# The worker portal: an image and a Deployment like the services, but no database, no schema
# Job and no metrics endpoint.
PORTAL = "portal"
IMAGES = [*SERVICES, PORTAL]


def tool(name: str) -> str:
    """A command installed with the dev requirements (beside this Python), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: run scripts/setup.sh")
    return found


def names_the_checkout(text: str, repo: Path = REPO) -> bool:
    """Whether TEXT names where this checkout lies on its machine: its parent folder, or the
    checkout itself when the parent is the root (whose name, ``/``, every URL holds). A name
    counts only as a whole absolute path, not as the tail of a URL or of a longer path."""
    anchor = repo if repo.parent == repo.parent.parent else repo.parent
    return re.search(rf"(?<![\w.:/-]){re.escape(str(anchor))}(?![\w.-])", text) is not None


def kustomizations() -> list[Path]:
    """Every directory under deploy/k8s that kustomize can build (components are parts)."""
    found = []
    for path in sorted(K8S.rglob("kustomization.yaml")):
        if yaml.safe_load(path.read_text()).get("kind", "Kustomization") == "Kustomization":
            found.append(path.parent)
    return found


@functools.cache
def build(directory: Path) -> tuple[dict[str, Any], ...]:
    result = subprocess.run([tool("kubectl"), "kustomize", str(directory)],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"kustomize build {directory.relative_to(REPO)}: {result.stderr}")
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def plain_manifests() -> list[Path]:
    """Manifest files as written (not kustomizations)."""
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


@functools.cache
def crd_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> the JSON schema of that custom resource, from the CRDs."""
    if not CRDS.is_dir():
        pytest.skip(f"no CRD schemas at {CRDS} (the operators' CRDs are kept beside the project)")
    schemas = {}
    for path in sorted(CRDS.glob("*.yaml")):
        for crd in yaml.load_all(path.read_text(), Loader=FAST_LOADER):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                schemas[(spec["group"], version["name"], spec["names"]["kind"])] = strict(
                    version["schema"]["openAPIV3Schema"])
    return schemas


def strict(schema: Any) -> Any:
    """A CRD schema that, like the API server's strict field validation, refuses fields it
    does not declare (unless it says it keeps unknown fields)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def validate(resource: dict[str, Any]) -> None:
    """Against Kubernetes' own schemas (strict), or the CRD schema of an operator's resource."""
    group, _, version = resource["apiVersion"].rpartition("/")
    if group in OPERATOR_GROUPS:
        schema = crd_schemas().get((group, version, resource["kind"]))
        if schema is None:
            raise AssertionError(f"no CRD schema for {resource['apiVersion']} {resource['kind']}")
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(resource), key=str)
        if errors:
            raise AssertionError(f"{resource['kind']}/{resource['metadata']['name']}: "
                                 + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors))
        return
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
