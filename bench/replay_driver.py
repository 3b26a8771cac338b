"""Agency staff driven by the platform's events instead of work lists.

The driver files claims over intake's HTTP API and acts for every agency over RPC, as the
demo's staff do (``disputes_cli.staff.Staff`` decides each act from the case's planned path),
but it never lists a desk: it learns that a case awaits an act from the events themselves, on a
queue of its own bound to the platform's exchanges as any outside system's would be, and acts
at once. Of each case it knows only what an outside system can: the events, and the case as
the agency's replies to its commands show it. A command sent before the agency has handled the
event that allows it (the driver may hear of a handoff before its addressee has the dossier) is
tried again a little later; those retries are counted.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from disputes_cli.platform import RECEIVING_SERVICES, Platform
from disputes_cli.staff import Action, Staff
from disputes_cli.synthetic import PlannedCase
from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import IllegalTransition, move_of, next_state, state_when_requested
from disputes_shared.contract.routing import DOSSIERS_EXCHANGE, EVENTS_EXCHANGE
from disputes_shared.plumbing.config import SERVICE_NAMES

# Seconds before a command refused for now is sent again; after the last, it has failed.
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 4.0)
AID_ANSWERS = frozenset({"legal_aid.granted", "legal_aid.refused"})
BODIES_KEPT = 2000


def fresh_view(case_id: str, purpose: str) -> dict[str, Any]:
    """A case as its agency shows it just after accepting its handoff: nothing done there yet."""
    state = str(next_state(state_when_requested(HandoffPurpose(purpose)),
                           move_of("handoff.accepted", purpose)))
    return {"case_id": case_id, "state": state, "purpose": purpose, "history": [],
            "sessions": 0, "award_overdue": False, "panel": None, "served": False,
            "answered": False, "answer_passed_on": False, "hearing_on": None}


@dataclass(order=True)
class Command:
    due: float
    seq: int
    action: Action = field(compare=False)
    attempt: int = field(default=0, compare=False)


@dataclass
class Phase:
    """One stretch of filing: its cases, and when each was filed and ended."""

    plans: deque[PlannedCase]
    concurrency: int | None = None  # closed loop: cases in flight
    rate: float | None = None  # open loop: cases filed per second
    filed: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)
    started: float = 0.0
    in_filing: int = 0
    filing_refused: int = 0

    @property
    def wall_seconds(self) -> float:
        last = max(self.ended.values(), default=self.started)
        return max(last - min(self.filed.values(), default=self.started), 1e-9)

    @property
    def cases_per_second(self) -> float:
        return len(self.ended) / self.wall_seconds

    @property
    def steady_cases_per_second(self) -> float:
        """Closed loop: cases ended per second while the loop was full, from the first end to
        the last filing (each end let one more claim in), so that neither the ramp up nor the
        drain counts; the whole phase's rate when that stretch holds too few ends."""
        if not self.ended:
            return 0.0
        first_end, last_filed = min(self.ended.values()), max(self.filed.values())
        inside = [t for t in self.ended.values() if first_end < t <= last_filed]
        if len(inside) < 5:
            return self.cases_per_second
        return len(inside) / (last_filed - first_end)


class ReplayDriver:
    def __init__(self, platform: Platform, seed: int = 0) -> None:
        self.platform = platform
        self.plans: dict[str, PlannedCase] = {}
        self.staff = Staff(self.plans)
        self.views: dict[tuple[str, str], dict[str, Any]] = {}  # (service, case id) -> the case there
        self.rng = random.Random(seed)
        self.commands: list[Command] = []
        self.seq = itertools.count()
        self.early: dict[str, list[dict[str, Any]]] = defaultdict(list)  # before the filing's reply
        self.closed: set[str] = set()
        self.aid_pending: set[str] = set()
        self.ended: set[str] = set()
        self.errors: list[str] = []
        self.counts: Counter[str] = Counter()
        self.bodies: list[str] = []  # a sample of the platform's messages as the broker carried them
        self.keep_bodies = False
        self.filings: list[tuple[PlannedCase, Any]] = []
        self.phase: Phase | None = None
        self._connection: Any = None

    # -- the events ----------------------------------------------------------------------------

    def subscribe(self, amqp_uri: str) -> None:
        """A queue of the driver's own on both exchanges (the dossiers only for their sizes),
        declared as the broker's administrator of ``amqp_uri``."""
        from kombu import Connection, Consumer, Exchange, Queue

        connection = Connection(amqp_uri)
        connection.ensure_connection(max_retries=3)
        channel = connection.channel()
        queue = Queue(f"bench.replay.{self.rng.getrandbits(32):08x}", exclusive=True, auto_delete=True,
                      bindings=[], channel=channel)
        queue.declare()
        for exchange in (EVENTS_EXCHANGE, DOSSIERS_EXCHANGE):
            queue.bind_to(Exchange(exchange, type="topic", passive=True), routing_key="#")
        consumer = Consumer(channel, queues=[queue], callbacks=[self._on_message], no_ack=True,
                            accept=None)
        consumer.consume()
        self._connection = connection

    def _on_message(self, body: Any, message: Any) -> None:
        raw = message.body if isinstance(message.body, str) else message.body.decode("utf-8")
        self.counts["messages"] += 1
        if self.keep_bodies:
            self._keep(raw)
        if message.delivery_info.get("exchange") == DOSSIERS_EXCHANGE:
            return
        self.on_event(json.loads(raw))

    def _keep(self, body: str) -> None:
        """Reservoir sampling: every message kept with the same chance."""
        self.counts["bodies_seen"] += 1
        if len(self.bodies) < BODIES_KEPT:
            self.bodies.append(body)
        elif (slot := self.rng.randrange(self.counts["bodies_seen"])) < BODIES_KEPT:
            self.bodies[slot] = body

    def listen(self, seconds: float) -> None:
        """Take in what arrived, waiting up to ``seconds`` for the first message."""
        try:
            self._connection.drain_events(timeout=max(seconds, 0.0005))
            while True:
                self._connection.drain_events(timeout=0.0005)
        except TimeoutError:
            return

    def on_event(self, event: dict[str, Any]) -> None:
        case_id, kind, payload = event["case_id"], event["event_type"], event["payload"]
        if case_id not in self.plans:
            if kind != "agency.changed":
                self.early[case_id].append(event)
            return
        self.counts["events"] += 1
        if kind == "handoff.requested":
            if payload["purpose"] == HandoffPurpose.LEGAL_AID:
                self.aid_pending.add(case_id)
            service = SERVICE_NAMES.get(payload["to_agency"])
            if service in RECEIVING_SERVICES:
                self.send(self.staff.answer_handoff(service, {**payload, "case_id": case_id}))
        elif kind in ("handoff.accepted", "handoff.returned"):
            if payload["purpose"] == HandoffPurpose.LEGAL_AID and kind == "handoff.returned":
                self._aid_answered(case_id)
            self._requester_moves(case_id, SERVICE_NAMES.get(payload["from_agency"], ""),
                                  move_of(kind, payload["purpose"]))
        elif kind == "consultation.convened":
            self.send(("intake", "claim", (case_id,), {}))
        elif kind in AID_ANSWERS:
            self._aid_answered(case_id)
        elif kind == "case.closed":
            self.closed.add(case_id)
            self._maybe_ended(case_id)

    def _requester_moves(self, case_id: str, service: str, move: str) -> None:
        """A handoff an agency made was answered: its case moves there, maybe to a new act."""
        view = self.views.get((service, case_id))
        if view is None:
            return
        try:
            view = {**view, "state": next_state(view["state"], move)}
        except IllegalTransition:
            return
        self.views[service, case_id] = view
        self.send(self.staff.next_step(service, view))

    def _aid_answered(self, case_id: str) -> None:
        self.aid_pending.discard(case_id)
        self._maybe_ended(case_id)

    def _maybe_ended(self, case_id: str) -> None:
        if case_id in self.closed and case_id not in self.aid_pending and case_id not in self.ended:
            self.ended.add(case_id)
            if self.phase is not None and case_id in self.phase.filed:
                self.phase.ended[case_id] = time.monotonic()

    # -- the commands ------------------------------------------------------------------------

    def send(self, action: Action | None, attempt: int = 0, delay: float = 0.0) -> None:
        if action is not None:
            heapq.heappush(self.commands, Command(time.monotonic() + delay, next(self.seq), action, attempt))

    def act(self) -> int:
        """Send every command that is due, at once; handle the replies."""
        now = time.monotonic()
        due: list[Command] = []
        while self.commands and self.commands[0].due <= now:
            due.append(heapq.heappop(self.commands))
        if not due:
            return 0
        replies = self.platform.call_many([c.action for c in due])
        for command, reply in zip(due, replies, strict=True):
            if isinstance(reply, Exception):
                self._refused(command, reply)
            else:
                self.counts["commands"] += 1
                self._replied(command.action, reply)
        return len(due)

    def _refused(self, command: Command, reply: Exception) -> None:
        if command.attempt < len(RETRY_DELAYS):
            self.counts["early_attempts"] += 1
            self.send(command.action, command.attempt + 1, RETRY_DELAYS[command.attempt])
        else:
            service, method, args, _ = command.action
            self.errors.append(f"{service}.{method}{args}: {reply}")

    def _replied(self, action: Action, reply: Any) -> None:
        service, method, args, _ = action
        if method == "accept_handoff":
            view = fresh_view(reply["case_id"], reply["purpose"])
            self.views[service, reply["case_id"]] = view
            self.send(self.staff.next_step(service, view))
        elif method == "claim":
            self.send(self.staff.hold_consultation(reply))
        elif method in ("return_handoff", "hold_consultation"):
            return
        elif isinstance(reply, dict) and "state" in reply:  # the case as the command left it
            self.views[service, reply["case_id"]] = reply
            self.send(self.staff.next_step(service, reply))

    # -- filing ------------------------------------------------------------------------------

    def _file(self, plan: PlannedCase) -> None:
        import eventlet

        def file_one() -> None:
            # The reply first: the loop swaps ``self.filings`` for a new list meanwhile.
            try:
                response: Any = self.platform.file_claim(plan.claim)
            except Exception as exc:  # reported with the phase's refused filings
                response = exc
            self.filings.append((plan, response))

        eventlet.spawn_n(file_one)

    def _take_filed(self, phase: Phase) -> None:
        filings, self.filings = self.filings, []
        for plan, response in filings:
            phase.in_filing -= 1
            if isinstance(response, Exception) or response.status_code != 201:
                phase.filing_refused += 1
                self.errors.append(f"filing refused: {getattr(response, 'text', response)}")
                continue
            case_id = response.json()["case_id"]
            self.plans[case_id] = plan
            phase.filed[case_id] = time.monotonic()
            for event in self.early.pop(case_id, []):
                self.on_event(event)

    def run(self, phase: Phase, timeout: float, clock: Callable[[], float] = time.monotonic) -> Phase:
        """File the phase's claims (closed or open loop) and act until each has ended or
        ``timeout`` seconds have passed."""
        self.phase = phase
        phase.started = clock()
        total = len(phase.plans)
        deadline = phase.started + timeout
        while clock() < deadline:
            self._take_filed(phase)
            in_flight = phase.in_filing + len(phase.filed) - len(phase.ended)
            if phase.concurrency is not None:
                while phase.plans and in_flight < phase.concurrency:
                    self._file(phase.plans.popleft())
                    phase.in_filing += 1
                    in_flight += 1
            elif phase.rate is not None:
                sent = total - len(phase.plans)
                while phase.plans and clock() >= phase.started + sent / phase.rate:
                    self._file(phase.plans.popleft())
                    phase.in_filing += 1
                    sent += 1
            if not phase.plans and phase.in_filing == 0 and len(phase.ended) + phase.filing_refused >= total:
                break
            self.listen(0.0 if self.commands else 0.002)
            self.act()
        self.phase = None
        return phase

    def outcomes(self, patience: float = 30.0) -> dict[str, Any]:
        """How every case filed ended, as the trail records it (``disputes_cli.demo.summarise``).
        The driver saw each case end; the trail, a consumer of its own, may lag a moment, so it
        is read again until every case is as planned or ``patience`` seconds have passed."""
        from disputes_cli.demo import summarise

        deadline = time.monotonic() + patience
        while True:
            states = self.platform.call("trail", "case_states", list(self.plans))
            summary = summarise(self.platform, self.plans, states, self.errors, 0.0)
            if summary["cases_as_expected"] == len(self.plans) or time.monotonic() > deadline:
                return summary
            time.sleep(0.5)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.release()
