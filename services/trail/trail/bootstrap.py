"""The trail composed once: the key its checkpoints are signed with (``TRAIL_SIGNING_KEY_FILE``,
made, readable by its owner only, when there is none yet)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .handlers import Trail
from .signing import load_or_create_private_key


def bootstrap(config: Mapping[str, Any]) -> Trail:
    return Trail(load_or_create_private_key(Path(config["TRAIL_SIGNING_KEY_FILE"])).sign)
