"""A handler that fails for a passing reason is tried again with backoff; a message that keeps
failing, or fails for a lasting reason, is parked; nothing is dropped."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.plumbing.messaging import consume_events

from ..support.broker import dead_letters, parked_now, send
from ..support.waiting import eventually
from .test_dead_letters import dossier_envelope

CALLS: list[str] = []


def locked() -> OperationalError:
    return OperationalError("UPDATE mediation_cases ...", {}, Exception("database is locked"))


class FlakyMediation:
    """Stands in for the mediation service: fails as its test says, counting each attempt."""

    name = "mediation"
    failures: list[BaseException] = []

    @consume_events(Agency.MEDIATION)
    def on_event(self, envelope: Envelope) -> str:
        CALLS.append(envelope.event_id)
        if self.failures:
            raise self.failures.pop(0)
        return "handled"


@pytest.fixture
def flaky(container_factory, rabbit_config):
    CALLS.clear()

    def start(*failures: BaseException) -> None:
        FlakyMediation.failures = list(failures)
        container = container_factory(FlakyMediation, {
            **rabbit_config, "EVENT_RETRY_DELAYS": [0.05, 0.1, 0.2]})
        container.start()

    return start


def test_a_passing_failure_is_retried_until_the_handler_succeeds(flaky, amqp_uri):
    flaky(locked(), locked())
    envelope = dossier_envelope()
    send(amqp_uri, envelope)
    eventually(lambda: len(CALLS) == 3)
    assert CALLS == [envelope.event_id] * 3
    assert parked_now(amqp_uri) == []


def test_a_failure_that_does_not_pass_is_parked_after_the_last_retry(flaky, amqp_uri):
    flaky(*[locked() for _ in range(10)])
    send(amqp_uri, dossier_envelope())
    (parked,) = dead_letters(amqp_uri, 1)
    assert len(CALLS) == 4  # the first attempt and three retries
    assert "OperationalError" in parked["headers"]["x-parked-reason"]
    assert "after 4 attempts" in parked["headers"]["x-parked-reason"]


def test_a_lasting_failure_is_parked_at_once(flaky, amqp_uri):
    flaky(ValueError("dossier for another agency"))
    send(amqp_uri, dossier_envelope())
    (parked,) = dead_letters(amqp_uri, 1)
    assert len(CALLS) == 1
    assert parked["headers"]["x-parked-reason"] == "ValueError: dossier for another agency"
