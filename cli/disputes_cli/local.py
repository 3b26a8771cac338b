"""``disputes up|down|status``: the broker and every service as local processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from disputes_shared.contract.agencies import OPERATOR, Agency, broker_user
from disputes_shared.contract.agencies import PORTAL as PORTAL_USER
from disputes_shared.plumbing.config import SERVICE_NAMES, http_port, ops_port, portal_http_port

from .broker_setup import PLATFORM_PRINCIPALS, BrokerCredentials, set_up_broker

SERVICES = [SERVICE_NAMES[a] for a in (Agency.TRAIL, Agency.ANALYTICS, Agency.MEDIATION, Agency.LEGAL_AID,
                                        Agency.ARBITRATION, Agency.COURTS, Agency.INTAKE)]
AGENCY_OF = {name: agency for agency, name in SERVICE_NAMES.items()}
# The worker portal: no schema and no agency of its own, started with the services.
PORTAL = "portal"
PROCESSES = SERVICES + [PORTAL]
# A service's second and later replicas serve on its ports plus this many per replica, so no
# two processes share a port (the ports of one replica span 15: 7 HTTP, the portal's, 7 ops).
REPLICA_PORT_STRIDE = 20


def project_root() -> Path:
    """Where ``scripts/`` and ``var/`` are: the source tree this command was installed from."""
    return Path(os.environ.get("DISPUTES_HOME", Path(__file__).resolve().parents[2]))


def var(*parts: str) -> Path:
    """Under ``DISPUTES_STATE_DIR`` (default ``var/`` in the project): data, logs, pid files."""
    base = Path(os.environ.get("DISPUTES_STATE_DIR", project_root() / "var"))
    path = base.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def identity_dir() -> Path:
    """The development issuer's keys (owner-only), under ``var/``."""
    return var("identity", "x").parent


def service_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DISPUTES_DATA_DIR", str(var("data", "x").parent))
    env.setdefault("DISPUTES_IDENTITY_DIR", str(identity_dir()))
    env.setdefault("DISPUTES_KEYS_DIR", str(var("keys", "x").parent))  # apart from the databases
    # On one machine every caller is 127.0.0.1, and the demo files hundreds of claims from it:
    # the per-address limits are for a deployment facing the public (set them to try them here).
    env.setdefault("DISPUTES_FILING_RATE_PER_MINUTE", "0")
    env.setdefault("DISPUTES_READING_RATE_PER_MINUTE", "0")
    env.setdefault("DISPUTES_TRUSTED_PROXIES", "127.0.0.1")  # the portal, in front of intake's API
    return env


def broker_users() -> dict[str, BrokerCredentials]:
    """The broker set up for this platform (as the administrator of ``DISPUTES_AMQP_URI``): its
    topology, and the users of the platform's agencies, the operator and the portal, their
    passwords kept owner-only under ``var/broker-users/`` (users named in
    ``DISPUTES_BROKER_NAMESPACE``, if set). An outside agency gets its user when it is onboarded
    (``disputes agency add``)."""
    return set_up_broker(admin_uri(), broker_users_dir(),
                         namespace=os.environ.get("DISPUTES_BROKER_NAMESPACE", ""),
                         principals=PLATFORM_PRINCIPALS)


def admin_uri() -> str:
    """The broker as its administrator (the set-up's), from ``DISPUTES_AMQP_URI``."""
    return os.environ.get("DISPUTES_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


def broker_users_dir() -> Path:
    return var("broker-users", "x").parent


def act_as_operator() -> None:
    """Staff commands connect as the operator's broker user that the set-up of ``disputes up``
    made here, unless ``DISPUTES_AMQP_USERNAME`` names a user already."""
    if os.environ.get("DISPUTES_AMQP_USERNAME"):
        return
    state = Path(os.environ.get("DISPUTES_STATE_DIR", project_root() / "var"))
    password_file = state / "broker-users" / OPERATOR
    if password_file.exists():
        os.environ["DISPUTES_AMQP_USERNAME"] = broker_user(
            OPERATOR, os.environ.get("DISPUTES_BROKER_NAMESPACE", ""))
        os.environ["DISPUTES_AMQP_PASSWORD_FILE"] = str(password_file)


def broker(command: str) -> int:
    script = project_root() / "scripts" / "broker.sh"
    if script.exists():
        return subprocess.call(["bash", str(script), command])
    print(f"no {script}: start RabbitMQ yourself and set DISPUTES_AMQP_URI", file=sys.stderr)
    return 0 if command != "start" or amqp_answers() else 1


def amqp_answers(host: str = "127.0.0.1", port: int = 5672) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def replicas() -> int:
    """``DISPUTES_REPLICAS``: processes per service, 1 unless set (the portal runs once)."""
    count = int(os.environ.get("DISPUTES_REPLICAS", "1"))
    if count < 1:
        raise ValueError(f"DISPUTES_REPLICAS must be at least 1, not {count}")
    return count


def replica_name(service: str, replica: int) -> str:
    """A process's name (its pid file, its log, its PostgreSQL sessions' ``application_name``):
    the service's own for its first replica, ``<service>-<n>`` for the others."""
    return service if replica == 1 else f"{service}-{replica}"


def replicas_of(service: str) -> list[str]:
    return [replica_name(service, n) for n in range(1, replicas() + 1)]


def processes() -> list[str]:
    """Every process ``up`` runs: each service's replicas, and the portal."""
    return [name for service in SERVICES for name in replicas_of(service)] + [PORTAL]


def service_and_replica(name: str) -> tuple[str, int]:
    service, _, number = name.rpartition("-")
    if service in SERVICES and number.isdigit():
        return service, int(number)
    return name, 1


def pid_of(service: str) -> int | None:
    """The pid of a running process (a service's replica, or the portal) by its name."""
    pidfile = var("run", f"{service}.pid")
    try:
        pid = int(pidfile.read_text())
    except (OSError, ValueError):
        return None
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return None  # our own child, exited (and now reaped)
    except ChildProcessError:
        pass  # started by another `disputes up`
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def replica_port(port: int, replica: int) -> int:
    """Where a replica serves what its service's first replica serves on ``port``."""
    return port + (replica - 1) * REPLICA_PORT_STRIDE


def port_of(name: str) -> int:
    if name == PORTAL:
        return portal_http_port()
    service, replica = service_and_replica(name)
    return replica_port(http_port(AGENCY_OF[service]), replica)


def health_port_of(name: str) -> int:
    """Where a process answers /health/ready (and a service /metrics): a service on its
    operations port."""
    if name == PORTAL:
        return portal_http_port()
    service, replica = service_and_replica(name)
    return replica_port(ops_port(AGENCY_OF[service]), replica)


def process_env(name: str) -> dict[str, str]:
    """What one process adds to the services' environment: its ports, and its name on its
    database sessions, so ``pg_stat_activity`` tells the replicas apart."""
    if name == PORTAL:
        return {}
    service, _ = service_and_replica(name)
    return {f"DISPUTES_{service.upper()}_HTTP_PORT": str(port_of(name)),
            f"DISPUTES_{service.upper()}_OPS_PORT": str(health_port_of(name)),
            "PGAPPNAME": name}


def healthy(service: str) -> bool:
    try:
        url = f"http://127.0.0.1:{health_port_of(service)}/health/ready"
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def up(timeout: float = 90.0, start_broker: bool = True, migrate: bool = True) -> int:
    """Start every service that is not running (``DISPUTES_REPLICAS`` processes of each), after
    the schema step unless ``migrate`` is off (a crashed service restarting, as an orchestrator
    restarts one, needs none)."""
    if start_broker and broker("start") != 0:
        return 1
    users = broker_users()
    env = service_env()
    if not env.get("DISPUTES_OIDC_ISSUER"):  # staff sign in with the development issuer
        from .signin import development_issuer

        development_issuer().ensure_keys()
    # The schema step is explicit and runs before the services, never inside them.
    migrations = [subprocess.Popen([sys.executable, "-W", "ignore", "-m", service, "migrate"],
                                   env=env, stdout=subprocess.DEVNULL)
                  for service in (SERVICES if migrate else [])]
    if any(m.wait() != 0 for m in migrations):
        print("a schema migration failed", file=sys.stderr)
        return 1
    started: dict[str, subprocess.Popen[bytes]] = {}
    for name in processes():
        if pid_of(name):
            continue
        service, _ = service_and_replica(name)
        # Each process connects to the broker as its own agency's user (the portal as its own).
        user = users[PORTAL_USER if service == PORTAL else str(AGENCY_OF[service])]
        with open(var("log", f"{name}.log"), "ab") as log:
            started[name] = subprocess.Popen(
                [sys.executable, "-W", "ignore", "-m", service, "run"],
                env={**env, **user.environment(), **process_env(name)},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        var("run", f"{name}.pid").write_text(str(started[name].pid))
    deadline = time.monotonic() + timeout
    waiting = processes()
    while waiting and time.monotonic() < deadline:
        waiting = [s for s in waiting if not healthy(s)]
        for service in waiting:
            if service in started and started[service].poll() is not None:
                var("run", f"{service}.pid").unlink(missing_ok=True)
                print(f"{service} exited; see {var('log', service + '.log')}", file=sys.stderr)
                return 1
        time.sleep(0.5)
    if waiting:
        print(f"not healthy after {timeout:.0f}s: {', '.join(waiting)}", file=sys.stderr)
        return 1
    print("platform up: " + ", ".join(f"{s} :{port_of(s)} (ops :{health_port_of(s)})"
                                      for s in processes() if s != PORTAL))
    print(f"worker portal: http://127.0.0.1:{port_of(PORTAL)}/")
    return 0


def down(stop_broker: bool = True) -> int:
    # Every process with a pid file, however many replicas it was started with.
    recorded = {path.stem for path in var("run", "x").parent.glob("*.pid")
                if service_and_replica(path.stem)[0] in PROCESSES}
    running = {name: pid for name in sorted(recorded) if (pid := pid_of(name))}
    for pid in running.values():
        os.kill(pid, signal.SIGTERM)  # nameko finishes in-flight work, then exits
    deadline = time.monotonic() + 30
    while any(pid_of(s) for s in running) and time.monotonic() < deadline:
        time.sleep(0.1)
    for service, pid in running.items():
        if pid_of(service):
            print(f"{service} did not stop in 30s; killing it", file=sys.stderr)
            os.kill(pid, signal.SIGKILL)
        var("run", f"{service}.pid").unlink(missing_ok=True)
        print(f"stopped {service}")
    return broker("stop") if stop_broker else 0


def status() -> int:
    ok = amqp_answers()
    print(f"broker  {'answering' if ok else 'NOT answering'} on 127.0.0.1:5672")
    for name in processes():
        pid = pid_of(name)
        health = "healthy" if healthy(name) else "not healthy"
        print(f"{name:<16} {'pid ' + str(pid) if pid else 'not running':<12} {health}")
        ok = ok and pid is not None
    return 0 if ok else 1
