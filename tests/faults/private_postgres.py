"""A PostgreSQL cluster of the fault tests' own: a port of its own on loopback, its data in a
temporary directory. It is started and stopped by ``scripts/postgres.sh``, the one place that
knows how the project runs a server of its own, so the tests can stop it at will without
touching the machine's other servers, and stop only what they started (by PID)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from disputes_cli.sandbox import free_port_block

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"


class PrivatePostgres:
    """``start()``, ``stop()`` (a fast shutdown: every client is disconnected), ``restart()``;
    the data survives a restart."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="disputes-faults-postgres-"))
        self.root.chmod(0o755)  # the cluster's owner (postgres) must reach its data directory
        self.port = free_port_block(1) + 1

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _script(self, command: str) -> None:
        result = subprocess.run(
            [str(SCRIPT), command], capture_output=True, text=True, timeout=180,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "POSTGRES_PORT": str(self.port), "POSTGRES_DATA_DIR": str(self.root / "data")})
        if result.returncode != 0:
            raise RuntimeError(f"scripts/postgres.sh {command} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        self._script("start")

    def stop(self) -> None:
        self._script("stop")

    def restart(self, down_seconds: float) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            # The script's lock for this port, which no other run will take again.
            (SCRIPT.parents[1] / "var" / "run" / f"postgres-{self.port}.lock").unlink(missing_ok=True)
