"""Exchanges, routing keys and who listens to what: part of the contract.

Routing key: ``<event_type>.v<major>.<addressee>``, e.g. ``case.filed.v1.all`` or
``handoff.accepted.v1.intake``. The addressee is the agency a message is meant for, or ``all``
for a broadcast. Lifecycle events (no personal data) go to the ``disputes.events`` topic
exchange; a handoff's dossier (personal data) goes to ``disputes.dossiers`` and only the
receiving agency's queue is bound to it for that agency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .agencies import OPERATOR, PORTAL, Agency, broker_user
from .envelope import Envelope, majors_of
from .payloads import PAYLOAD_SCHEMAS

EVENTS_EXCHANGE = "disputes.events"
DOSSIERS_EXCHANGE = "disputes.dossiers"
DEAD_LETTER_EXCHANGE = "disputes.dead-letters"
# A stream (see ``kit.broker``); releases before it parked into a quorum queue named like the
# exchange, which an operator drains and deletes once (see the operations notes).
DEAD_LETTER_QUEUE = "disputes.parked"
BROADCAST = "all"

# How often the broker hands a message out before it gives up on it. A consumer that crashes
# or loses its connection holding a message has it redelivered; the tenth time it is poison.
# Stated explicitly because RabbitMQ 4 defaults quorum queues to 20 and then drops the message
# unless a dead-letter exchange is set: ours is, with at-least-once dead-lettering (which needs
# ``reject-publish`` overflow; no length limit is set, so the overflow never applies). Every
# declarer must use these arguments: the broker refuses a declaration that differs.
DELIVERY_LIMIT = 10
# How many times a quorum queue handed a message out before without it being settled: absent
# on the first delivery, DELIVERY_LIMIT on the last one before the broker dead-letters it.
DELIVERY_COUNT_HEADER = "x-delivery-count"
# From this count on, a consumer parks a message carrying personal data itself, sealed, before
# handling it: the broker would park it at the limit as it was sent. One below the last
# delivery, so that a parking that fails (the message handed back) still has one more.
PARK_SEALED_AT_DELIVERY_COUNT = DELIVERY_LIMIT - 1


def near_delivery_limit(headers: dict[str, Any] | None) -> int | None:
    """The message's delivery count when it is at or past ``PARK_SEALED_AT_DELIVERY_COUNT``."""
    count = (headers or {}).get(DELIVERY_COUNT_HEADER)
    if isinstance(count, int) and not isinstance(count, bool) and count >= PARK_SEALED_AT_DELIVERY_COUNT:
        return count
    return None


AGENCY_QUEUE_ARGUMENTS = {
    "x-queue-type": "quorum",
    "x-delivery-limit": DELIVERY_LIMIT,
    "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
}
# The same as a policy, for a queue an older release declared without them (the broker refuses
# to change a queue's arguments): ``rabbitmqctl set_policy --apply-to queues disputes-inboxes
# '^disputes\..+\.inbox$' '<this as JSON>'``.
AGENCY_QUEUE_POLICY = {key.removeprefix("x-"): value for key, value in AGENCY_QUEUE_ARGUMENTS.items()
                       if key != "x-queue-type"}
# Parked messages live on a stream: reading one is not a delivery, so listing them neither
# counts toward a limit nor takes them off; what has been replayed is recorded beside them.
PARKING_QUEUE_ARGUMENTS = {"x-queue-type": "stream"}

# Event types sent to one agency: the payload field naming it. Every other type is broadcast.
ADDRESSED_BY: dict[str, str] = {
    "handoff.requested": "to_agency",
    "handoff.dossier": "to_agency",
    "handoff.accepted": "from_agency",  # the answer goes back to the requester
    "handoff.returned": "from_agency",
}
# Event types not on the lifecycle exchange: personal data travels on its own.
EXCHANGE_OF: dict[str, str] = {"handoff.dossier": DOSSIERS_EXCHANGE}


def addressee(envelope: Envelope) -> str:
    field = ADDRESSED_BY.get(envelope.event_type)
    return str(envelope.payload[field]) if field else BROADCAST


def exchange_of(event_type: str) -> str:
    return EXCHANGE_OF.get(event_type, EVENTS_EXCHANGE)


def routing_key(event_type: str, major: int, to: str) -> str:
    return f"{event_type}.v{major}.{to}"


def route(envelope: Envelope) -> tuple[str, str]:
    """The exchange and routing key an envelope is published with."""
    return (exchange_of(envelope.event_type),
            routing_key(envelope.event_type, envelope.major, addressee(envelope)))


def queue_name(agency: Agency) -> str:
    """An agency's single inbox: an outside agency's (one process, one queue), and the one a
    platform service consumed before its inbox was sharded (see ``shard_names``)."""
    return f"disputes.{agency}.inbox"


# -- the platform's own inboxes, sharded by case ---------------------------------------------------
#
# A platform service runs as several replicas. Its inbox is several quorum queues (shards), each
# with a single active consumer, fed by a consistent-hash exchange on the case id: all events of
# a case go to one shard, and one replica at a time takes a shard, so a case's events are applied
# in publish order whichever replica is up, and the replicas share the cases. The topic exchanges
# route to the hash exchange as they routed to the single queue, so publishers change nothing.
CASE_ID_HEADER = "x-case-id"  # set by every publisher of the platform and the kit
# Set by the platform's relays: the event's outbox row number, which orders a case's events as
# the relay sends them (one at a time per case, in that order). Consumers check it per
# (publisher, case); a message without it is applied unchecked.
CASE_SEQUENCE_HEADER = "x-case-sequence"
# How often an operator sent a parked message back (``disputes dead-letters replay``): such a
# message comes after its case's later events by design, and is not checked for order.
REPLAYS_HEADER = "x-replays"
DEFAULT_SHARDS = 4
SHARD_QUEUE_ARGUMENTS = {**AGENCY_QUEUE_ARGUMENTS, "x-single-active-consumer": True}
CASE_EXCHANGE_ARGUMENTS = {"hash-header": CASE_ID_HEADER}
# A shard's weight on the hash exchange (the binding's routing key): all equal.
SHARD_WEIGHT = "1"


def case_headers(case_id: str, sequence: int | None = None) -> dict[str, str | int]:
    """The headers an event is published with: its case, which the hash exchanges shard on, and
    where a relay sends it, its place among the case's events."""
    if sequence is None:
        return {CASE_ID_HEADER: case_id}
    return {CASE_ID_HEADER: case_id, CASE_SEQUENCE_HEADER: sequence}


def case_sequence_of(headers: Any) -> int | None:
    """The ``x-case-sequence`` a message carries, if a usable one (a count, not a bool)."""
    sequence = (headers or {}).get(CASE_SEQUENCE_HEADER)
    if isinstance(sequence, int) and not isinstance(sequence, bool) and 0 < sequence < 2 ** 63:
        return sequence
    return None


def is_sharded(agency: Agency) -> bool:
    """The platform's own services consume shards; an outside agency keeps its single inbox."""
    return agency in SERVICE_NAMES


def case_exchange_name(agency: Agency) -> str:
    return f"disputes.{agency}.by-case"


def is_case_exchange(exchange: str) -> bool:
    return exchange.startswith("disputes.") and exchange.endswith(".by-case")


def shard_names(agency: Agency, shards: int) -> list[str]:
    return [f"disputes.{agency}.inbox.{number}" for number in range(shards)]


def inbox_queues(agency: Agency, shards: int) -> list[str]:
    """The queues an agency's consumer takes its events from."""
    return shard_names(agency, shards) if is_sharded(agency) else [queue_name(agency)]


@dataclass(frozen=True)
class Binding:
    exchange: str
    routing_key: str


# Intake's erasure of a case's personal data is also the request every agency holding the
# case's dossier acts on (``case.personal_data_erased``).
ERASURE_REQUEST = Binding(EVENTS_EXCHANGE, "case.personal_data_erased.v1.all")


def _handoff_desk(agency: Agency) -> list[Binding]:
    """An agency that receives handoffs and answers them, and also hands cases on. Its inbox
    is bound to the dossier of every published major: a sender of an older one is read
    (upcast) while partners may still send it (docs/contract.md, "Moving to a new major")."""
    return [
        *(Binding(DOSSIERS_EXCHANGE, routing_key("handoff.dossier", major, agency))
          for major in majors_of("handoff.dossier")),
        Binding(EVENTS_EXCHANGE, f"handoff.accepted.v1.{agency}"),
        Binding(EVENTS_EXCHANGE, f"handoff.returned.v1.{agency}"),
    ]


SUBSCRIPTIONS: dict[Agency, list[Binding]] = {
    Agency.INTAKE: [
        Binding(EVENTS_EXCHANGE, "handoff.accepted.v1.intake"),
        Binding(EVENTS_EXCHANGE, "handoff.returned.v1.intake"),
        Binding(EVENTS_EXCHANGE, "case.closed.v1.all"),
    ],
    Agency.MEDIATION: [*_handoff_desk(Agency.MEDIATION), ERASURE_REQUEST],
    Agency.LEGAL_AID: [
        *_handoff_desk(Agency.LEGAL_AID), ERASURE_REQUEST,
        # Representation follows the case: the aid centre learns where the case goes next.
        Binding(EVENTS_EXCHANGE, "handoff.requested.v1.arbitration"),
        Binding(EVENTS_EXCHANGE, "handoff.requested.v1.courts"),
        Binding(EVENTS_EXCHANGE, "case.closed.v1.all"),
    ],
    Agency.ARBITRATION: [*_handoff_desk(Agency.ARBITRATION), ERASURE_REQUEST],
    Agency.COURTS: [*_handoff_desk(Agency.COURTS), ERASURE_REQUEST],
    Agency.LABOR_INSPECTION: [*_handoff_desk(Agency.LABOR_INSPECTION), ERASURE_REQUEST],
    Agency.TRAIL: [Binding(EVENTS_EXCHANGE, "#")],
    # Every lifecycle event, never a dossier: the figures across cases hold no personal data.
    Agency.ANALYTICS: [Binding(EVENTS_EXCHANGE, "#")],
}


# -- who may do what on the broker ----------------------------------------------------------------
#
# Every agency's system, the staff command line and the worker portal connect as a broker user
# of their own (``agencies.broker_user``), and RabbitMQ itself enforces what each may do: the
# permissions below are derived from the routing above, so they cannot drift from it.

# nameko's RPC: requests go to this topic exchange with ``<service>.<method>``; each service
# consumes ``rpc-<service>`` bound with ``<service>.*``; a caller's replies come back on the
# same exchange with its reply queue's id (a UUID) as routing key, to ``rpc.reply-<caller>-<id>``.
RPC_EXCHANGE = "nameko-rpc"
SERVICE_NAMES = {  # nameko service name of each agency's service in the platform
    Agency.INTAKE: "intake",
    Agency.MEDIATION: "mediation",
    Agency.LEGAL_AID: "legal_aid",
    Agency.ARBITRATION: "arbitration",
    Agency.COURTS: "courts_bridge",
    Agency.TRAIL: "trail",
    Agency.ANALYTICS: "analytics",
}
# The staff workbench in the portal: each agency's desk (its queue and answers to handoffs) and
# the commands of its staff's actions on a case. Each call carries the signed-in person's own
# token and the service checks that person's role; the broker lets the portal send these
# commands and no others.
_DESK_COMMANDS = ("pending_handoffs", "open_cases", "running_clocks", "case_clocks", "accept_handoff",
                  "return_handoff")
WORKBENCH_COMMANDS: dict[str, tuple[str, ...]] = {
    SERVICE_NAMES[Agency.MEDIATION]: (
        *_DESK_COMMANDS, "record_session", "record_agreement", "record_failure", "record_payment",
        "pursue_unpaid_agreement"),
    SERVICE_NAMES[Agency.LEGAL_AID]: (*_DESK_COMMANDS, "decide"),
    SERVICE_NAMES[Agency.ARBITRATION]: (
        *_DESK_COMMANDS, "serve_respondent", "record_answer", "pass_on_answer", "name_panel",
        "schedule_hearing", "extend_award_period", "record_award", "record_award_performed",
        "apply_to_set_aside", "refer_to_court"),
    SERVICE_NAMES[Agency.COURTS]: (
        *_DESK_COMMANDS, "enter_ruling", "issue_payment_order", "record_objection",
        "record_compliance", "start_enforcement", "conclude_enforcement"),
}

# The operator's and auditor's pages in the portal, as the signed-in person: the bottleneck view
# of ``disputes handoffs``, a case's trail and the trail's verification.
OVERSIGHT_COMMANDS: dict[str, tuple[str, ...]] = {
    SERVICE_NAMES[Agency.TRAIL]: ("handoff_summary", "verify"),
}


def _portal_calls() -> dict[str, str]:
    # The worker's case page: the trail, and the statutory clocks running at each agency.
    calls = {SERVICE_NAMES[Agency.TRAIL]: ("trail",),
             **{SERVICE_NAMES[agency]: ("case_clocks",) for agency in (
                 Agency.MEDIATION, Agency.LEGAL_AID, Agency.ARBITRATION, Agency.COURTS)}}
    for service, commands in (*WORKBENCH_COMMANDS.items(), *OVERSIGHT_COMMANDS.items()):
        calls[service] = tuple(dict.fromkeys((*calls.get(service, ()), *commands)))  # each once
    return {service: f"({'|'.join(commands)})" if len(commands) > 1 else commands[0]
            for service, commands in calls.items()}


# The RPC commands each caller that is not a service may send, by service.
RPC_CALLS: dict[str, dict[str, str]] = {
    OPERATOR: {service: "[a-z_]+" for service in SERVICE_NAMES.values()},
    PORTAL: _portal_calls(),
}
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# Event types an agency announces besides those of the handoffs, clocks and closing that every
# agency holding cases sends (by type or by the family before the dot).
OWN_EVENTS: dict[Agency, tuple[str, ...]] = {
    Agency.INTAKE: ("case.filed", "case.triaged", "case.evidence_received", "consultation",
                    "agency",  # agency: the registry
                    "case.personal_data_erased", "case.evidence_deleted"),
    Agency.MEDIATION: ("mediation",),
    Agency.LEGAL_AID: ("legal_aid",),
    Agency.ARBITRATION: ("arbitration",),
    Agency.COURTS: ("court",),
    Agency.LABOR_INSPECTION: ("inspection", "case.personal_data_erased"),
    Agency.TRAIL: (),  # the trail records; it announces nothing
    Agency.ANALYTICS: ("warning",),  # announces early warnings; holds no case
    # Outside systems with a source_agency but nothing to announce until they are onboarded.
    Agency.TRADE_UNION: (),
    Agency.HOTLINE_12345: (),
}
HOLD_NO_CASES = frozenset({Agency.TRAIL, Agency.ANALYTICS})
CASE_HOLDER_EVENTS = ("handoff.requested", "handoff.dossier", "handoff.accepted",
                      "handoff.returned", "clock", "case.closed", "personal_data.read",
                      "case.personal_data_erased")


def events_sent_by(agency: Agency) -> list[str]:
    """The event types an agency may publish."""
    holds_cases = bool(OWN_EVENTS[agency]) and agency not in HOLD_NO_CASES
    families = (*OWN_EVENTS[agency], *(CASE_HOLDER_EVENTS if holds_cases else ()))
    return sorted({event_type for event_type, _ in PAYLOAD_SCHEMAS
                   if event_type in families or event_type.split(".", 1)[0] in families})


@dataclass(frozen=True)
class TopicPermission:
    """On a topic exchange: the routing keys a user may publish, and bind its queues with."""

    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class BrokerPermissions:
    """RabbitMQ's permissions of one user in the platform's vhost: regular expressions of the
    exchanges and queues it may declare or delete (configure), publish to or bind a queue to
    (write: queues bound, exchanges published to), consume from or bind from (read), and per
    topic exchange the routing keys it may use. A regex of ``^$`` allows nothing."""

    user: str
    configure: str
    write: str
    read: str
    topics: tuple[TopicPermission, ...] = field(default=())
    # Only the operator: replays a parked message under the user that first sent it.
    tags: tuple[str, ...] = field(default=())


def _any_of(names: list[str]) -> str:
    return "^(" + "|".join(sorted(set(names))) + ")$" if names else "^$"


def broker_permissions(principal: str, namespace: str = "") -> BrokerPermissions:
    """What ``principal``'s broker user may do in the platform's vhost: an agency publishes only
    the event types it sends (to any addressee; dossiers only on the dossiers exchange), parks
    what it cannot handle, and consumes its own queue alone; it binds nothing (so it can never
    read another agency's dossiers, nor bind ``#`` anywhere). A platform service also answers
    RPC commands on its own queue; the operator and the portal call the commands listed in
    ``RPC_CALLS`` and read their replies. Only the set-up (an administrator) declares and binds
    the platform's exchanges and queues."""
    user = broker_user(principal, namespace)
    esc = re.escape
    configure: list[str] = []
    write: list[str] = []
    read: list[str] = []
    topics: list[TopicPermission] = []
    tags: tuple[str, ...] = ()
    rpc_write: list[str] = []
    rpc_read: list[str] = []
    service = None
    if principal in RPC_CALLS:  # a caller of RPC commands with a reply queue of its own
        reply_queue = esc(f"rpc.reply-{principal}-") + _UUID
        configure.append(reply_queue)
        write.append(reply_queue)
        read.append(reply_queue)
        rpc_write += [f"{esc(svc)}\\.{methods}" for svc, methods in RPC_CALLS[principal].items()]
        rpc_read.append(_UUID)
    else:
        agency = Agency(principal)
        # The set-up declares and binds every queue: an agency consumes its own and binds none,
        # so it cannot bind a queue to the dossiers exchange at all.
        # Its shards, however many a deployment has (a platform service), or its one inbox.
        read.append(esc(f"{queue_name(agency)}.") + "[0-9]+" if is_sharded(agency)
                    else esc(queue_name(agency)))
        write.append(esc(DEAD_LETTER_EXCHANGE))  # parks what it cannot handle
        by_exchange: dict[str, list[str]] = {EVENTS_EXCHANGE: [], DOSSIERS_EXCHANGE: []}
        for event_type in events_sent_by(agency):
            by_exchange[exchange_of(event_type)].append(esc(event_type))
        for exchange, types in by_exchange.items():
            if types:
                write.append(esc(exchange))
            topics.append(TopicPermission(
                exchange, write=f"^({'|'.join(types)})\\.v[0-9]+\\.[a-z_]+$" if types else "^$",
                read="^$"))
        service = SERVICE_NAMES.get(agency)
        if service:  # answers RPC commands on its own queue, replying to whoever asked
            rpc_queue = esc(f"rpc-{service}")
            configure.append(rpc_queue)
            write.append(rpc_queue)
            read.append(rpc_queue)
            rpc_write.append(_UUID)
            rpc_read.append(f"{esc(service)}\\.\\*")
    if rpc_write or rpc_read:
        # nameko declares the exchange at every start, which needs configure on it.
        configure.append(esc(RPC_EXCHANGE))
        write.append(esc(RPC_EXCHANGE))
        read.append(esc(RPC_EXCHANGE))
        topics.append(TopicPermission(RPC_EXCHANGE, write=_any_of(rpc_write), read=_any_of(rpc_read)))
    if principal == OPERATOR:
        # Reads the parking stream, records on it what was replayed (through the default
        # exchange), and sends a parked message back where it first went, as its first sender;
        # moves what an older release's single inbox held to the service's shards.
        read.append(esc(DEAD_LETTER_QUEUE))
        write += [esc("amq.default"), esc(EVENTS_EXCHANGE), esc(DOSSIERS_EXCHANGE),
                  *(esc(case_exchange_name(agency)) for agency in SERVICE_NAMES)]
        topics += [TopicPermission(EVENTS_EXCHANGE, write=".*", read="^$"),
                   TopicPermission(DOSSIERS_EXCHANGE, write=".*", read="^$")]
        tags = ("impersonator",)
    return BrokerPermissions(user, _any_of(configure), _any_of(write), _any_of(read),
                             tuple(topics), tags)
