"""Conformance: does an agency system publish what the contract says, the way it says?

``disputes conformance --agency NAME`` (or ``python -m disputes_shared.kit.conformance``) binds a
temporary queue to both exchanges, watches for a while, keeps the messages that agency sent
(by ``source_agency``, or the AMQP ``app_id`` of a message too broken to say) and the handoffs
addressed to it, and checks every rule below, among them that each was sent as a broker user of
that agency (``user_id``). It binds ``#`` on both exchanges, so it needs an administrator's
credentials: the platform's operators run it, not the partner. The report says, per rule, what passed and what a
partner team must fix.

Dossiers carry personal data: those of other agencies are dropped unread, and the report never
quotes a payload.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kombu import Connection, Consumer, Queue, binding
from kombu.message import Message
from marshmallow import ValidationError

from ..contract.agencies import Agency, agency_of_user
from ..contract.envelope import Envelope, EnvelopeSchema, PoisonMessage, decode, payload_schema
from ..contract.routing import DOSSIERS_EXCHANGE, EVENTS_EXCHANGE, route
from .broker import EXCHANGES, amqp_uri, declare_topology
from .conversation import check_conversation

ANSWERS = ("handoff.accepted", "handoff.returned")


@dataclass(frozen=True)
class Observed:
    """One message as it crossed the broker."""

    body: bytes
    exchange: str
    routing_key: str
    properties: dict[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any] | None:
        try:
            document = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None
        return document if isinstance(document, dict) else None

    def label(self) -> str:
        document = self.json() or {}
        return (f"{document.get('event_type', '?')} {document.get('event_id', '?')} "
                f"(routing key {self.routing_key!r})")


@dataclass
class RuleResult:
    rule: str
    what: str
    checked: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not the agency's fault

    @property
    def passed(self) -> bool:
        return self.checked > 0 and not self.failures

    def fail(self, message: str) -> None:
        self.failures.append(message)


@dataclass
class Report:
    agency: str
    seconds: float
    sent: int
    rules: list[RuleResult]

    @property
    def passed(self) -> bool:
        return self.sent > 0 and all(r.passed or r.checked == 0 for r in self.rules)

    def as_dict(self) -> dict[str, Any]:
        return {"agency": self.agency, "seconds": self.seconds, "messages": self.sent,
                "passed": self.passed,
                "rules": [{"rule": r.rule, "what": r.what, "checked": r.checked,
                           "passed": r.passed, "failures": r.failures, "notes": r.notes}
                          for r in self.rules]}

    def render(self) -> str:
        lines = [f"Conformance of {self.agency}: {self.sent} messages sent in {self.seconds:g}s"]
        for r in self.rules:
            mark = "PASS" if r.passed else ("----" if r.checked == 0 else "FAIL")
            lines.append(f"  {mark}  {r.rule:<17} {r.what} ({r.checked} checked)")
            lines += [f"          - {failure}" for failure in r.failures[:20]]
            if len(r.failures) > 20:
                lines.append(f"          … and {len(r.failures) - 20} more")
            lines += [f"          · {note}" for note in r.notes]
        if self.sent == 0:
            lines.append(f"  FAIL  nothing was sent by {self.agency}: exercise the system while "
                         "this runs")
        lines.append("RESULT: " + ("PASS" if self.passed else "FAIL"))
        return "\n".join(lines)


def _is_from(agency: str, message: Observed) -> bool:
    document = message.json()
    if document is not None and "source_agency" in document:
        return document["source_agency"] == agency
    return message.properties.get("app_id") == agency


def check(agency: Agency | str, messages: list[Observed], seconds: float = 0.0) -> Report:
    """Every rule, over the messages seen in one observation."""
    agency = str(Agency(agency))
    delivery = RuleResult("delivery", "persistent, JSON, message_id = event_id, one event per id")
    sent = _first_of_each_event([m for m in messages if _is_from(agency, m)], delivery)
    envelope = RuleResult("envelope", "JSON envelope with every field valid")
    version = RuleResult("version", "an event type and major version of the contract")
    schema = RuleResult("schema", "payload valid against its schema")
    routing = RuleResult("routing", "exchange and routing key as the contract gives them")
    handoffs = RuleResult("handoffs", "every handoff answered by accept or return; requests "
                                      "followed by their dossier")
    conversation = RuleResult("conversation", "answers and reports to handoffs requested of "
                                              "it, in a state that allows them, each once")
    valid: list[Envelope] = []
    for message in sent:
        _check_message(message, envelope, version, schema, routing, delivery, valid)
    _check_handoffs(agency, messages, valid, handoffs)
    _check_conversation(agency, messages, conversation)
    sender = RuleResult("sender", "sent as the agency's own broker user (AMQP user_id)")
    for message in sent:
        _check_sender(agency, message, sender)
    return Report(agency=agency, seconds=seconds, sent=len(sent),
                  rules=[envelope, version, schema, routing, delivery, handoffs, conversation, sender])


def _check_sender(agency: str, message: Observed, result: RuleResult) -> None:
    """Consumers park an event whose ``user_id`` (checked by the broker against the publishing
    connection's user) is not a user of its ``source_agency``."""
    result.checked += 1
    user_id = message.properties.get("user_id")
    owner = agency_of_user(user_id)
    if not user_id:
        result.fail(f"{message.label()}: no user_id; publish with the user_id of the "
                    f"{agency} broker user you connect as")
    elif owner != agency:
        result.fail(f"{message.label()}: sent by broker user {user_id!r}, of "
                    f"{'agency ' + str(owner) if owner else 'no agency'}, not of {agency}")


def _first_of_each_event(sent: list[Observed], delivery: RuleResult) -> list[Observed]:
    """At-least-once: the same event sent again (same id, same body) is allowed and checked
    once; an event id reused for a different body is a fault."""
    first: dict[str, Observed] = {}
    kept, again = [], 0
    for message in sent:
        event_id = (message.json() or {}).get("event_id")
        if not isinstance(event_id, str):
            kept.append(message)
        elif event_id not in first:
            first[event_id] = message
            kept.append(message)
        elif message.body == first[event_id].body:
            again += 1
        else:
            delivery.fail(f"{message.label()}: event_id already used for a different event")
    if again:
        delivery.notes.append(f"{again} event(s) sent again with the same id (allowed: "
                              "consumers drop duplicates)")
    return kept


def _check_message(message: Observed, envelope: RuleResult, version: RuleResult,
                   schema: RuleResult, routing: RuleResult, delivery: RuleResult,
                   valid: list[Envelope]) -> None:
    label = message.label()
    delivery.checked += 1
    properties = message.properties
    if properties.get("delivery_mode") != 2:
        delivery.fail(f"{label}: not persistent (delivery_mode 2)")
    if properties.get("content_type") != "application/json":
        delivery.fail(f"{label}: content_type is {properties.get('content_type')!r}, "
                      "not 'application/json'")
    document = message.json()
    envelope.checked += 1
    if document is None:
        envelope.fail(f"{label}: the body is not a JSON object")
        return
    if properties.get("message_id") != document.get("event_id"):
        delivery.fail(f"{label}: message_id {properties.get('message_id')!r} is not the event_id")
    try:
        head = EnvelopeSchema().load(document)
    except ValidationError as exc:
        envelope.fail(f"{label}: invalid envelope: {_fields(exc.messages)}")
        return
    version.checked += 1
    major = int(head["schema_version"].split(".")[0])
    try:
        payload_schema(head["event_type"], major)
    except PoisonMessage as exc:
        version.fail(f"{label}: {exc}")
        return
    schema.checked += 1
    try:
        decoded = decode(document)
    except PoisonMessage as exc:
        schema.fail(f"{label}: {exc}")
        return
    valid.append(decoded)
    routing.checked += 1
    expected = route(decoded)
    if (message.exchange, message.routing_key) != expected:
        routing.fail(f"{label}: sent to {message.exchange!r} with {message.routing_key!r}; the "
                     f"contract says {expected[0]!r} with {expected[1]!r}")


def _fields(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{name}: {_fields(value)}" for name, value in messages.items())
    if isinstance(messages, list):
        return ", ".join(str(m) for m in messages)
    return str(messages)


def _check_handoffs(agency: str, messages: list[Observed], own: list[Envelope],
                    result: RuleResult) -> None:
    """Handoffs to the agency (requested by anyone) must be answered by it; handoffs it asks
    for must come with their dossier; its answers must be to handoffs addressed to it."""
    everyone = []
    for message in messages:
        try:
            everyone.append(decode(message.body))
        except PoisonMessage:
            continue
    requested = {e.payload["handoff_id"]: e for e in everyone if e.event_type == "handoff.requested"}
    dossiers = {e.payload["handoff_id"] for e in everyone if e.event_type == "handoff.dossier"}
    answered = {e.payload["handoff_id"]: e for e in own if e.event_type in ANSWERS}
    answers_to_it = {e.payload["handoff_id"] for e in everyone if e.event_type in ANSWERS}
    for handoff_id, request in requested.items():
        if request.payload["to_agency"] == agency:
            result.checked += 1
            if handoff_id not in answered:
                result.fail(f"handoff {handoff_id} ({request.payload['purpose']}, case "
                            f"{request.case_id}) was requested of {agency} and never accepted "
                            "or returned")
        if request.source_agency == agency:
            result.checked += 1
            if handoff_id not in dossiers:
                result.fail(f"handoff {handoff_id}: handoff.requested was sent without its "
                            "handoff.dossier")
            if handoff_id not in answers_to_it:
                result.notes.append(f"handoff {handoff_id} to {request.payload['to_agency']} is "
                                    "not answered yet (theirs to answer)")
    for handoff_id, answer in answered.items():
        result.checked += 1
        if answer.payload["to_agency"] != agency:
            result.fail(f"{answer.event_type} {answer.event_id}: answers handoff {handoff_id}, "
                        f"which is for {answer.payload['to_agency']}, not {agency}")
        elif handoff_id in requested and answer.case_id != requested[handoff_id].case_id:
            result.fail(f"{answer.event_type} {answer.event_id}: case {answer.case_id} is not "
                        f"the case of handoff {handoff_id}")


def _check_conversation(agency: str, messages: list[Observed], result: RuleResult) -> None:
    """The exchange as a whole (``conversation``): every valid event once, in delivery order."""
    seen: dict[str, Envelope] = {}
    for message in messages:
        try:
            event = decode(message.body)
        except PoisonMessage:
            continue
        seen.setdefault(event.event_id, event)
    result.checked, breaches = check_conversation(agency, list(seen.values()))
    result.failures += [str(breach) for breach in breaches]


class Observation:
    """A temporary queue bound to everything on both exchanges, from ``start`` until ``stop``.

    The queue is exclusive and auto-deleted: it vanishes with the connection and takes no
    message away from any agency's own queue.
    """

    def __init__(self, amqp_uri: str, agency: Agency | str) -> None:
        self.amqp_uri = amqp_uri
        self.agency = str(Agency(agency))
        self.messages: list[Observed] = []
        self._connection: Connection | None = None

    def start(self) -> Observation:
        connection = Connection(self.amqp_uri)
        connection.ensure_connection(max_retries=3)
        declare_topology(connection)
        queue = Queue(
            f"disputes.conformance.{self.agency}.{os.getpid()}.{time.monotonic_ns()}",
            bindings=[binding(EXCHANGES[EVENTS_EXCHANGE], routing_key="#"),
                      binding(EXCHANGES[DOSSIERS_EXCHANGE], routing_key="#")],
            exclusive=True, auto_delete=True, durable=False)
        consumer = Consumer(connection.default_channel, queues=[queue],
                            on_message=self._keep, no_ack=True)
        consumer.consume()
        self._connection = connection
        return self

    def _keep(self, message: Message) -> None:
        delivery = message.delivery_info or {}
        observed = Observed(
            body=message.body if isinstance(message.body, bytes) else message.body.encode(),
            exchange=delivery.get("exchange", ""), routing_key=delivery.get("routing_key", ""),
            properties={key: message.properties.get(key)
                        for key in ("delivery_mode", "content_type", "message_id", "app_id",
                                    "user_id")})
        if observed.exchange == DOSSIERS_EXCHANGE and not self._concerns_agency(observed):
            return  # another agency's dossier: personal data this check has no business keeping
        self.messages.append(observed)

    def _concerns_agency(self, message: Observed) -> bool:
        document = message.json() or {}
        payload = document.get("payload") if isinstance(document.get("payload"), dict) else {}
        return self.agency in (document.get("source_agency"), message.properties.get("app_id"),
                               (payload or {}).get("to_agency"))

    def watch(self, seconds: float, until: Callable[[], bool] | None = None) -> list[Observed]:
        """Collect for ``seconds`` (or until ``until()`` is true); everything seen so far."""
        assert self._connection is not None, "start() first"
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and not (until and until()):
            try:
                self._connection.drain_events(timeout=min(left, 0.5))
            except TimeoutError:
                continue
        return list(self.messages)

    def stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.release()


def run(amqp_uri: str, agency: Agency | str, seconds: float) -> Report:
    observation = Observation(amqp_uri, agency).start()
    try:
        messages = observation.watch(seconds)
    finally:
        observation.stop()
    return check(agency, messages, seconds)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agency", required=True, choices=[str(a) for a in Agency],
                        help="the agency whose system is checked")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="how long to watch the broker (default 60)")
    parser.add_argument("--amqp-uri", default=None,
                        help="broker to watch (default $DISPUTES_AMQP_URI or the local one)")
    parser.add_argument("--json", action="store_true", help="the report as JSON")


def command(args: argparse.Namespace) -> int:
    report = run(args.amqp_uri or amqp_uri(), args.agency, args.seconds)
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if args.json
          else report.render())
    return 0 if report.passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m disputes_shared.kit.conformance",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    return command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
