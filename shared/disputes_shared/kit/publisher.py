"""Publishing contract events as one agency."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ..clocks.wall import Clock, SystemClock
from ..contract.agencies import Agency
from ..contract.envelope import Envelope, encode
from ..contract.routing import case_headers, route
from .broker import ConfirmedPublisher


class EventPublisher:
    """Publishes events of one agency: the payload validated against its schema (``ValueError``
    saying what is wrong, nothing sent), routed as the contract says, persistent and mandatory,
    returning only once the broker confirmed (``Unroutable`` if no queue is bound for it)."""

    def __init__(self, amqp_uri: str, agency: Agency | str, clock: Clock | None = None) -> None:
        self.agency = Agency(agency)
        self.clock = clock or SystemClock()
        self._broker = ConfirmedPublisher(amqp_uri)

    def event(self, event_type: str, case_id: str, payload: dict[str, Any], correlation_id: str,
              causation_id: str | None = None) -> Envelope:
        """A new event of this agency, in the current version of its type, stamped now."""
        return Envelope(event_type=event_type, case_id=case_id, source_agency=self.agency,
                        occurred_at=self.clock.now(), payload=payload,
                        correlation_id=correlation_id, causation_id=causation_id)

    def publish(self, *envelopes: Envelope) -> None:
        """Publish in order; every envelope is validated before the first is sent."""
        for envelope in envelopes:
            if envelope.source_agency != self.agency:
                raise ValueError(f"{self.agency} cannot publish an event of {envelope.source_agency}")
        ready = [(envelope, encode(envelope), *route(envelope)) for envelope in envelopes]
        for envelope, body, exchange, routing_key in ready:
            self._broker.publish(body, exchange, routing_key, message_id=envelope.event_id,
                                 headers=case_headers(envelope.case_id), app_id=str(self.agency))

    def close(self) -> None:
        self._broker.close()

    def __enter__(self) -> EventPublisher:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
