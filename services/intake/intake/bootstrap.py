"""Intake composed once: the region's figures, the triage rule table checked against them,
the limits on evidence files; the key of the workers' and employers' refs (``WORKER_REF_KEY_FILE``, made
owner-only when there is none yet); the city's retention schedule (``RETENTION_FILE``); a fault
stops the start. (Which outside agencies are routed
to is data: the registry, changed at run time.)"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from disputes_shared.contract.refs import REF_KEY_BYTES
from disputes_shared.plumbing.secret_files import load_or_create_secret
from disputes_shared.regional import regional_figures
from disputes_shared.retention import retention_source

from .access import Stretch, stretched
from .evidence import DEFAULT_FILES_PER_CASE, DEFAULT_MAX_BYTES, EvidenceLimits
from .handlers import Intake
from .triage import load_rule_table


def bootstrap(config: Mapping[str, Any], stretch: Stretch = stretched) -> Intake:
    """``stretch``: the access codes' key stretching, as the service runs it."""
    figures = regional_figures(config.get("REGIONAL_FIGURES_FILE") or None)
    return Intake(figures=figures, rules=load_rule_table(figures),
                  evidence_limits=EvidenceLimits(
                      max_bytes=int(config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES)),
                      files_per_case=int(config.get("EVIDENCE_FILES_PER_CASE", DEFAULT_FILES_PER_CASE))),
                  ref_key=load_or_create_secret(Path(config["WORKER_REF_KEY_FILE"]), REF_KEY_BYTES),
                  retention=retention_source(config.get("RETENTION_FILE")), stretch=stretch)
