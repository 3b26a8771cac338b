"""Integration tests: each test gets its own vhost on the real RabbitMQ (nameko's
``rabbit_config``) and fresh databases, once on SQLite files and once on PostgreSQL; service
classes run in real nameko containers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from kombu import Connection
from nameko.testing.utils import find_free_port

from disputes_cli.sandbox import scratch_postgres_databases
from disputes_shared.kit.broker import read_parked
from disputes_shared.plumbing.runner import service_schema


def eventually(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy (and return that) or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout}s: {check}")
        time.sleep(interval)


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
            "AMQP_URI": rabbit_config["AMQP_URI"], "DATABASE_URL": url,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "serializer": "json",
            "MONTHLY_MINIMUM_WAGE": "2100",
            "TRAIL_SIGNING_KEY_FILE": str(tmp_path / "trail-signing-key.pem"), **overrides,
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


def publish_raw(amqp_uri: str, exchange: str, routing_key: str, body: bytes | str,
                content_type: str = "application/json", **properties: Any) -> None:
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        producer.publish(body, exchange=exchange, routing_key=routing_key,
                         content_type=content_type, content_encoding="utf-8",
                         delivery_mode=2, **properties)


def queue_messages(amqp_uri: str, queue: str, expected: int, timeout: float = 15.0) -> list[Any]:
    """Take ``expected`` messages off ``queue`` (acking them), waiting up to ``timeout``."""
    taken: list[Any] = []
    deadline = time.monotonic() + timeout
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        while len(taken) < expected and time.monotonic() < deadline:
            message = channel.basic_get(queue, no_ack=False)
            if message is None:
                time.sleep(0.05)
                continue
            channel.basic_ack(message.delivery_tag)
            taken.append(message)
    return taken


def dead_letters(amqp_uri: str, expected: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The parked messages not replayed, once ``expected`` of them are there (or at ``timeout``)."""
    return [{"body": m.body, "headers": m.headers, "message": m}
            for m in read_parked(amqp_uri, timeout, at_least=expected) if not m.replayed]


def parked_now(amqp_uri: str) -> list[Any]:
    """Every parked message not replayed, read to the end of the parking stream: exact, no
    waiting for something that should not come."""
    return [m for m in read_parked(amqp_uri, timeout=15.0) if not m.replayed]


def metric_value(config: dict[str, Any], sample: str) -> float:
    """One sample off a running service's ``/metrics`` (0 while it is not there)."""
    import urllib.request

    with urllib.request.urlopen(f"http://{config['WEB_SERVER_ADDRESS']}/metrics", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            name, _, value = line.rpartition(" ")
            if name == sample:
                return float(value)
    return 0.0


def queue_depth(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        _, ready, _ = connection.channel().queue_declare(queue, passive=True)
    return int(ready)


def as_json(body: bytes | str) -> Any:
    return json.loads(body)
