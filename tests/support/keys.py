"""Key files of personal data for services the tests start: one per service in the test's own
folder, and the keys a test opens a started service's database with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from disputes_shared.plumbing.personal_data import LocalKeyFile


def key_file_config(folder: Path, service: str) -> dict[str, str]:
    """The service's personal-data keys and (intake's) key of the workers' refs."""
    return {"PERSONAL_DATA_KEY_FILE": str(folder / "keys" / f"{service}.json"),
            "WORKER_REF_KEY_FILE": str(folder / "keys" / "worker-ref-key")}


def keys_of(config: dict[str, Any]) -> LocalKeyFile:
    """The keys of a service started with ``config``: what its adapters seal and open with."""
    return LocalKeyFile(Path(config["PERSONAL_DATA_KEY_FILE"]))
