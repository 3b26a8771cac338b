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
from amqp.exceptions import NotFound
from kombu import Connection
from kombu.exceptions import OperationalError

from disputes_shared.contract.agencies import PRINCIPALS, Agency, broker_user
from disputes_shared.contract.registry import OUTSIDE_AGENCIES
from disputes_shared.contract.routing import SUBSCRIPTIONS, broker_permissions, is_sharded, queue_name
from disputes_shared.kit.broker import (
    ConfirmedPublisher,
    as_user,
    declare_inbox,
    declare_topology,
    drain_single_inbox,
)


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
                  management: str | None = None,
                  principals: tuple[str, ...] = PRINCIPALS) -> dict[str, BrokerCredentials]:
    """Declare the platform's topology in ``admin_uri``'s vhost and give each of ``principals``
    its user there; returns each one's credentials."""
    with Connection(admin_uri) as connection:
        connection.ensure_connection(max_retries=3)
        declare_topology(connection)
    session = requests.Session()
    return {principal: _grant(session, admin_uri, credentials_dir, principal, namespace, management)
            for principal in principals}


def drain_single_inboxes(admin_uri: str, operator_uri: str) -> dict[str, int]:
    """Move what each platform service's single inbox of an older release still holds to the
    service's shards, and delete it (``kit.broker.drain_single_inbox``): read as the
    administrator, sent again as the operator, who may send as the first sender. By queue,
    the messages moved; an agency without such a queue is left out."""
    moved: dict[str, int] = {}
    publisher = ConfirmedPublisher(operator_uri)
    try:
        with Connection(admin_uri) as connection:
            for agency in SUBSCRIPTIONS:
                if is_sharded(agency):
                    count = drain_single_inbox(connection, publisher, agency)
                    if count is not None:
                        moved[queue_name(agency)] = count
    finally:
        publisher.close()
    return moved


# The platform's own principals: an outside agency's user is made when it is onboarded
# (``disputes agency add``, ``onboard``), not by every start.
PLATFORM_PRINCIPALS = tuple(p for p in PRINCIPALS if p not in {a.value for a in OUTSIDE_AGENCIES})


class BrokerUnreachable(RuntimeError):
    """The broker, or its management API, did not answer the administrator."""


@dataclass(frozen=True)
class Offboarded:
    inbox_kept_with: int  # messages still in the inbox, which is then kept (0: it was deleted)


def onboard(admin_uri: str, credentials_dir: Path, agency: Agency, namespace: str = "",
            management: str | None = None) -> BrokerCredentials:
    """An outside agency's place on the broker: its inbox (the platform's queue arguments and
    the bindings the contract gives it; none for an agency that receives nothing yet) and its
    own user, with a generated password kept owner-only and least privilege. Run again, it
    puts both right and keeps the password."""
    try:
        with Connection(admin_uri, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
            declare_inbox(connection, agency)
        return _grant(requests.Session(), admin_uri, credentials_dir, agency.value, namespace, management)
    except (OSError, OperationalError, requests.ConnectionError) as exc:
        raise BrokerUnreachable(f"the broker's administration did not answer ({type(exc).__name__}: "
                                f"{exc}); is the broker up, and DISPUTES_AMQP_URI / "
                                f"DISPUTES_RABBIT_MANAGEMENT an administrator's?") from exc


def offboard(admin_uri: str, credentials_dir: Path, agency: Agency, namespace: str = "",
             management: str | None = None) -> Offboarded:
    """Delete the agency's broker user and its password file; delete its inbox when it is
    empty, keep it (and say how many messages it holds) otherwise."""
    session = requests.Session()
    try:
        user = quote(broker_user(agency.value, namespace), safe="")
        _delete(session, f"{_api(management)}/users/{user}")  # its connections close with it
        (credentials_dir / agency.value).unlink(missing_ok=True)
        with Connection(admin_uri, connect_timeout=5) as connection:
            channel = connection.channel()
            try:
                _, held, _ = channel.queue_declare(queue_name(agency), passive=True)
            except NotFound:
                return Offboarded(0)
            # Counted over AMQP (the management API's figures lag); quorum queues take no
            # if-empty delete, and nothing is routed to the agency any more once it is removed.
            if held:
                return Offboarded(int(held))
            connection.channel().queue_delete(queue_name(agency))
            return Offboarded(0)
    except (OSError, OperationalError, requests.ConnectionError) as exc:
        raise BrokerUnreachable(f"the broker's administration did not answer ({exc})") from exc


def _delete(session: requests.Session, url: str) -> None:
    response = session.delete(url, timeout=10)
    if response.status_code not in (200, 204, 404):
        raise RuntimeError(f"the broker refused ({response.status_code} on {urlsplit(url).path}): "
                           f"{response.text[:300]}")


def _api(management: str | None) -> str:
    return (management or management_api()).rstrip("/") + "/api"


def _grant(session: requests.Session, admin_uri: str, credentials_dir: Path, principal: str,
           namespace: str, management: str | None) -> BrokerCredentials:
    """Make (or put right) ``principal``'s user in ``admin_uri``'s vhost, with the permissions
    the contract gives it and the password kept in its owner-only file."""
    vhost, api = quote(vhost_of(admin_uri), safe=""), _api(management)
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
    return credentials


def remove_users(namespace: str, management: str | None = None) -> None:
    """Delete the namespace's users (a test run's or a sandbox's, once its vhost is gone)."""
    session = requests.Session()
    api = _api(management)
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
