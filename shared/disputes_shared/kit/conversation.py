"""Conformance of the conversation: does an agency answer what was asked of it, in turn?

Each message may be valid on its own and the exchange still make no sense: an answer to a
handoff nobody requested, or one requested of another agency; a handoff answered twice; an
inspection report on a referral that was never accepted. ``check_conversation`` replays what one
observation saw, in the order the broker delivered it, through the handoff's own states
(requested → accepted | returned; an accepted labor-inspection referral → concluded once) and
names the rule and the message id of every step that does not fit.

Only what was seen counts: start watching before the handoffs are requested.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..contract.envelope import Envelope
from ..contract.handoff import HandoffPurpose, HandoffStatus

ANSWERS = ("handoff.accepted", "handoff.returned")
# Reports that conclude an accepted handoff, and the purpose of the handoff they conclude.
REPORTS = {"inspection.concluded": HandoffPurpose.LABOR_INSPECTION}
# What a handoff's answer must repeat of its request.
ANSWER_REPEATS = ("from_agency", "to_agency", "purpose")

# The rules, by the name a failure starts with.
RULES = {
    "handoff-exists": "an answer or report refers to a handoff that was requested",
    "addressed-to-agency": "the handoff it answers was requested of this agency",
    "same-handoff": "an answer repeats its request's case, correlation id, agencies and purpose",
    "state-allows": "a handoff is answered while pending; a report follows an accepted referral",
    "answered-once": "a handoff is answered once, a referral reported on once",
}


@dataclass
class _Handoff:
    """A handoff as the conversation has it so far."""

    request: Envelope
    status: HandoffStatus = HandoffStatus.PENDING
    answer: Envelope | None = None
    report: Envelope | None = None


@dataclass(frozen=True)
class Breach:
    rule: str
    event: Envelope
    why: str

    def __str__(self) -> str:
        return (f"[{self.rule}] {self.event.event_type} {self.event.event_id} (case "
                f"{self.event.case_id}): {self.why}")


def check_conversation(agency: str, everyone: list[Envelope]) -> tuple[int, list[Breach]]:
    """How many of ``agency``'s answers and reports were checked, and what broke a rule.

    ``everyone`` is every valid message seen, each event once, in the order delivered."""
    handoffs: dict[str, _Handoff] = {}
    checked, breaches = 0, []
    for event in everyone:
        if event.event_type in ("handoff.requested", "handoff.dossier"):
            handoffs.setdefault(event.payload["handoff_id"], _Handoff(event))
        elif event.source_agency == agency and (event.event_type in ANSWERS
                                                or event.event_type in REPORTS):
            checked += 1
            step = _answer if event.event_type in ANSWERS else _report
            breaches += step(agency, event, handoffs.get(event.payload["handoff_id"]))
    return checked, breaches


def _answer(agency: str, event: Envelope, handoff: _Handoff | None) -> list[Breach]:
    handoff_id = event.payload["handoff_id"]
    if handoff is None:
        return [Breach("handoff-exists", event, f"answers handoff {handoff_id}, which was not "
                                                "requested while conformance watched")]
    request = handoff.request
    if request.payload["to_agency"] != agency:
        return [Breach("addressed-to-agency", event, f"answers handoff {handoff_id}, which was "
                                                     f"requested of {request.payload['to_agency']}")]
    breaches = [Breach("same-handoff", event, f"{name} is {event.payload[name]!r}; handoff "
                                              f"{handoff_id} was requested with "
                                              f"{request.payload[name]!r}")
                for name in ANSWER_REPEATS if event.payload[name] != request.payload[name]]
    breaches += _same_case(event, request)
    if handoff.answer is not None:
        breaches.append(Breach("answered-once", event, f"handoff {handoff_id} was already "
                                                       f"{handoff.status} by "
                                                       f"{handoff.answer.event_id}"))
        return breaches
    handoff.answer = event
    handoff.status = (HandoffStatus.ACCEPTED if event.event_type == "handoff.accepted"
                      else HandoffStatus.RETURNED)
    return breaches


def _same_case(event: Envelope, request: Envelope) -> list[Breach]:
    """An answer or report is about its handoff's case, and carries the case's correlation id."""
    handoff_id = request.payload["handoff_id"]
    if event.case_id != request.case_id:
        return [Breach("same-handoff", event, f"case {event.case_id} is not case "
                                              f"{request.case_id} of handoff {handoff_id}")]
    if event.correlation_id != request.correlation_id:
        return [Breach("same-handoff", event, f"correlation_id {event.correlation_id!r} is not "
                                              f"{request.correlation_id!r}, the one handoff "
                                              f"{handoff_id} was requested with")]
    return []


def _report(agency: str, event: Envelope, handoff: _Handoff | None) -> list[Breach]:
    handoff_id = event.payload["handoff_id"]
    if handoff is None:
        return [Breach("handoff-exists", event, f"reports on handoff {handoff_id}, which was not "
                                                "requested while conformance watched")]
    request = handoff.request
    purpose = REPORTS[event.event_type]
    if request.payload["to_agency"] != agency or request.payload["purpose"] != purpose:
        return [Breach("addressed-to-agency", event,
                       f"reports on handoff {handoff_id}, a {request.payload['purpose']} handoff "
                       f"to {request.payload['to_agency']}, not a {purpose} referral to {agency}")]
    if mismatch := _same_case(event, request):
        return mismatch
    if handoff.report is not None:
        return [Breach("answered-once", event, f"handoff {handoff_id} was already reported on "
                                               f"by {handoff.report.event_id}")]
    if handoff.status is not HandoffStatus.ACCEPTED:
        state = "never answered" if handoff.answer is None else str(handoff.status)
        return [Breach("state-allows", event, f"handoff {handoff_id} is {state}: only an "
                                              "accepted referral is reported on")]
    handoff.report = event
    return []
