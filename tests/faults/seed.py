"""The fault tier's randomness: ``DISPUTES_FAULT_SEED`` unset runs the pinned seed (what
``make test`` and CI run, so a red run is the code's doing, not the draw's); ``random`` draws a
new one (``make test-faults``); an integer repeats a run."""

from __future__ import annotations

import os
import random

PINNED_SEED = 20261204


def fault_seed(setting: str | None) -> int:
    """``DISPUTES_FAULT_SEED``: unset, the pinned seed; ``random``, a new one; else that one."""
    if setting is None or not setting.strip():
        return PINNED_SEED
    if setting.strip() == "random":
        return random.randrange(1_000_000)
    try:
        return int(setting)
    except ValueError:
        raise ValueError(f"DISPUTES_FAULT_SEED: an integer or 'random', not {setting!r}") from None


SEED = fault_seed(os.environ.get("DISPUTES_FAULT_SEED"))
