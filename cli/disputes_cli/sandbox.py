"""A whole platform of separate service processes, isolated from any other on the machine:
its own broker vhost, its own ports, its own databases. For end-to-end tests and benchmarks."""

from __future__ import annotations

import os
import random
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import requests

from disputes_shared.contract.agencies import OPERATOR
from disputes_shared.plumbing.config import SERVICE_NAMES

from .broker_setup import remove_users

MANAGEMENT = os.environ.get("DISPUTES_RABBIT_MANAGEMENT", "http://guest:guest@127.0.0.1:15672")
# A role that may create databases on the local PostgreSQL (scripts/postgres.sh provides one).
POSTGRES_ADMIN = os.environ.get("DISPUTES_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _management(method: str, path: str) -> None:
    response = requests.request(method, f"{MANAGEMENT}/api{path}", timeout=10,
                                json={} if method == "PUT" else None)
    if response.status_code not in (200, 201, 204, 404):
        response.raise_for_status()


@contextmanager
def isolated_vhost(prefix: str = "disputes-sandbox") -> Iterator[str]:
    """A fresh vhost on the local broker (guest may use it), deleted afterwards."""
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    _management("PUT", f"/vhosts/{quote(vhost, safe='')}")
    requests.put(f"{MANAGEMENT}/api/permissions/{quote(vhost, safe='')}/guest", timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    try:
        yield vhost
    finally:
        _management("DELETE", f"/vhosts/{quote(vhost, safe='')}")


@contextmanager
def scratch_postgres_databases(names: Iterable[str], prefix: str = "disputes",
                               admin: str = POSTGRES_ADMIN) -> Iterator[dict[str, str]]:
    """A fresh, empty PostgreSQL database for each name (so parallel runs never share one),
    made through the ``admin`` URL's server and role; yields name -> URL; drops them afterwards,
    whoever is still connected."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from disputes_shared.plumbing.engine import make_engine

    admin_url = make_url(admin)
    run = uuid.uuid4().hex[:8]
    databases = {name: f"{prefix}_{name}_{run}".lower() for name in names}
    admin_engine = make_engine(admin).execution_options(isolation_level="AUTOCOMMIT")
    created: list[str] = []
    try:
        with admin_engine.connect() as connection:
            for database in databases.values():
                connection.execute(text(f'CREATE DATABASE "{database}"'))
                created.append(database)
        yield {name: admin_url.set(database=database).render_as_string(hide_password=False)
               for name, database in databases.items()}
    finally:
        with admin_engine.connect() as connection:
            for database in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin_engine.dispose()


EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port_block(size: int, low: int = 20000, high: int | None = None, attempts: int = 200) -> int:
    """A base port such that base+1 .. base+size are all free on loopback now, so that several
    sandboxes (parallel test runs, a benchmark beside a test) never collide. By default the
    block lies below the kernel's ephemeral range: a service restarted in a fault run must find
    its port again, not held by some process's outgoing connection made while it was down."""
    if high is None:
        first_ephemeral = _first_ephemeral_port(default=32768)
        high = first_ephemeral if first_ephemeral > low + 10 * size else 60000
    for _ in range(attempts):
        base = random.randrange(low, high - size)
        if all(_port_is_free(base + offset) for offset in range(1, size + 1)):
            return base
    raise RuntimeError(f"no block of {size} free ports found between {low} and {high}")


def _first_ephemeral_port(default: int) -> int:
    try:
        return int(EPHEMERAL_PORTS.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextmanager
def _broker(amqp_uri: str | None) -> Iterator[tuple[str, str]]:
    """The broker's administrator URI, and the namespace of the platform's users on it."""
    if amqp_uri is not None:
        yield amqp_uri, ""
        return
    with isolated_vhost() as vhost:
        try:
            yield f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}", vhost
        finally:
            remove_users(vhost)


@contextmanager
def sandbox_platform(port_base: int | None = None, database_urls: dict[str, str] | None = None,
                     keep_state: bool = False, amqp_uri: str | None = None,
                     management: str | None = None, replicas: int = 1) -> Iterator[dict[str, str]]:
    """Start every service as its own process (``replicas`` of each, sharing its database and
    inbox, each on ports of its own) against a fresh vhost on the local broker, or
    against ``amqp_uri`` (a broker of the caller's own, whose administrator that URI names, with
    its management API at ``management``), each as its agency's broker user;
    yield the environment a client needs to reach it (``DISPUTES_AMQP_URI``, the operator's
    ``DISPUTES_AMQP_USERNAME`` and ``DISPUTES_AMQP_PASSWORD_FILE``, ports,
    ``DISPUTES_STATE_DIR``); stop and clean up afterwards."""
    from . import local

    if replicas > 1 and set(database_urls or ()) != set(SERVICE_NAMES.values()):
        raise ValueError("replicas share their service's database: give every service a PostgreSQL one")
    if port_base is None:
        port_base = free_port_block(2 * len(SERVICE_NAMES) + 1 + (replicas - 1) * local.REPLICA_PORT_STRIDE)
    state_dir = tempfile.mkdtemp(prefix="disputes-sandbox-")
    saved = dict(os.environ)
    with _broker(amqp_uri) as (broker_uri, namespace):
        os.environ["DISPUTES_AMQP_URI"] = broker_uri
        os.environ["DISPUTES_BROKER_NAMESPACE"] = namespace
        if management:
            os.environ["DISPUTES_RABBIT_MANAGEMENT"] = management
        os.environ["DISPUTES_STATE_DIR"] = state_dir
        os.environ["DISPUTES_DATA_DIR"] = os.path.join(state_dir, "data")
        os.environ["DISPUTES_KEYS_DIR"] = os.path.join(state_dir, "keys")
        os.environ["DISPUTES_REPLICAS"] = str(replicas)
        for offset, agency in enumerate(SERVICE_NAMES):
            name = SERVICE_NAMES[agency].upper()
            os.environ[f"DISPUTES_{name}_HTTP_PORT"] = str(port_base + offset + 1)
            os.environ[f"DISPUTES_{name}_OPS_PORT"] = str(port_base + len(SERVICE_NAMES) + offset + 2)
            if database_urls and SERVICE_NAMES[agency] in database_urls:
                os.environ[f"DISPUTES_{name}_DATABASE_URL"] = database_urls[SERVICE_NAMES[agency]]
        os.environ["DISPUTES_PORTAL_HTTP_PORT"] = str(port_base + len(SERVICE_NAMES) + 1)
        try:
            if local.up(start_broker=False) != 0:
                log_dir = Path(state_dir, "log")
                logs = {p.name: p.read_text()[-1200:] for p in log_dir.iterdir()}
                raise RuntimeError(f"sandbox platform did not come up: {logs}")
            # Clients (the command line, the tests' staff) act as the operator; the
            # administrator's URI stays in DISPUTES_AMQP_URI for the set-up alone.
            os.environ.update(local.broker_users()[OPERATOR].environment())
            yield {k: v for k, v in os.environ.items() if k.startswith("DISPUTES_")}
        finally:
            local.down(stop_broker=False)
            os.environ.clear()
            os.environ.update(saved)
            if not keep_state:
                shutil.rmtree(state_dir, ignore_errors=True)
