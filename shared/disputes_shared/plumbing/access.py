"""Signed-in staff at the services' entrypoints: every RPC command and HTTP endpoint verifies
the caller's bearer token and role before its worker starts, from the one table in
``identity.roles``; what that table leaves open (a worker filing a claim) needs none.

A token travels with an RPC call as nameko context data (``AUTHORIZATION``: ``Bearer …``), and
with an HTTP request as its ``Authorization`` header. A refused call never runs: the caller gets
``Unauthenticated`` (401) or ``Forbidden`` (403), the refusal is logged without the token and
counted in ``disputes_access_refused_total{service, reason}``. The worker of an admitted call
finds the acting person (subject and role) in its context data as ``ACTOR``; ``Storage`` puts
them on every event the command emits.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from functools import partial
from typing import Any

from eventlet.event import Event
from kombu.message import Message
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

from ..identity.refusals import AccessRefused
from ..identity.settings import IdentitySettings
from ..identity.tokens import AccessPolicy, Actor
from .messaging import SettlingRpc
from .metrics import MetricsRegistry

log = logging.getLogger(__name__)

AUTHORIZATION = "authorization"  # context data key of the caller's ``Bearer`` token
ACTOR = "disputes_actor"  # context data key of the verified acting person, set only here


def bearer(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def actor_of(worker_ctx: Any) -> dict[str, str] | None:
    """The person acting in a worker's call, as verified at its entrypoint (None: the system,
    or an open command)."""
    found = worker_ctx.data.get(ACTOR)
    return found if isinstance(found, dict) else None


class AccessGate(SharedExtension):
    """One per service container: the access policy its configuration names, checked when the
    service starts (a bad or, in production, a development issuer stops the start)."""

    metrics_registry = MetricsRegistry()

    def setup(self) -> None:
        self.policy: AccessPolicy = IdentitySettings.from_config(self.container.config).policy()

    def admit(self, command: str, context_data: dict[str, Any]) -> dict[str, Any]:
        """The context data a worker may start with: the token taken out (it is not passed on),
        the verified actor put in (whatever the caller sent under that name dropped). Raises
        ``AccessRefused``, logged and counted."""
        token = bearer(context_data.pop(AUTHORIZATION, None))
        context_data.pop(ACTOR, None)
        service = self.container.service_name
        try:
            actor: Actor | None = self.policy.admit(service, command, token)
        except AccessRefused as refusal:
            log.warning("refused %s.%s: %s (%s)", service, command, refusal.error, refusal)
            self.metrics_registry.metrics.access_refused.labels(service, refusal.reason).inc()
            raise
        if actor is not None:
            context_data[ACTOR] = actor.as_dict()
        return context_data


class SignatureWorkedOutOnce:
    """nameko checks a call's arguments with ``inspect.getcallargs``, which works the method's
    signature out anew at every call. Bound here against the signature worked out once; a call
    that does not bind goes through nameko's own check, which refuses it in its own words."""

    container: Any
    method_name: str
    _signature: inspect.Signature

    def check_signature(self, args: Any, kwargs: Any) -> None:
        try:
            signature = self._signature
        except AttributeError:
            method = getattr(self.container.service_cls, self.method_name)
            signature = self._signature = inspect.signature(method, follow_wrapped=False)
        try:
            signature.bind(None, *args, **kwargs)  # None for the instance, as nameko checks it
        except TypeError:
            super().check_signature(args, kwargs)  # type: ignore[misc]


class SignedInRpc(SignatureWorkedOutOnce, SettlingRpc):
    """``@rpc`` for the services: the token checked before the command's worker starts."""

    gate = AccessGate()

    def handle_message(self, body: Any, message: Message) -> None:
        try:
            args, kwargs = body["args"], body["kwargs"]
            self.check_signature(args, kwargs)
            context_data = self.gate.admit(self.method_name, self.unpack_message_headers(message))
        except Exception as exc:  # refused or malformed: replied to, never run
            self.rpc_consumer.handle_result(message, None, (type(exc), exc, exc.__traceback__))
            return
        try:
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, message))
        except ContainerBeingKilled:
            self.rpc_consumer.requeue_message(message)


rpc = SignedInRpc.decorator


def endpoint_name(method: str, url: str) -> str:
    """``GET /v1/claims/<case_id>``: how the roles table names an HTTP endpoint."""
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", url)
    return f"{method} {path}"


class SignedInHttp(SignatureWorkedOutOnce, HttpRequestHandler):
    """``@http`` for the services: the ``Authorization: Bearer`` header checked before the
    endpoint's worker starts; a refusal is 401 or 403 in the API's ``Error`` shape."""

    gate = AccessGate()

    def handle_request(self, request: Any) -> Response:
        # nameko's own, with the gate before the worker and its context data from the gate.
        request.shallow = False
        try:
            context_data = self.gate.admit(endpoint_name(self.method, self.url),
                                           {AUTHORIZATION: request.headers.get("Authorization")})
        except AccessRefused as refusal:
            return refusal_response(refusal)
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, event))
            response = self.response_from_result(event.wait())
        except Exception as exc:
            response = self.response_from_exception(exc)
        return response


def refusal_response(refusal: AccessRefused) -> Response:
    response = Response(json.dumps({"error": refusal.error, "detail": refusal.detail}),
                        status=refusal.status, mimetype="application/json")
    if refusal.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="disputes"'
    return response


http = SignedInHttp.decorator


class ActingPerson(DependencyProvider):
    """Gives a worker the person acting in its call (``{"subject", "role"}``), or None."""

    def get_dependency(self, worker_ctx: Any) -> dict[str, str] | None:
        return actor_of(worker_ctx)
