"""Reading a running service's Prometheus metrics as the tests do."""

from __future__ import annotations

import urllib.request
from typing import Any


def metric_value(config: dict[str, Any], sample: str) -> float:
    """One sample off a running service's ``/metrics`` (on its operations port) (0 while it is not there)."""
    with urllib.request.urlopen(f"http://{config['OPS_SERVER_ADDRESS']}/metrics", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            name, _, value = line.rpartition(" ")
            if name == sample:
                return float(value)
    return 0.0
