"""The trail composed once: the key its entries and checkpoints are signed with
(``TRAIL_SIGNING_KEY_FILE``, made, readable by its owner only, when there is none yet), and its
public half to check them with."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .handlers import Trail
from .signing import load_or_create_private_key, signature_check


def bootstrap(config: Mapping[str, Any]) -> Trail:
    key = load_or_create_private_key(Path(config["TRAIL_SIGNING_KEY_FILE"]))
    return Trail(key.sign, signature_check(key.public_key()))
