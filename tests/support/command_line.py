"""The ``disputes`` command as a user runs it: its own process, against a platform whose
settings the environment names."""

from __future__ import annotations

import os
import subprocess
import sys


def disputes(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command line, as a user runs it, against the sandbox platform."""
    return subprocess.run([sys.executable, "-m", "disputes_cli.main", *args],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
