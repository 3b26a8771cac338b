"""Integration tests: each test gets its own vhost on the real RabbitMQ (nameko's
``rabbit_config``) and fresh databases, once on SQLite files and once on PostgreSQL; service
classes run in real nameko containers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from nameko.testing.utils import find_free_port

from disputes_cli.sandbox import scratch_postgres_databases
from disputes_shared.plumbing.config import agency_of_service
from disputes_shared.plumbing.runner import service_schema

from ..support.broker import set_up_vhost, tear_down_vhost, uri_of
from ..support.keys import key_file_config
from ..support.signin import identity_config


@pytest.fixture
def rabbit_config(rabbit_config, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """nameko's vhost per test, set up as the platform's broker is: the topology and a user per
    agency (``AMQP_URI`` stays the administrator's, for the tests' own helpers)."""
    set_up_vhost(rabbit_config["AMQP_URI"], tmp_path_factory.mktemp("broker-users"))
    yield rabbit_config
    tear_down_vhost(rabbit_config["AMQP_URI"])


@pytest.fixture
def agency_uri(rabbit_config) -> Callable[[str], str]:
    """The test's vhost as an agency's (or the operator's, the portal's) broker user."""
    return lambda principal: uri_of(rabbit_config["AMQP_URI"], principal)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path) -> Iterator[Callable[[str], str]]:
    """Makes a fresh, empty database for a service name: a SQLite file, or a PostgreSQL
    database of its own (dropped after the test)."""
    with ExitStack() as stack:
        def make(name: str) -> str:
            if request.param == "sqlite":
                return f"sqlite:///{tmp_path / (name + '.db')}"
            return stack.enter_context(scratch_postgres_databases([name], prefix="it"))[name]

        yield make


@pytest.fixture
def start_service(fresh_database, container_factory, rabbit_config, tmp_path):
    """Start a service class in a container on the test's vhost, with a fresh database
    brought to head by its migrations (dropped only after the container stops)."""
    started: dict[str, dict[str, Any]] = {}
    containers: list[Any] = []

    def start(service_cls: Any, metadata: Any, **overrides: Any) -> dict[str, Any]:
        url = fresh_database(service_cls.name)
        service_schema(service_cls, metadata).upgrade(url)
        config = {
            "AMQP_URI": uri_of(rabbit_config["AMQP_URI"], agency_of_service(service_cls.name)),
            "DATABASE_URL": url,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}",
            "OPS_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "serializer": "json",
            "MONTHLY_MINIMUM_WAGE": "2100",
            "TRAIL_SIGNING_KEY_FILE": str(tmp_path / "trail-signing-key.pem"),
            **key_file_config(tmp_path, service_cls.name),
            **identity_config(), **overrides,
        }
        container = container_factory(service_cls, config)
        container.start()
        containers.append(container)
        started[service_cls.name] = config
        return config

    yield start
    # Before the databases go (nameko's own fixture stops containers only after that).
    for container in reversed(containers):
        container.kill()


@pytest.fixture
def amqp_uri(rabbit_config) -> str:
    return rabbit_config["AMQP_URI"]
