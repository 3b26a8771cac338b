"""scripts/postgres.sh starts a PostgreSQL of its own on loopback when none answers, stops only
what it started, by PID, and leaves alone one it did not start."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from nameko.testing.utils import find_free_port
from sqlalchemy import text

from disputes_shared.plumbing.engine import make_engine

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"


def postgres_sh(command: str, port: int, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), command], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "POSTGRES_PORT": str(port), "POSTGRES_DATA_DIR": str(data_dir)})


def server_pid(port: int, data_dir: Path) -> int:
    status = postgres_sh("status", port, data_dir).stdout
    return int(status.split("started by scripts/postgres.sh: yes (pid ")[1].split(")")[0])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")


def test_our_own_server_starts_on_loopback_and_only_ours_is_stopped(tmp_path):
    port = find_free_port()
    data_dir = tmp_path / "pg"
    started = postgres_sh("start", port, data_dir)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "starting our own PostgreSQL" in started.stdout
    pid = server_pid(port, data_dir)
    try:
        engine = make_engine(f"postgresql://postgres@127.0.0.1:{port}/postgres")
        with engine.connect() as connection:
            assert connection.execute(text("SHOW listen_addresses")).scalar_one() == "127.0.0.1"
        engine.dispose()
        again = postgres_sh("start", port, data_dir)  # a second run uses it, starts nothing
        assert again.returncode == 0 and "already running" in again.stdout
        assert server_pid(port, data_dir) == pid
    finally:
        stopped = postgres_sh("stop", port, data_dir)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not alive(pid)
    # Nothing of ours runs on that port any more: stopping again touches nothing.
    assert "nothing to stop" in postgres_sh("stop", port, data_dir).stdout
