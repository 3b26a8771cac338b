"""The broker's set-up, as an administrator: the platform's exchanges and queues, and a user of
its own for every agency, the operator and the portal, with the permissions the contract gives
it (``contract.routing.broker_permissions``). Passwords are generated once and kept in
owner-only files; running the set-up again keeps them and puts the permissions right.

Through the management HTTP API (``DISPUTES_RABBIT_MANAGEMENT``), which the local broker and the
fault tests' private nodes both serve on loopback; in a cluster the messaging-topology operator
does the same from ``deploy/k8s/base/platform/broker-users.yaml``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import requests
from kombu import Connection

from disputes_shared.contract.agencies import PRINCIPALS, broker_user
from disputes_shared.contract.routing import broker_permissions
from disputes_shared.kit.broker import as_user, declare_topology


def management_api() -> str:
    """``DISPUTES_RABBIT_MANAGEMENT``: the management API, with an administrator's credentials."""
    return os.environ.get("DISPUTES_RABBIT_MANAGEMENT", "http://guest:guest@127.0.0.1:15672")


@dataclass(frozen=True)
class BrokerCredentials:
    """Where a principal's broker user logs in: the user and the owner-only file of its password."""

    principal: str
    username: str
    password_file: Path

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def uri(self, broker_uri: str) -> str:
        """``broker_uri`` (any credentials in it replaced) as this user."""
        return as_user(broker_uri, self.username, self.password)

    def environment(self) -> dict[str, str]:
        """What a process needs to connect as this user (see ``plumbing.config.amqp_uri``)."""
        return {"DISPUTES_AMQP_USERNAME": self.username,
                "DISPUTES_AMQP_PASSWORD_FILE": str(self.password_file)}


def vhost_of(broker_uri: str) -> str:
    path = urlsplit(broker_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def credentials_file(directory: Path, principal: str) -> Path:
    """The principal's password file, made (owner-only, in an owner-only directory) with a new
    random password the first time."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    path = directory / principal
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(32))
    path.chmod(0o600)
    return path


def set_up_broker(admin_uri: str, credentials_dir: Path, namespace: str = "",
                  management: str | None = None) -> dict[str, BrokerCredentials]:
    """Declare the platform's topology in ``admin_uri``'s vhost and give every principal its
    user there; returns each principal's credentials."""
    with Connection(admin_uri) as connection:
        connection.ensure_connection(max_retries=3)
        declare_topology(connection)
    vhost = quote(vhost_of(admin_uri), safe="")
    session = requests.Session()
    api = (management or management_api()).rstrip("/") + "/api"
    found: dict[str, BrokerCredentials] = {}
    for principal in PRINCIPALS:
        user = broker_user(principal, namespace)
        credentials = BrokerCredentials(principal, user, credentials_file(credentials_dir, principal))
        granted = broker_permissions(principal, namespace)
        name = quote(user, safe="")
        _put(session, f"{api}/users/{name}",
             {"password": credentials.password, "tags": ",".join(granted.tags)})
        _put(session, f"{api}/permissions/{vhost}/{name}",
             {"configure": granted.configure, "write": granted.write, "read": granted.read})
        for topic in granted.topics:
            _put(session, f"{api}/topic-permissions/{vhost}/{name}",
                 {"exchange": topic.exchange, "write": topic.write, "read": topic.read})
        found[principal] = credentials
    return found


def remove_users(namespace: str, management: str | None = None) -> None:
    """Delete the namespace's users (a test run's or a sandbox's, once its vhost is gone)."""
    session = requests.Session()
    api = (management or management_api()).rstrip("/") + "/api"
    for principal in PRINCIPALS:
        response = session.delete(f"{api}/users/{quote(broker_user(principal, namespace), safe='')}",
                                  timeout=10)
        if response.status_code not in (200, 204, 404):
            response.raise_for_status()


def _put(session: requests.Session, url: str, document: dict[str, str]) -> None:
    response = session.put(url, json=document, timeout=10)
    if response.status_code not in (200, 201, 204):
        raise RuntimeError(f"the broker refused the set-up ({response.status_code} on "
                           f"{urlsplit(url).path}): {response.text[:300]}")
