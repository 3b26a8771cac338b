"""Who may do what on the broker, as the contract derives it from the routing (the broker itself
enforces it: tests/integration/test_broker_permissions.py)."""

from __future__ import annotations

import re

from disputes_shared.contract.agencies import Agency, agency_of_user, broker_user
from disputes_shared.contract.envelope import decode_or_reason, encode
from disputes_shared.contract.payloads import PAYLOAD_SCHEMAS
from disputes_shared.contract.routing import (
    DOSSIERS_EXCHANGE,
    EVENTS_EXCHANGE,
    RPC_EXCHANGE,
    WORKBENCH_COMMANDS,
    broker_permissions,
    case_exchange_name,
    events_sent_by,
    queue_name,
    shard_names,
)

from ..support.examples import envelope


def topic(principal: str, exchange: str):
    (found,) = [t for t in broker_permissions(principal).topics if t.exchange == exchange]
    return found


def test_a_users_agency_is_the_last_part_of_its_name():
    assert agency_of_user(broker_user("courts", "city-a")) == Agency.COURTS
    assert agency_of_user("courts") == Agency.COURTS
    assert agency_of_user("operator") is None and agency_of_user(None) is None
    assert agency_of_user("guest") is None


def test_an_agency_may_publish_only_the_event_types_it_sends():
    mediation = re.compile(topic("mediation", EVENTS_EXCHANGE).write)
    assert mediation.match("mediation.failed.v1.all")
    assert mediation.match("handoff.requested.v1.arbitration")
    assert not mediation.match("court.ruling_entered.v1.all")
    assert not mediation.match("case.filed.v1.all")
    assert topic("trail", EVENTS_EXCHANGE).write == "^$"
    assert topic("trail", DOSSIERS_EXCHANGE).write == "^$"


def test_a_service_reads_its_own_shards_alone_and_binds_nothing():
    granted = broker_permissions("mediation")
    read = re.compile(granted.read)
    assert all(read.match(shard) for shard in shard_names(Agency.MEDIATION, 12))
    assert not read.match(queue_name(Agency.MEDIATION))  # an older release's single inbox
    assert not any(read.match(shard) for shard in shard_names(Agency.COURTS, 4))
    assert not read.match(case_exchange_name(Agency.MEDIATION))
    assert not read.match(DOSSIERS_EXCHANGE)  # binding from an exchange needs read on it
    assert not re.match(granted.configure, shard_names(Agency.MEDIATION, 1)[0])


def test_an_outside_agency_reads_its_single_inbox():
    read = re.compile(broker_permissions("labor_inspection").read)
    assert read.match(queue_name(Agency.LABOR_INSPECTION))
    assert not read.match(shard_names(Agency.LABOR_INSPECTION, 1)[0])


def test_the_operator_may_move_an_older_inbox_to_the_shards_but_read_no_inbox():
    granted = broker_permissions("operator")
    assert re.match(granted.write, case_exchange_name(Agency.TRAIL))
    assert not re.match(granted.read, shard_names(Agency.TRAIL, 1)[0])


def test_an_event_sent_by_another_agencys_user_has_a_reason_naming_both():
    sent = encode(envelope("handoff.returned", source_agency=Agency.COURTS))
    assert decode_or_reason(sent, "x.mediation") == (
        None, "source_agency is courts but the message was sent by broker user 'x.mediation' "
              "of agency mediation")
    assert decode_or_reason(sent, None)[1].endswith("names no broker user (user_id) that sent it")
    decoded, reason = decode_or_reason(sent, "x.courts")
    assert decoded is not None and reason == ""


def test_every_event_type_of_the_contract_is_some_agencys_to_send():
    """A new event type no agency may send would be refused by the broker at its first publish."""
    sendable = {t for agency in Agency for t in events_sent_by(agency)}
    assert sendable == {event_type for event_type, _ in PAYLOAD_SCHEMAS}


def test_the_portal_may_send_the_oversight_pages_trail_commands_and_no_other():
    from disputes_shared.contract.agencies import PORTAL
    from disputes_shared.contract.routing import RPC_EXCHANGE

    portal = re.compile(topic(PORTAL, RPC_EXCHANGE).write)
    for command in ("trail.trail", "trail.handoff_summary", "trail.verify", "mediation.open_cases"):
        assert portal.match(command), command
    for command in ("trail.entries", "trail.case_states", "analytics.rebuild"):
        assert not portal.match(command), command


def test_the_portal_may_send_each_agencys_workbench_commands_and_no_other_staff_command():
    sends = re.compile(topic("portal", RPC_EXCHANGE).write)
    assert set(WORKBENCH_COMMANDS) == {"mediation", "legal_aid", "arbitration", "courts_bridge"}
    for service, commands in WORKBENCH_COMMANDS.items():
        assert all(sends.match(f"{service}.{command}") for command in commands)
        assert sends.match(f"{service}.case_clocks")  # the worker's case page
        assert not sends.match(f"{service}.close") and not sends.match(f"{service}.sue")
    for other in ("mediation.answer_arbitration_offer", "courts_bridge.consult_court",
                  "intake.register_agency", "trail.entries", "legal_aid.record_award"):
        assert not sends.match(other)
