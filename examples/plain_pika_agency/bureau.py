"""A labor-inspection bureau's system joining the platform with pika alone (docs/joining.md).

Written from the published contract (docs/contract/asyncapi.yaml and the JSON Schemas beside
it), not from the platform's code: it connects as the bureau's own broker user, finds its inbox
as the document's ``inbox-labor_inspection`` channel describes it (the platform's operator set it
up when the bureau was onboarded; the bureau's user may not declare or bind anything), takes
each ``handoff.dossier`` referral, accepts wage arrears (returns anything else, with the reason)
and, told to, reports back at once with ``inspection.concluded``. Every message it publishes is
persistent, confirmed by the broker, names its sender (``user_id``, which the broker checks) and
carries the AMQP properties the contract requires.

    python bureau.py [--amqp-uri URI] [--seconds N] [--conclude FINDING]

It prints one JSON line per message it publishes. The broker is ``--amqp-uri``, else
``$DISPUTES_AMQP_URI``, else the local one; the URI's user is the bureau's own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel

AGENCY = "labor_inspection"
EVENTS = "disputes.events"
DOSSIERS = "disputes.dossiers"
DEAD_LETTERS = "disputes.dead-letters"

# From the channel ``inbox-labor_inspection``: its queue, ``x-arguments`` and ``x-bindings``.
INBOX = f"disputes.{AGENCY}.inbox"
INBOX_ARGUMENTS = {
    "x-queue-type": "quorum",
    "x-delivery-limit": 10,
    "x-dead-letter-exchange": DEAD_LETTERS,
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
}
# Dossiers of both published majors: 2 carries only what labor inspection's purpose receives
# (x-purposes), 1 comes from a sender not yet moved to 2; the bureau reads the same fields of both.
INBOX_BINDINGS = [
    (DOSSIERS, f"handoff.dossier.v1.{AGENCY}"),
    (DOSSIERS, f"handoff.dossier.v2.{AGENCY}"),
    (EVENTS, f"handoff.accepted.v1.{AGENCY}"),
    (EVENTS, f"handoff.returned.v1.{AGENCY}"),
    # Intake's erasure of a case: this example keeps nothing of a case past its run, so it only
    # acknowledges it; a system that keeps dossiers erases its copy (docs/joining.md, section 6).
    (EVENTS, "case.personal_data_erased.v1.all"),
]
# The ``x-schema-version`` of each schema this system was written against: any minor of the
# major is read by the platform.
VERSIONS = {"handoff.accepted": "1.2", "handoff.returned": "1.2", "inspection.concluded": "1.1"}
WAGE_ARREARS = "unpaid_wages"


class NotOnboarded(RuntimeError):
    """The bureau's inbox is not there: the platform has not onboarded this agency yet."""


def connect(amqp_uri: str) -> tuple[pika.BlockingConnection, BlockingChannel, str]:
    """The connection, a confirming channel, and the broker user it is: every message the
    bureau publishes names that user in ``user_id`` (the broker refuses another name)."""
    parameters = pika.URLParameters(amqp_uri)
    connection = pika.BlockingConnection(parameters)
    channel = connection.channel()
    channel.confirm_delivery()  # publish returns only once the broker has the message
    return connection, channel, parameters.credentials.username


def find_inbox(channel: BlockingChannel) -> None:
    """The inbox, looked up without declaring it (``passive``): the platform declared it with
    ``INBOX_ARGUMENTS`` and ``INBOX_BINDINGS`` when the bureau was onboarded."""
    try:
        channel.queue_declare(INBOX, passive=True)
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            raise NotOnboarded(f"no queue {INBOX}: ask the platform's operator to onboard "
                               f"{AGENCY}") from exc
        raise


def now() -> str:
    return datetime.now(UTC).isoformat()


def envelope(event_type: str, referral: dict[str, Any], payload: dict[str, Any],
             cause: str) -> dict[str, Any]:
    """An event of this bureau about the referral's case: the case's correlation id carried
    on, the message it answers named as the cause."""
    return {"event_id": str(uuid.uuid4()), "event_type": event_type,
            "schema_version": VERSIONS[event_type], "occurred_at": now(),
            "case_id": referral["case_id"], "correlation_id": referral["correlation_id"],
            "causation_id": cause, "source_agency": AGENCY, "payload": payload}


def publish(channel: BlockingChannel, event: dict[str, Any], routing_key: str, user: str) -> None:
    """Persistent, mandatory, confirmed; message_id is the event_id, user_id the bureau's broker
    user (the contract's AMQP message properties)."""
    channel.basic_publish(
        EVENTS, routing_key, json.dumps(event, ensure_ascii=False).encode("utf-8"),
        properties=pika.BasicProperties(
            delivery_mode=2, content_type="application/json", content_encoding="utf-8",
            message_id=event["event_id"], app_id=AGENCY, user_id=user),
        mandatory=True)
    print(json.dumps({"published": event["event_type"], "event_id": event["event_id"],
                      "handoff_id": event["payload"]["handoff_id"]}), flush=True)


def answer(channel: BlockingChannel, dossier_event: dict[str, Any], user: str) -> dict[str, Any]:
    """Accept a wage-arrears referral, return anything else; the answer goes back to the agency
    that asked (routing key ``…v1.<from_agency>``)."""
    handoff = dossier_event["payload"]
    requested_at = datetime.fromisoformat(handoff["requested_at"])
    answered_at = datetime.now(UTC)
    wait_seconds = max(0.0, (answered_at - requested_at).total_seconds())
    fields = {name: handoff[name] for name in ("handoff_id", "from_agency", "to_agency",
                                               "purpose", "requested_at", "to_unit")}
    if WAGE_ARREARS in handoff["dossier"]["claim_types"]:
        event_type = "handoff.accepted"
        payload = {**fields, "accepted_at": answered_at.isoformat(), "wait_seconds": wait_seconds}
    else:
        event_type = "handoff.returned"
        payload = {**fields, "returned_at": answered_at.isoformat(), "wait_seconds": wait_seconds,
                   "reason": "not wage arrears: labor inspection takes unpaid-wage complaints"}
    event = envelope(event_type, dossier_event, payload, cause=dossier_event["event_id"])
    publish(channel, event, f"{event_type}.v1.{handoff['from_agency']}", user)
    return event


def conclude(channel: BlockingChannel, dossier_event: dict[str, Any], accepted: dict[str, Any],
             finding: str, user: str) -> dict[str, Any]:
    """Report on an accepted referral (``inspection.concluded``, broadcast to ``…v1.all``)."""
    dossier = dossier_event["payload"]["dossier"]
    paid = finding == "arrears_paid"
    event = envelope("inspection.concluded", dossier_event, {
        "handoff_id": dossier_event["payload"]["handoff_id"], "finding": finding,
        "amount_recovered": dossier["amount_claimed"] if paid else "0",
        "workers_paid": dossier["worker_count"] if paid else 0, "note": None},
        cause=accepted["event_id"])
    publish(channel, event, "inspection.concluded.v1.all", user)
    return event


def park(channel: BlockingChannel, body: bytes, method: Any, properties: Any, reason: str,
         user: str) -> None:
    """What this system cannot handle goes to the dead letters, body unchanged, with why."""
    channel.basic_publish(DEAD_LETTERS, "", body, properties=pika.BasicProperties(
        delivery_mode=2, content_type=properties.content_type or "application/octet-stream",
        user_id=user,
        message_id=properties.message_id or str(uuid.uuid4()),
        headers={"x-parked-reason": reason, "x-parked-by": AGENCY, "x-parked-at": now(),
                 "x-original-exchange": method.exchange,
                 "x-original-routing-key": method.routing_key}))


def run(amqp_uri: str, seconds: float, conclude_with: str | None) -> int:
    """Take referrals for ``seconds``; each message is acked only once its answer is confirmed,
    and an event already handled (a redelivery: the same event_id) is acked and skipped."""
    connection, channel, user = connect(amqp_uri)
    try:
        find_inbox(channel)
    except NotOnboarded as exc:
        connection.close()
        print(exc, file=sys.stderr)
        return 2
    channel.basic_qos(prefetch_count=10)
    handled: set[str] = set()  # a real system keeps these in its database, with its effects
    deadline = time.monotonic() + seconds
    try:
        for method, properties, body in channel.consume(INBOX, inactivity_timeout=0.5):
            if time.monotonic() > deadline:
                break
            if method is None:
                continue
            try:
                event = json.loads(body)
                event_type, event_id = event["event_type"], event["event_id"]
            except (ValueError, KeyError, TypeError) as exc:
                park(channel, body, method, properties, f"not an envelope: {type(exc).__name__}", user)
            else:
                if event_type == "handoff.dossier" and event_id not in handled:
                    given = answer(channel, event, user)
                    if conclude_with and given["event_type"] == "handoff.accepted":
                        conclude(channel, event, given, conclude_with, user)
                handled.add(event_id)
            channel.basic_ack(method.delivery_tag)
    finally:
        channel.cancel()
        connection.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--amqp-uri", default=os.environ.get(
        "DISPUTES_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--conclude", choices=["arrears_paid", "order_issued", "no_violation",
                                               "referred_to_police"],
                        help="report on each accepted referral at once, with this finding")
    args = parser.parse_args(argv)
    return run(args.amqp_uri, args.seconds, args.conclude)


if __name__ == "__main__":
    sys.exit(main())
