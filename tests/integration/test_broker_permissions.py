"""Least privilege on the broker, enforced by RabbitMQ itself: each agency's user tries what it
must not do and is refused; an event sent in another agency's name is parked naming both.

Every test's vhost is set up as the platform's broker is (``tests/integration/conftest.py``):
the topology, and a user per agency, the operator and the portal, with the permissions of
``contract.routing.broker_permissions``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection
from sqlalchemy import select

from disputes_shared.clocks.wall import SystemClock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope, encode
from disputes_shared.contract.routing import (
    DEAD_LETTER_QUEUE,
    DOSSIERS_EXCHANGE,
    route,
)
from disputes_shared.kit import EventPublisher, EventSubscriber
from disputes_shared.kit.broker import ConfirmedPublisher, Forbidden
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.messaging import CallerRpcProxy
from disputes_shared.plumbing.metrics import PlatformMetrics
from disputes_shared.plumbing.outbox import SqlOutbox
from disputes_shared.plumbing.relay import OutboxRelay
from disputes_shared.plumbing.runner import service_schema
from mediation import adapters
from mediation.adapters import metadata
from mediation.service import MediationService

from ..support.broker import dead_letters, inbox_depth, inbox_of, parked_now, queue_messages
from ..support.examples import delivered, dossier_envelope, envelope
from ..support.signin import staff_rpc
from ..support.waiting import eventually

Uri = Callable[[str], str]


def accepted_by_mediation() -> Envelope:
    """Mediation accepts intake's handoff: ``handoff.accepted.v1.intake``."""
    return envelope("handoff.accepted", source_agency=Agency.MEDIATION)


def user_of(uri: str) -> str:
    return str(Connection(uri).userid)


def test_an_agency_publishes_its_own_events_and_the_addressee_takes_them(agency_uri: Uri):
    with EventPublisher(agency_uri("mediation"), Agency.MEDIATION) as mediation:
        mediation.publish(accepted_by_mediation())
    taken: list[Envelope] = []
    with EventSubscriber(agency_uri("intake"), Agency.INTAKE, taken.append) as intake:
        assert eventually(lambda: intake.drain(0.5)["handled"] == 1)
    assert [e.event_type for e in taken] == ["handoff.accepted"]
    assert intake.counts["parked"] == 0


def test_an_agency_cannot_publish_an_event_type_another_agency_sends(agency_uri: Uri, amqp_uri):
    ruling = envelope("court.ruling_entered", source_agency=Agency.COURTS)
    exchange, routing_key = route(ruling)
    publisher = ConfirmedPublisher(agency_uri("mediation"))
    with pytest.raises(Forbidden, match="court.ruling_entered.v1.all' in exchange 'disputes.events'"):
        publisher.publish(encode(ruling), exchange, routing_key, message_id=ruling.event_id)
    publisher.close()
    assert inbox_depth(amqp_uri, Agency.TRAIL) == 0  # the trail got nothing


def test_an_agency_that_hands_no_case_on_cannot_send_a_dossier(agency_uri: Uri, amqp_uri):
    dossier = dossier_envelope()
    publisher = ConfirmedPublisher(agency_uri("trail"))
    with pytest.raises(Forbidden, match="ACCESS_REFUSED .*disputes.dossiers"):
        publisher.publish(encode(dossier), DOSSIERS_EXCHANGE, "handoff.dossier.v1.mediation",
                          message_id=dossier.event_id)
    publisher.close()
    assert inbox_depth(amqp_uri, Agency.MEDIATION) == 0


@pytest.mark.parametrize("queue", [*inbox_of(Agency.COURTS)[:1], *inbox_of(Agency.INTAKE)[-1:],
                                   DEAD_LETTER_QUEUE])
def test_an_agency_cannot_read_another_agencys_queue_nor_the_parked_messages(agency_uri: Uri, queue):
    with Connection(agency_uri("mediation")) as connection, pytest.raises(AccessRefused, match=queue):
        connection.channel().basic_get(queue)
    with Connection(agency_uri("mediation")) as connection, pytest.raises(AccessRefused, match=queue):
        connection.channel().basic_consume(queue, callback=lambda message: None)


@pytest.mark.parametrize("agency", ["mediation", "trail", "labor_inspection"])
def test_no_agency_can_bind_a_queue_to_the_dossiers_exchange(agency_uri: Uri, agency):
    own = inbox_of(Agency(agency))[0]
    with Connection(agency_uri(agency)) as connection, pytest.raises(AccessRefused):
        connection.channel().queue_bind(own, DOSSIERS_EXCHANGE, "#")
    # nor a queue of its own making
    with Connection(agency_uri(agency)) as connection, pytest.raises(AccessRefused):
        connection.channel().queue_declare(f"{agency}.eavesdrop", exclusive=True)


def test_an_agency_cannot_publish_as_another_agencys_user(agency_uri: Uri, amqp_uri):
    accepted = accepted_by_mediation()
    exchange, routing_key = route(accepted)
    publisher = ConfirmedPublisher(agency_uri("mediation"))
    with pytest.raises(Forbidden, match="PRECONDITION_FAILED .*user_id property"):
        publisher.publish(encode(accepted), exchange, routing_key, message_id=accepted.event_id,
                          user_id=user_of(agency_uri("intake")))
    publisher.close()
    assert inbox_depth(amqp_uri, Agency.INTAKE) == 0


def test_an_event_in_another_agencys_name_is_parked_naming_both(agency_uri: Uri, amqp_uri):
    """Mediation may send ``handoff.returned`` but not in the courts' name: the broker lets it
    through (routing keys do not name the sender) and intake's consumer parks it."""
    forged = envelope("handoff.returned", source_agency=Agency.COURTS)
    with EventPublisher(agency_uri("mediation"), Agency.COURTS) as publisher:
        publisher._broker.publish(encode(forged), *route(forged), message_id=forged.event_id)
    taken: list[Envelope] = []
    with EventSubscriber(agency_uri("intake"), Agency.INTAKE, taken.append) as intake:
        assert eventually(lambda: intake.drain(0.5)["parked"] == 1)
    assert taken == []
    (parked,) = dead_letters(amqp_uri, 1)
    reason = parked["headers"]["x-parked-reason"]
    assert reason == (f"source_agency is courts but the message was sent by broker user "
                      f"{user_of(agency_uri('mediation'))!r} of agency mediation")
    assert parked["headers"]["x-original-user-id"] == user_of(agency_uri("mediation"))


@pytest.fixture
def mediation(start_service):
    return start_service(MediationService, metadata)


def pending(config) -> list:
    with staff_rpc(config) as rpc:
        return rpc.mediation.pending_handoffs()


def test_a_dossier_intake_sends_in_arbitrations_name_is_parked_and_opens_no_case(
        mediation, agency_uri: Uri, amqp_uri):
    forged = dossier_envelope(from_agency="arbitration", to_unit="people-wuhou")
    with Connection(agency_uri("intake")) as connection:  # intake may send dossiers, as intake
        connection.Producer().publish(
            encode(forged), exchange=DOSSIERS_EXCHANGE, routing_key=route(forged)[1],
            content_type="application/json", message_id=forged.event_id,
            user_id=user_of(agency_uri("intake")))
    (parked,) = dead_letters(amqp_uri, 1)
    assert parked["headers"]["x-parked-by"] == "mediation"
    assert "source_agency is arbitration" in parked["headers"]["x-parked-reason"]
    assert "of agency intake" in parked["headers"]["x-parked-reason"]
    assert pending(mediation) == []
    # The genuine dossier, sent by intake as intake, is taken in.
    genuine = dossier_envelope(to_unit="people-wuhou", case_id="LD-20260302-0000000002")
    with EventPublisher(agency_uri("intake"), Agency.INTAKE) as publisher:
        publisher.publish(genuine)
    assert [h["case_id"] for h in eventually(lambda: pending(mediation))] == [genuine.case_id]
    assert len(parked_now(amqp_uri)) == 1


@pytest.mark.parametrize("command", ["arbitration.close", "mediation.close",
                                     "mediation.answer_arbitration_offer"])
def test_the_portal_may_send_no_staff_command_beyond_the_workbenchs(mediation, agency_uri: Uri,
                                                                     command: str):
    """The workbenches' commands go out with each person's own token; any other staff
    command is refused by the broker before a service sees it."""
    portal = CallerRpcProxy({"AMQP_URI": agency_uri("portal"), "serializer": "json"}, "portal",
                            timeout=10)
    service, method = command.split(".")
    with portal as rpc, pytest.raises(AccessRefused, match=f"{command}' in exchange 'nameko-rpc'"):
        getattr(getattr(rpc, service), method)("LD-20260302-0000000001")
    assert pending(mediation) == []  # the operator may


def test_an_event_its_agency_may_not_send_is_parked_in_the_outbox_and_the_rest_flow(
        fresh_database, agency_uri: Uri, amqp_uri):
    """A service that commits an event of another agency's type (a bug) finds it refused by the
    broker: the relay parks that one with the broker's reason and publishes the others."""
    url = fresh_database("mediation")
    service_schema(MediationService, metadata).upgrade(url)
    engine = make_engine(url)
    table = adapters.plumbing.outbox
    forbidden = delivered(envelope("court.ruling_entered", case_id="LD-20260302-0000000001",
                                   source_agency=Agency.MEDIATION))
    allowed = delivered(envelope("mediation.failed", case_id="LD-20260302-0000000002",
                                 source_agency=Agency.MEDIATION))
    clock = SystemClock()
    with engine.begin() as connection:
        SqlOutbox(connection, table).add([forbidden, allowed], clock.now())
    publisher = ConfirmedPublisher(agency_uri("mediation"))
    relay = OutboxRelay(engine, table, publisher, PlatformMetrics("mediation"), clock)
    try:
        assert relay.flush() == 1
        with engine.connect() as connection:
            rows = {row.event_id: row for row in connection.execute(select(table))}
    finally:
        publisher.close()
        engine.dispose()
    assert rows[allowed.event_id].published_at is not None
    assert rows[forbidden.event_id].published_at is None
    assert "ACCESS_REFUSED" in rows[forbidden.event_id].last_error
    (published,) = queue_messages(amqp_uri, inbox_of(Agency.TRAIL), 1)
    assert published.properties["message_id"] == allowed.event_id
    assert published.properties["user_id"] == user_of(agency_uri("mediation"))
