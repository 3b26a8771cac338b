"""The conformance rules on messages as they would cross the broker (no broker needed)."""

from __future__ import annotations

import json
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope, encode
from disputes_shared.contract.handoff import Handoff, HandoffPurpose
from disputes_shared.contract.handoff_events import handoff_answer_event, handoff_request_events
from disputes_shared.contract.routing import route
from disputes_shared.kit.conformance import Observed, check

from ..support.examples import AT, dossier, envelope

INSPECTION = Agency.LABOR_INSPECTION


def on_the_wire(sent: Envelope | dict[str, Any], exchange: str | None = None,
                routing_key: str | None = None, **properties: Any) -> Observed:
    """A message as a well-behaved publisher sends it, unless told otherwise."""
    if isinstance(sent, Envelope):
        body = encode(sent)
        default_exchange, default_key = route(sent)
        event_id, sender = sent.event_id, str(sent.source_agency)
    else:
        body = json.dumps(sent)
        default_exchange, default_key = "disputes.events", "x.v1.all"
        event_id, sender = sent.get("event_id"), sent.get("source_agency")
    return Observed(body=body.encode(), exchange=exchange or default_exchange,
                    routing_key=routing_key or default_key,
                    properties={"delivery_mode": 2, "content_type": "application/json",
                                "message_id": event_id, "app_id": None, "user_id": sender,
                                **properties})


def referral() -> tuple[Handoff, list[Observed]]:
    handoff = Handoff.request("LD-1", Agency.INTAKE, HandoffPurpose.LABOR_INSPECTION, AT,
                              reason="wage arrears")
    return handoff, [on_the_wire(e) for e in handoff_request_events(handoff, "corr-1", dossier())]


def answer(handoff: Handoff, accepted: bool = True) -> Observed:

    if accepted:
        handoff.accept(AT)
    else:
        handoff.return_(AT, "not wage arrears")
    return on_the_wire(handoff_answer_event(handoff, "corr-1"))


def concluded(handoff: Handoff | None = None) -> Envelope:
    """The bureau's report, on ``handoff`` (else on a handoff id nobody requested)."""
    sent = envelope("inspection.concluded", source_agency=INSPECTION)
    if handoff is None:
        return sent
    return Envelope(**{**sent.__dict__, "case_id": handoff.case_id,
                       "payload": {**sent.payload, "handoff_id": handoff.handoff_id}})


def rules(report: Any) -> dict[str, bool]:
    return {r.rule: r.passed for r in report.rules if r.checked}


def test_an_agency_that_answers_its_referral_and_reports_back_passes():
    handoff, requested = referral()
    report = check(INSPECTION, [*requested, answer(handoff), on_the_wire(concluded(handoff))])
    assert report.passed, report.render()
    assert report.sent == 2 and "RESULT: PASS" in report.render()


def test_a_return_with_a_reason_is_an_answer_too():
    handoff, requested = referral()
    assert check(INSPECTION, [*requested, answer(handoff, accepted=False)]).passed


def test_a_handoff_never_answered_fails_naming_it():
    handoff, requested = referral()
    report = check(INSPECTION, [*requested, on_the_wire(concluded())])
    assert not report.passed and rules(report)["handoffs"] is False
    (failure,) = next(r for r in report.rules if r.rule == "handoffs").failures
    assert handoff.handoff_id in failure and "never accepted or returned" in failure


def test_an_answer_to_someone_elses_handoff_fails():
    handoff = Handoff.request("LD-1", Agency.INTAKE, HandoffPurpose.MEDIATION, AT)
    handoff.accept(AT)

    stolen = handoff_answer_event(handoff, "corr-1")
    forged = Envelope(**{**stolen.__dict__, "source_agency": INSPECTION})
    report = check(INSPECTION, [on_the_wire(forged)])
    assert "which is for mediation, not labor_inspection" in report.render()


def test_its_own_requests_still_unanswered_are_noted_not_failed():
    handoff = Handoff.request("LD-1", INSPECTION, HandoffPurpose.ARBITRATION, AT)
    report = check(INSPECTION, [on_the_wire(e) for e in
                                handoff_request_events(handoff, "corr-1", dossier())])
    assert report.passed, report.render()
    assert f"· handoff {handoff.handoff_id} to arbitration is not answered yet" in report.render()


def test_a_request_without_its_dossier_fails():
    handoff = Handoff.request("LD-1", INSPECTION, HandoffPurpose.ARBITRATION, AT)
    requested, _ = handoff_request_events(handoff, "corr-1", dossier())
    report = check(INSPECTION, [on_the_wire(requested)])
    assert "sent without its handoff.dossier" in report.render() and not report.passed


def test_a_bad_envelope_fails_the_envelope_rule_saying_which_field():
    document = json.loads(encode(concluded()))
    del document["correlation_id"]
    report = check(INSPECTION, [on_the_wire(document)])
    assert rules(report) == {"envelope": False, "delivery": True, "sender": True}
    assert "correlation_id" in report.render() and not report.passed


def test_a_body_that_is_not_json_is_still_charged_to_its_sender_by_app_id():
    garbage = Observed(body=b"<xml/>", exchange="disputes.events", routing_key="x",
                       properties={"delivery_mode": 2, "content_type": "application/json",
                                   "message_id": "m", "app_id": "labor_inspection"})
    report = check(INSPECTION, [garbage])
    assert report.sent == 1 and "not a JSON object" in report.render()


def test_a_payload_off_its_schema_fails_the_schema_rule():
    document = json.loads(encode(concluded()))
    document["payload"]["finding"] = "all good"
    report = check(INSPECTION, [on_the_wire(document)])
    assert rules(report)["schema"] is False and "finding" in report.render()


def test_an_unknown_major_version_fails_the_version_rule():
    document = json.loads(encode(concluded()))
    document["schema_version"] = "2.0"
    report = check(INSPECTION, [on_the_wire(document)])
    assert rules(report)["version"] is False and "reads major 1" in report.render()


def test_a_routing_key_named_after_a_class_fails_the_routing_rule():
    report = check(INSPECTION, [on_the_wire(concluded(), routing_key="InspectionConcluded")])
    assert rules(report)["routing"] is False
    assert "'inspection.concluded.v1.all'" in report.render()


def test_a_transient_message_fails_the_delivery_rule():
    report = check(INSPECTION, [on_the_wire(concluded(), delivery_mode=1)])
    assert rules(report)["delivery"] is False and "not persistent" in report.render()


def test_other_agencies_messages_are_not_charged_to_the_one_checked():
    report = check(INSPECTION, [on_the_wire(envelope("case.closed", source_agency=Agency.COURTS))])
    assert report.sent == 0 and not report.passed
    assert "nothing was sent by labor_inspection" in report.render()


def test_an_event_sent_again_is_checked_once_and_an_id_reused_for_another_event_fails():
    handoff, requested = referral()
    accepted = answer(handoff)
    first = concluded(handoff)
    report = check(INSPECTION, [*requested, accepted, on_the_wire(first), on_the_wire(first)])
    assert report.passed and report.sent == 2, report.render()
    assert "1 event(s) sent again with the same id" in report.render()
    other = Envelope(**{**concluded().__dict__, "event_id": first.event_id, "case_id": "LD-2"})
    report = check(INSPECTION, [on_the_wire(first), on_the_wire(other)])
    assert not report.passed and "event_id already used for a different event" in report.render()


def test_an_event_sent_as_the_agencys_own_broker_user_passes_the_sender_rule():
    namespaced = on_the_wire(concluded(), user_id="city-a.labor_inspection")
    report = check(INSPECTION, [namespaced])
    assert rules(report)["sender"] is True


def test_an_event_without_a_user_id_fails_the_sender_rule():
    report = check(INSPECTION, [on_the_wire(concluded(), user_id=None)])
    (sender,) = [r for r in report.rules if r.rule == "sender"]
    assert not sender.passed and "no user_id" in sender.failures[0]
    assert not report.passed


def test_an_event_sent_as_another_agencys_user_fails_the_sender_rule_naming_both():
    report = check(INSPECTION, [on_the_wire(concluded(), user_id="mediation")])
    (sender,) = [r for r in report.rules if r.rule == "sender"]
    assert not sender.passed
    assert "'mediation', of agency mediation, not of labor_inspection" in sender.failures[0]


def test_an_event_sent_as_a_user_of_no_agency_fails_the_sender_rule():
    report = check(INSPECTION, [on_the_wire(concluded(), user_id="guest")])
    (sender,) = [r for r in report.rules if r.rule == "sender"]
    assert "of no agency" in sender.failures[0]
