"""The conversation rule of conformance: answers and reports fit the handoffs they refer to.

Fake agencies, conforming or not, as their messages would cross the broker (no broker needed).
"""

from __future__ import annotations

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import Handoff, HandoffPurpose
from disputes_shared.contract.handoff_events import handoff_answer_event
from disputes_shared.kit.conformance import Report, check

from ..support.examples import AT
from .test_conformance_rules import INSPECTION, answer, concluded, on_the_wire, referral


def conversation(report: Report) -> list[str]:
    rule = next(r for r in report.rules if r.rule == "conversation")
    assert rule.checked, report.render()
    return rule.failures


def test_a_bureau_that_accepts_then_reports_once_passes_the_conversation():
    handoff, requested = referral()
    report = check(INSPECTION, [*requested, answer(handoff), on_the_wire(concluded(handoff))])
    assert conversation(report) == [] and report.passed, report.render()


def test_a_report_on_a_handoff_that_does_not_exist_fails_naming_the_rule_and_message():
    report = check(INSPECTION, [on_the_wire(report_sent := concluded())])
    (failure,) = conversation(report)
    assert failure.startswith(f"[handoff-exists] inspection.concluded {report_sent.event_id}")
    assert not report.passed and "RESULT: FAIL" in report.render()


def test_an_answer_to_a_handoff_that_does_not_exist_fails():
    handoff, _ = referral()  # requested, but never on the broker while conformance watched
    (failure,) = conversation(check(INSPECTION, [answer(handoff)]))
    assert failure.startswith("[handoff-exists] handoff.accepted")


def test_a_report_before_the_referral_is_accepted_fails():
    handoff, requested = referral()
    report = check(INSPECTION, [*requested, on_the_wire(sent := concluded(handoff)),
                                answer(handoff)])
    (failure,) = conversation(report)
    assert failure.startswith(f"[state-allows] inspection.concluded {sent.event_id}")
    assert "never answered" in failure


def test_a_report_on_a_returned_referral_fails():
    handoff, requested = referral()
    (failure,) = conversation(check(INSPECTION, [*requested, answer(handoff, accepted=False),
                                                 on_the_wire(concluded(handoff))]))
    assert failure.startswith("[state-allows]") and "is returned" in failure


def test_a_handoff_answered_twice_fails_on_the_second_answer():
    handoff, requested = referral()
    first = answer(handoff)
    again = handoff_answer_event(handoff, "corr-1")  # a new event id for the same answer
    report = check(INSPECTION, [*requested, first, on_the_wire(again)])
    (failure,) = conversation(report)
    assert failure.startswith(f"[answered-once] handoff.accepted {again.event_id}")


def test_the_same_answer_redelivered_is_not_answering_twice():
    handoff, requested = referral()
    accepted = answer(handoff)
    assert conversation(check(INSPECTION, [*requested, accepted, accepted])) == []


def test_a_referral_reported_on_twice_fails():
    handoff, requested = referral()
    report = check(INSPECTION, [*requested, answer(handoff), on_the_wire(concluded(handoff)),
                                on_the_wire(second := concluded(handoff))])
    (failure,) = conversation(report)
    assert failure.startswith(f"[answered-once] inspection.concluded {second.event_id}")


def test_answering_a_handoff_requested_of_another_agency_fails():
    handoff = Handoff.request("LD-1", Agency.INTAKE, HandoffPurpose.MEDIATION, AT)
    requested = [on_the_wire(e) for e in _requests(handoff)]
    handoff.accept(AT)
    stolen = handoff_answer_event(handoff, "corr-1")
    forged = Envelope(**{**stolen.__dict__, "source_agency": INSPECTION,
                         "payload": {**stolen.payload, "to_agency": str(INSPECTION)}})
    (failure,) = conversation(check(INSPECTION, [*requested, on_the_wire(forged)]))
    assert failure.startswith("[addressed-to-agency]") and "requested of mediation" in failure


def test_an_answer_for_another_case_than_its_handoffs_fails():
    handoff, requested = referral()
    handoff.accept(AT)
    accepted = handoff_answer_event(handoff, "corr-1")
    elsewhere = Envelope(**{**accepted.__dict__, "case_id": "LD-2"})
    (failure,) = conversation(check(INSPECTION, [*requested, on_the_wire(elsewhere)]))
    assert failure.startswith("[same-handoff]") and "case LD-2" in failure


def _requests(handoff: Handoff) -> tuple[Envelope, Envelope]:
    from disputes_shared.contract.handoff_events import handoff_request_events

    from ..support.examples import dossier
    return handoff_request_events(handoff, "corr-1", dossier())


def test_an_answer_that_does_not_carry_its_requests_correlation_id_fails():
    handoff, requested = referral()
    handoff.accept(AT)
    (failure,) = conversation(check(INSPECTION, [*requested, on_the_wire(
        handoff_answer_event(handoff, "a-new-correlation"))]))
    assert failure.startswith("[same-handoff]") and "'a-new-correlation'" in failure
