"""An outside agency's place on the real broker, as ``disputes agency add`` and ``remove`` make
and take it: an inbox with the platform's queue arguments and the contract's bindings, a user of
its own that reads only that inbox; removal deletes the user, and the inbox only when empty."""

from __future__ import annotations

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection

from disputes_cli.broker_setup import BrokerUnreachable, offboard, onboard, vhost_of
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.routing import AGENCY_QUEUE_ARGUMENTS

from ..support.broker import publish_raw


def inbox_exists(amqp_uri: str, name: str) -> bool:
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            channel.queue_declare(name, passive=True)
            return True
        except Exception:  # 404: the broker closes the channel
            return False


def test_an_onboarded_agency_reads_its_own_new_inbox_and_nothing_else(amqp_uri, tmp_path):
    namespace = vhost_of(amqp_uri) + "-onb"
    credentials = onboard(amqp_uri, tmp_path, Agency.TRADE_UNION, namespace)
    as_agency = credentials.uri(amqp_uri)
    try:
        assert oct(credentials.password_file.stat().st_mode & 0o777) == "0o600"
        with Connection(as_agency) as connection:
            channel = connection.channel()
            _, messages, _ = channel.queue_declare("disputes.trade_union.inbox", passive=True)
            assert messages == 0
            with pytest.raises(AccessRefused):
                connection.channel().basic_get("disputes.mediation.inbox")
        with Connection(amqp_uri) as connection:  # an equivalent declaration: the platform's arguments
            connection.channel().queue_declare("disputes.trade_union.inbox", durable=True,
                                               auto_delete=False, arguments=AGENCY_QUEUE_ARGUMENTS)
        again = onboard(amqp_uri, tmp_path, Agency.TRADE_UNION, namespace)
        assert again.password == credentials.password  # run again, the password is kept
    finally:
        gone = offboard(amqp_uri, tmp_path, Agency.TRADE_UNION, namespace)
    assert gone.inbox_kept_with == 0 and not inbox_exists(amqp_uri, "disputes.trade_union.inbox")
    assert not credentials.password_file.exists()
    with pytest.raises(AccessRefused), Connection(as_agency) as connection:
        connection.connect()  # the user is gone


def test_removing_an_agency_keeps_an_inbox_that_still_holds_messages(amqp_uri, tmp_path):
    namespace = vhost_of(amqp_uri) + "-onb"
    onboard(amqp_uri, tmp_path, Agency.LABOR_INSPECTION, namespace)
    publish_raw(amqp_uri, "", "disputes.labor_inspection.inbox", b"{}")
    gone = offboard(amqp_uri, tmp_path, Agency.LABOR_INSPECTION, namespace)
    assert gone.inbox_kept_with == 1 and inbox_exists(amqp_uri, "disputes.labor_inspection.inbox")


def test_a_broker_that_does_not_answer_is_said_so(tmp_path):
    with pytest.raises(BrokerUnreachable, match="did not answer"):
        onboard("amqp://guest:guest@127.0.0.1:1/", tmp_path, Agency.TRADE_UNION)
