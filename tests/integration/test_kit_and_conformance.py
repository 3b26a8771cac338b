"""The client kit and the conformance check on the real broker, with fake agency systems: one
that keeps the contract and several that break it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope, encode
from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.routing import EVENTS_EXCHANGE
from disputes_shared.kit import EventPublisher, EventSubscriber, HandoffClient, SqliteSeenEvents
from disputes_shared.kit.conformance import Observation, Report, check

from ..support.broker import dead_letters, inbox_of, publish_as, publish_raw, queue_messages
from ..support.examples import dossier, example_payloads
from ..support.waiting import eventually

INSPECTION = Agency.LABOR_INSPECTION


def refer(amqp_uri: str) -> str:
    """Intake, as the platform does, refers a wage-arrears case to labor inspection."""
    with EventPublisher(amqp_uri, Agency.INTAKE) as intake:
        handoff = HandoffClient(intake).request(
            "LD-20260302-0000000001", "corr-1", HandoffPurpose.LABOR_INSPECTION, dossier(),
            reason="wage arrears")
    return handoff.handoff_id


class FakeInspectionBureau:
    """An outside system built on the kit; ``answers`` False makes it sit on its referrals."""

    def __init__(self, amqp_uri: str, answers: bool = True) -> None:
        self.publisher = EventPublisher(amqp_uri, INSPECTION)
        self.handoffs = HandoffClient(self.publisher)
        self.answers = answers
        self.received: list[Envelope] = []
        self.subscriber = EventSubscriber(amqp_uri, INSPECTION, self.handle)

    def handle(self, envelope: Envelope) -> None:
        self.received.append(envelope)
        if envelope.event_type != "handoff.dossier" or not self.answers:
            return
        handoff = self.handoffs.received(envelope)
        accepted = self.handoffs.accept(handoff, envelope.correlation_id, cause=envelope.event_id)
        self.publisher.publish(self.publisher.event(
            "inspection.concluded", envelope.case_id, correlation_id=envelope.correlation_id,
            causation_id=accepted.event_id, payload={
                "handoff_id": handoff.handoff_id, "finding": "arrears_paid",
                "amount_recovered": envelope.payload["dossier"]["amount_claimed"],
                "workers_paid": envelope.payload["dossier"]["worker_count"]}))

    def work(self, seconds: float = 3.0) -> None:
        self.subscriber.drain(seconds)

    def close(self) -> None:
        self.subscriber.close()
        self.publisher.close()


@pytest.fixture
def watch(amqp_uri):
    observations: list[Observation] = []

    def start() -> Observation:
        observations.append(Observation(amqp_uri, INSPECTION).start())
        return observations[-1]

    yield start
    for observation in observations:
        observation.stop()


def observed_report(observation: Observation, seconds: float = 5.0) -> Report:
    return check(INSPECTION, observation.watch(seconds), seconds)


def failed_rules(report: Report) -> set[str]:
    return {r.rule for r in report.rules if r.checked and not r.passed}


def test_a_bureau_built_on_the_kit_conforms(agency_uri, amqp_uri, watch):
    observation = watch()
    bureau = FakeInspectionBureau(agency_uri(INSPECTION))
    handoff_id = refer(agency_uri(Agency.INTAKE))
    bureau.work()
    bureau.close()
    report = observed_report(observation)
    assert report.passed, report.render()
    assert report.sent == 2 and failed_rules(report) == set()
    assert [e.event_type for e in bureau.received] == ["handoff.dossier"]
    assert bureau.received[0].payload["handoff_id"] == handoff_id


def test_a_bureau_that_never_answers_a_referral_fails_the_handoff_rule(agency_uri, amqp_uri, watch):
    observation = watch()
    bureau = FakeInspectionBureau(agency_uri(INSPECTION), answers=False)
    handoff_id = refer(agency_uri(Agency.INTAKE))
    bureau.work()
    with EventPublisher(agency_uri(INSPECTION), INSPECTION) as publisher:  # busy with other cases meanwhile
        publisher.publish(publisher.event("inspection.concluded", "LD-OTHER", correlation_id="c",
                                          payload=example_payloads()["inspection.concluded"]))
    bureau.close()
    report = observed_report(observation)
    assert not report.passed and failed_rules(report) == {"handoffs", "conversation"}
    assert f"handoff {handoff_id} (labor_inspection" in report.render()


def spoilt(**changes: Any) -> str:
    document = json.loads(encode(Envelope(
        event_type="inspection.concluded", case_id="LD-1", source_agency=INSPECTION,
        occurred_at=dossier()["filed_at"], correlation_id="c",
        payload=example_payloads()["inspection.concluded"])))
    payload_changes = changes.pop("payload", {})
    document.update(changes)
    document["payload"].update(payload_changes)
    return json.dumps(document)


@pytest.mark.parametrize(("body", "rule", "says"), [
    (spoilt(event_id="not-a-uuid"), "envelope", "event_id"),
    (spoilt(payload={"finding": "forgiven"}), "schema", "finding"),
    (spoilt(schema_version="2.0"), "version", "reads major 1"),
    ("<report>done</report>", "envelope", "not a JSON object"),
], ids=["bad envelope", "wrong schema", "unknown version", "not JSON"])
def test_a_bureau_that_breaks_the_contract_fails_saying_what_to_fix(amqp_uri, watch, body, rule,
                                                                     says):
    observation = watch()
    publish_raw(amqp_uri, EVENTS_EXCHANGE, "inspection.concluded.v1.all", body,
                message_id="m-1", app_id="labor_inspection")
    report = observed_report(observation)
    assert not report.passed and rule in failed_rules(report)
    assert says in report.render() and "RESULT: FAIL" in report.render()


def test_the_command_line_prints_the_report_and_exits_non_zero_on_failure(agency_uri, amqp_uri,
                                                                          rabbit_config,
                                                                          rabbit_manager):
    env = {**os.environ, "DISPUTES_AMQP_URI": amqp_uri}
    command = [sys.executable, "-m", "disputes_cli.main", "conformance", "--agency",
               "labor_inspection", "--seconds", "15"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as running:
        eventually(lambda: any(q["name"].startswith("disputes.conformance.labor_inspection")
                               for q in rabbit_manager.get_queues(rabbit_config["vhost"])),
                   timeout=60)
        refer(agency_uri(Agency.INTAKE))  # nobody answers it
        with EventPublisher(agency_uri(INSPECTION), INSPECTION) as publisher:
            publisher.publish(publisher.event(
                "inspection.concluded", "LD-OTHER", correlation_id="c",
                payload=example_payloads()["inspection.concluded"]))
        out, err = running.communicate(timeout=120)
    assert running.returncode == 1, err
    assert "FAIL  handoffs" in out and "PASS  schema" in out and "RESULT: FAIL" in out


# -- the kit's consumer ------------------------------------------------------------------------

def test_the_kit_consumer_handles_each_event_once_and_parks_what_it_cannot(agency_uri, amqp_uri, tmp_path):
    handled: list[str] = []

    def handle(envelope: Envelope) -> None:
        if envelope.case_id == "LD-BROKEN-HANDLER":
            raise RuntimeError("the bureau's database refused the case")
        handled.append(envelope.event_id)

    seen = SqliteSeenEvents(tmp_path / "seen.db")
    refer(agency_uri(Agency.INTAKE))
    dossier_body = queue_messages(amqp_uri, "disputes.labor_inspection.inbox", 1)[0].body
    for _ in range(2):  # delivered twice, as a redelivery after a crash would be
        publish_as(amqp_uri, "intake", "disputes.dossiers", "handoff.dossier.v1.labor_inspection",
                   dossier_body, message_id="d")
    publish_raw(amqp_uri, "disputes.dossiers", "handoff.dossier.v1.labor_inspection", b"{",
                message_id="broken")
    bad_case = json.loads(dossier_body)
    bad_case.update(case_id="LD-BROKEN-HANDLER", event_id="6d1f3a52-9c0e-4c55-9d8e-0d3f4a1c2b7e")
    publish_as(amqp_uri, "intake", "disputes.dossiers", "handoff.dossier.v1.labor_inspection",
               json.dumps(bad_case), message_id="h")
    with EventSubscriber(agency_uri(INSPECTION), INSPECTION, handle, seen=seen) as subscriber:
        counts = eventually(lambda: (c := subscriber.drain(0.5))["parked"] == 2 and c)
    assert counts == {"handled": 1, "duplicate": 1, "parked": 2}
    assert handled == [json.loads(dossier_body)["event_id"]]
    assert seen.seen("labor_inspection", handled[0])
    parked = dead_letters(amqp_uri, 2)
    reasons = sorted(m["headers"]["x-parked-reason"] for m in parked)
    assert reasons[0].startswith("RuntimeError: the bureau's database refused the case")
    assert "not JSON" in reasons[1]
    assert {m["headers"]["x-parked-by"] for m in parked} == {"labor_inspection"}


def test_the_kit_publisher_refuses_an_invalid_event_and_sends_nothing_of_the_batch(agency_uri, amqp_uri):
    payload = example_payloads()["inspection.concluded"]
    with EventPublisher(agency_uri(INSPECTION), INSPECTION) as publisher:
        first = publisher.event("inspection.concluded", "LD-1", correlation_id="c", payload=payload)
        publisher.publish(first)
        good = publisher.event("inspection.concluded", "LD-2", correlation_id="c", payload=payload)
        bad = publisher.event("inspection.concluded", "LD-3", correlation_id="c",
                              payload={**payload, "workers_paid": -1})
        with pytest.raises(ValueError, match="workers_paid"):
            publisher.publish(good, bad)
    (delivered,) = queue_messages(amqp_uri, inbox_of(Agency.TRAIL), 2, timeout=2.0)
    assert delivered.properties["message_id"] == first.event_id
    assert delivered.properties["app_id"] == "labor_inspection"
    assert delivered.delivery_info["routing_key"] == "inspection.concluded.v1.all"
