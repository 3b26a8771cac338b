"""A RabbitMQ node of the fault tests' own: its own node name, ports, Erlang port mapper, state
and logs in a temporary directory, every listener on loopback. The tests stop and start it at
will without touching any other broker on the machine, and stop only what they started (by PID).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from disputes_cli.sandbox import free_port_block

BIN_DIRS = ("/usr/lib/rabbitmq/bin", "/usr/sbin", "/usr/local/sbin")


def rabbitmq_tool(name: str) -> str:
    """The real ``rabbitmq-server``/``rabbitmqctl`` script (not Debian's wrapper, which switches
    to the ``rabbitmq`` user), installed by ``scripts/broker.sh`` when missing."""
    for directory in BIN_DIRS:
        candidate = Path(directory, name)
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: run scripts/broker.sh install")
    return found


class PrivateBroker:
    """``start()``, ``stop()``, ``restart()``; durable state survives a restart."""

    def __init__(self, start_timeout: float = 120.0) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="disputes-faults-broker-"))
        base = free_port_block(4)
        self.amqp_port, self.dist_port, self.epmd_port = base + 1, base + 2, base + 3
        self.management_port = base + 4
        self.node = f"disputes-faults-{uuid.uuid4().hex[:8]}@localhost"
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        (self.root / "mnesia").mkdir()
        (self.root / "log").mkdir()
        # The management API: the platform's set-up makes its broker users through it; the
        # consistent-hash exchange: the services' inboxes are sharded by case behind one.
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n")
        (self.root / "enabled_plugins").write_text("[rabbitmq_management,rabbitmq_consistent_hash_exchange].\n")
        (self.root / "rabbitmq-env.conf").write_text("")

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    def management_answers(self) -> bool:
        try:
            with urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{self.management_port}/api/overview",
                    headers={"Authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="}), timeout=5) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def environment(self) -> dict[str, str]:
        loopback = "-kernel inet_dist_use_interface {127,0,0,1}"
        return {
            **os.environ,
            "HOME": os.environ.get("HOME") or str(Path.home()),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_PID_FILE": str(self.root / "rabbit.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": loopback,
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def ctl(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([rabbitmq_tool("rabbitmqctl"), "-n", self.node, *args],
                              env=self.environment(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def start(self) -> None:
        with open(self.root / "log" / "console.log", "ab") as console:
            self.process = subprocess.Popen([rabbitmq_tool("rabbitmq-server")],
                                            env=self.environment(), stdout=console,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited: {self.console_tail()}")
            if (self.ctl("await_startup", "--timeout", "10", timeout=30).returncode == 0
                    and self.management_answers()):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ did not start in {self.start_timeout}s: {self.console_tail()}")
            time.sleep(1)

    def stop(self) -> None:
        """Stop the node (cleanly, else by its PID) and wait until it has gone."""
        if self.process is None or self.process.poll() is not None:
            return
        self.ctl("stop", timeout=90)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the node's own process group
            self.process.wait(timeout=30)

    def restart(self, down_seconds: float = 3.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        """Stop the node and the port mapper it started on its own port; drop the state."""
        try:
            self.stop()
        finally:
            subprocess.run(["epmd", "-port", str(self.epmd_port), "-kill"],
                           env=self.environment(), capture_output=True, timeout=30)
            shutil.rmtree(self.root, ignore_errors=True)

    def console_tail(self) -> str:
        try:
            return (self.root / "log" / "console.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""
