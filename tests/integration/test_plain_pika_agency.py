"""The plain-pika agency of docs/joining.md (examples/plain_pika_agency), written from the
published contract alone, against the real broker: its inbox declaration is the platform's
(either may come first), and what it answers passes conformance, the conversation included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pika
import pytest
from kombu import Connection
from pika.exceptions import ChannelClosedByBroker

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import decode
from disputes_shared.kit.broker import declare_topology
from disputes_shared.kit.conformance import Observation, check

from ..support.broker import queue_depth
from ..support.examples import dossier
from .test_kit_and_conformance import refer

BUREAU = Path(__file__).resolve().parents[2] / "examples" / "plain_pika_agency" / "bureau.py"
INBOX = "disputes.labor_inspection.inbox"


def plain(amqp_uri: str) -> str:
    """The broker's address as any AMQP client writes it (kombu's says which library)."""
    return "amqp://" + amqp_uri.split("://", 1)[1]


def run_bureau(amqp_uri: str, *args: str, seconds: float = 4.0) -> list[dict[str, str]]:
    """The bureau as its own process; what it says it published."""
    done = subprocess.run([sys.executable, str(BUREAU), "--amqp-uri", plain(amqp_uri),
                           "--seconds", str(seconds), *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_bureau_answers_a_referral_and_reports_back_passing_conformance(amqp_uri, agency_uri):
    observation = Observation(amqp_uri, Agency.LABOR_INSPECTION).start()  # declares as the platform
    try:
        handoff_id = refer(amqp_uri)
        published = run_bureau(agency_uri("labor_inspection"), "--conclude", "arrears_paid")
        messages = observation.watch(3.0, until=lambda: len(observation.messages) >= 4)
    finally:
        observation.stop()
    assert [(p["published"], p["handoff_id"]) for p in published] == [
        ("handoff.accepted", handoff_id), ("inspection.concluded", handoff_id)]
    report = check(Agency.LABOR_INSPECTION, messages)
    assert report.passed and report.sent == 2, report.render()
    conversation = next(r for r in report.rules if r.rule == "conversation")
    assert conversation.checked == 2 and not conversation.failures
    answers = [decode(m.body) for m in messages if json.loads(m.body)["source_agency"] ==
               "labor_inspection"]
    assert {a.correlation_id for a in answers} == {"corr-1"}
    assert answers[0].payload["wait_seconds"] >= 0
    assert queue_depth(amqp_uri, INBOX) == 0  # every message acked


def test_a_referral_that_is_not_wage_arrears_is_returned_with_a_reason(amqp_uri, agency_uri):
    observation = Observation(amqp_uri, Agency.LABOR_INSPECTION).start()
    try:
        from disputes_shared.contract.handoff import HandoffPurpose
        from disputes_shared.kit import EventPublisher, HandoffClient
        with EventPublisher(amqp_uri, Agency.INTAKE) as intake:
            HandoffClient(intake).request("LD-2", "corr-2", HandoffPurpose.LABOR_INSPECTION,
                                          dossier(claim_types=["work_injury"]))
        published = run_bureau(agency_uri("labor_inspection"), "--conclude", "arrears_paid")
        messages = observation.watch(3.0, until=lambda: len(observation.messages) >= 3)
    finally:
        observation.stop()
    assert [p["published"] for p in published] == ["handoff.returned"]  # and no report
    report = check(Agency.LABOR_INSPECTION, messages)
    assert report.passed, report.render()
    (returned,) = [decode(m.body) for m in messages if b'"handoff.returned"' in m.body]
    assert returned.payload["reason"].startswith("not wage arrears")


def test_the_bureaus_own_user_finds_its_inbox_but_may_not_declare_or_bind(agency_uri):
    bureau = agency_uri("labor_inspection")
    assert run_bureau(bureau, seconds=0.5) == []  # nothing referred: it found its inbox and waited
    connection = pika.BlockingConnection(pika.URLParameters(plain(bureau)))
    try:
        with pytest.raises(ChannelClosedByBroker) as refused:
            connection.channel().queue_declare(INBOX, durable=True, arguments={"x-queue-type": "quorum"})
        assert refused.value.reply_code == 403  # the platform's set-up declares, never an agency
        with pytest.raises(ChannelClosedByBroker) as refused:
            connection.channel().queue_bind(INBOX, "disputes.dossiers", routing_key="#")
        assert refused.value.reply_code == 403
    finally:
        connection.close()


def test_an_inbox_declared_without_the_contracts_arguments_is_refused(amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection)
    connection = pika.BlockingConnection(pika.URLParameters(plain(amqp_uri)))
    try:
        with pytest.raises(ChannelClosedByBroker) as refused:
            connection.channel().queue_declare(INBOX, durable=True)  # the ordinary way
        assert refused.value.reply_code == 406 and "inequivalent arg" in refused.value.reply_text
    finally:
        connection.close()
