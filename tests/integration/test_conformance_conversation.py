"""Conformance of the conversation on the real broker, with fake agency systems built on the
kit: one that reports on a referral nobody made (it passed with "0 checked" before), one that
answers a referral twice, one that reports on a referral it returned."""

from __future__ import annotations

from collections.abc import Callable

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import decode
from disputes_shared.contract.handoff import Handoff
from disputes_shared.contract.handoff_events import handoff_answer_event, handoff_from_payload
from disputes_shared.kit import EventPublisher
from disputes_shared.kit.conformance import Observation, Report, check

from ..support.broker import queue_messages
from ..support.examples import example_payloads
from .test_kit_and_conformance import refer

INSPECTION = Agency.LABOR_INSPECTION


def referral_on_the_broker(amqp_uri: str) -> tuple[Handoff, str]:
    """A referral intake made, as the bureau takes it off its inbox, and its correlation id."""
    refer(amqp_uri)
    (message,) = queue_messages(amqp_uri, "disputes.labor_inspection.inbox", 1)
    dossier = decode(message.body)
    return handoff_from_payload(dossier.case_id, dossier.payload), dossier.correlation_id


def watched(amqp_uri: str, act: Callable[[EventPublisher], None], bureau_uri: str) -> Report:
    """What the bureau, connected as its own broker user, sends while ``act`` runs, checked."""
    observation = Observation(amqp_uri, INSPECTION).start()
    try:
        with EventPublisher(bureau_uri, INSPECTION) as bureau:
            act(bureau)
        messages = observation.watch(2.0)
    finally:
        observation.stop()
    return check(INSPECTION, messages)


def conversation_failures(report: Report) -> list[str]:
    rule = next(r for r in report.rules if r.rule == "conversation")
    assert rule.checked, report.render()
    return rule.failures


def concluded(bureau: EventPublisher, handoff_id: str, case_id: str, correlation_id: str) -> str:
    event = bureau.event("inspection.concluded", case_id, correlation_id=correlation_id,
                         payload={**example_payloads()["inspection.concluded"],
                                  "handoff_id": handoff_id})
    bureau.publish(event)
    return event.event_id


def test_a_report_on_a_referral_that_does_not_exist_fails_with_the_rule_and_message_id(amqp_uri, agency_uri):
    sent: list[str] = []

    def report_out_of_nowhere(bureau: EventPublisher) -> None:
        sent.append(concluded(bureau, "no-such-handoff", "LD-1", "corr-1"))

    report = watched(amqp_uri, report_out_of_nowhere, agency_uri("labor_inspection"))
    (failure,) = conversation_failures(report)
    assert failure.startswith(f"[handoff-exists] inspection.concluded {sent[0]}")
    assert not report.passed and "RESULT: FAIL" in report.render()


def test_a_referral_answered_twice_fails_on_the_second_answer(amqp_uri, agency_uri):
    def answer_twice(bureau: EventPublisher) -> None:
        handoff, correlation_id = referral_on_the_broker(amqp_uri)
        handoff.accept(bureau.clock.now())
        for _ in range(2):  # two events (two ids) for one answer
            bureau.publish(handoff_answer_event(handoff, correlation_id))

    (failure,) = conversation_failures(watched(amqp_uri, answer_twice, agency_uri("labor_inspection")))
    assert failure.startswith("[answered-once] handoff.accepted")


def test_a_report_on_a_returned_referral_fails_and_an_accepted_one_passes(amqp_uri, agency_uri):
    def return_then_report(bureau: EventPublisher) -> None:
        handoff, correlation_id = referral_on_the_broker(amqp_uri)
        handoff.return_(bureau.clock.now(), "not wage arrears")
        bureau.publish(handoff_answer_event(handoff, correlation_id))
        concluded(bureau, handoff.handoff_id, handoff.case_id, correlation_id)

    (failure,) = conversation_failures(watched(amqp_uri, return_then_report, agency_uri("labor_inspection")))
    assert failure.startswith("[state-allows] inspection.concluded") and "returned" in failure

    def accept_then_report(bureau: EventPublisher) -> None:
        handoff, correlation_id = referral_on_the_broker(amqp_uri)
        handoff.accept(bureau.clock.now())
        bureau.publish(handoff_answer_event(handoff, correlation_id))
        concluded(bureau, handoff.handoff_id, handoff.case_id, correlation_id)

    report = watched(amqp_uri, accept_then_report, agency_uri("labor_inspection"))
    assert conversation_failures(report) == [] and report.passed, report.render()
