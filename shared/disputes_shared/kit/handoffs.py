"""The handoff protocol for an outside agency system: request, receive, accept or return.

Every handoff requested must be answered by the receiving agency, by ``handoff.accepted`` or by
``handoff.returned`` with a reason; ``disputes conformance`` checks that it is.
"""

from __future__ import annotations

from typing import Any

from ..contract.envelope import Envelope
from ..contract.handoff import Handoff, HandoffPurpose
from ..contract.handoff_events import handoff_answer_event, handoff_from_payload, handoff_request_events
from .publisher import EventPublisher


class NotForThisAgency(ValueError):
    pass


class HandoffClient:
    def __init__(self, publisher: EventPublisher) -> None:
        self.publisher = publisher
        self.agency = publisher.agency

    def request(self, case_id: str, correlation_id: str, purpose: HandoffPurpose | str,
                dossier: dict[str, Any], reason: str | None = None, to_unit: str | None = None,
                cause: str | None = None) -> Handoff:
        """Hand a case to the agency that does ``purpose``: publishes the broadcast request,
        then the dossier (personal data) to that agency alone, with only the fields ``purpose``
        receives (``contract.purposes``)."""
        handoff = Handoff.request(case_id, self.agency, HandoffPurpose(purpose),
                                  self.publisher.clock.now(), reason=reason, to_unit=to_unit)
        self.publisher.publish(*handoff_request_events(handoff, correlation_id, dossier, cause))
        return handoff

    def received(self, dossier: Envelope) -> Handoff:
        """The pending handoff a ``handoff.dossier`` addressed to this agency asks it to take."""
        if dossier.event_type != "handoff.dossier":
            raise ValueError(f"a handoff arrives as handoff.dossier, not {dossier.event_type}")
        handoff = handoff_from_payload(dossier.case_id, dossier.payload)
        if handoff.to_agency != self.agency:
            raise NotForThisAgency(f"handoff {handoff.handoff_id} is for {handoff.to_agency}")
        return handoff

    def accept(self, handoff: Handoff, correlation_id: str, cause: str | None = None,
               send: bool = True) -> Envelope:
        """Accept, and announce it. ``send=False`` only builds the answer, for a system that
        records it in its own outbox first and publishes it from there (same event id)."""
        handoff.accept(self.publisher.clock.now())
        return self._answer(handoff, correlation_id, cause, send)

    def return_(self, handoff: Handoff, correlation_id: str, reason: str,
                cause: str | None = None, send: bool = True) -> Envelope:
        """Return with the reason (a handoff is never left unanswered); see ``accept``."""
        handoff.return_(self.publisher.clock.now(), reason)
        return self._answer(handoff, correlation_id, cause, send)

    def _answer(self, handoff: Handoff, correlation_id: str, cause: str | None,
                send: bool) -> Envelope:
        answer = handoff_answer_event(handoff, correlation_id, cause)
        if send:
            self.publisher.publish(answer)
        return answer
