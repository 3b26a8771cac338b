"""Every agency's service layer on its own in-memory storage (the fakes of the storage ports),
joined by a hand-written post office that delivers committed events as the broker's bindings would: no broker, no threads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from arbitration.handlers import Arbitration
from courts_bridge.handlers import CourtsBridge
from disputes_cli.staff import Staff
from disputes_cli.synthetic import PlannedCase
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import decode
from disputes_shared.contract.routing import SUBSCRIPTIONS
from disputes_shared.plumbing.handoff_desk import handoff_view
from disputes_shared.ports import apply_once
from intake.api import validate_submission
from intake.handlers import Intake, claim_view
from legal_aid.handlers import LegalAid
from mediation.handlers import Mediation
from trail.handlers import Trail

from ..support.fakes import InMemoryServiceDatabase

RECEIVING = ("mediation", "legal_aid", "arbitration", "courts_bridge")


class InProcessPlatform:
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        parts: list[tuple[str, Agency, Any]] = [
            ("intake", Agency.INTAKE, Intake()),
            ("mediation", Agency.MEDIATION, Mediation()),
            ("legal_aid", Agency.LEGAL_AID, LegalAid()),
            ("arbitration", Agency.ARBITRATION, Arbitration()),
            ("courts_bridge", Agency.COURTS, CourtsBridge()),
            ("trail", Agency.TRAIL, Trail(Ed25519PrivateKey.generate().sign)),
        ]
        self.agency = {name: agency for name, agency, _ in parts}
        self.db = {name: InMemoryServiceDatabase(name, clock) for name, _, _ in parts}
        self.logic = {name: logic for name, _, logic in parts}
        self.sent = {name: 0 for name in self.db}  # the last outbox row delivered
        self.delivered: list[tuple[str, dict[str, Any]]] = []  # (service, outbox row), in order

    def close(self) -> None:
        for db in self.db.values():
            db.close()

    # -- the post office ---------------------------------------------------------------------

    def deliver_all(self) -> int:
        """Deliver every committed event to every service bound to its routing key, until
        nothing new is committed; return how many deliveries were made."""
        deliveries = 0
        while True:
            batch = []
            for name, db in self.db.items():
                rows = [row for row in db.outbox_rows() if row["id"] > self.sent[name]]
                if rows:
                    self.sent[name] = rows[-1]["id"]
                batch += rows
            if not batch:
                return deliveries
            for row in batch:
                for name in self.db:
                    if self._bound(name, row["exchange"], row["routing_key"]):
                        logic = self.logic[name]
                        apply_once(self.db[name], name, decode(row["body"]), logic.handle)
                        self.delivered.append((name, row))
                        deliveries += 1

    def _bound(self, name: str, exchange: str, routing_key: str) -> bool:
        return any(b.exchange == exchange and b.routing_key in ("#", routing_key)
                   for b in SUBSCRIPTIONS[self.agency[name]])

    def fire_clocks(self) -> int:
        """What each receiving service's clock timer does: fire the clocks now due."""
        return sum(self.logic[name].clocks.fire_due(self.db[name], self.logic[name].on_clock_elapsed)
                   for name in RECEIVING)

    # -- the staff ----------------------------------------------------------------------------

    def play(self, plans: list[PlannedCase]) -> dict[str, PlannedCase]:
        """File each planned claim and have the simulated staff act on the cases, letting days
        pass when nobody acts, until every case is closed; the plans by case id."""
        by_case = {self.file_claim(plan.claim)["case_id"]: plan for plan in plans}
        self.deliver_all()
        staff = Staff(by_case)
        rounds = quiet_days = 0
        while not self.all_closed(by_case):
            if self.staff_round(staff):
                self.clock.advance(hours=4)
                rounds += 1
                assert rounds < 40, "the staff are still acting: a case goes round in circles"
                continue
            # Nobody acts: let days pass until a statutory clock runs out.
            self.clock.advance(days=1)
            quiet_days += 1
            assert quiet_days < 70, "cases wait on a clock that never runs out"
            self.fire_clocks()
            self.deliver_all()
        return by_case

    def staff_round(self, staff: Staff) -> int:
        actions: list[Any] = [a for c in self.call("intake", "consultations_pending")
                              if (a := staff.hold_consultation(c))]
        for service in RECEIVING:
            actions += [a for h in self.call(service, "pending_handoffs")
                        if (a := staff.answer_handoff(service, h))]
        for service in RECEIVING:
            actions += [a for c in self.call(service, "open_cases") if (a := staff.next_step(service, c))]
        for service, method, args, kwargs in actions:
            self.call(service, method, *args, **kwargs)
        self.deliver_all()
        return len(actions)

    def all_closed(self, plans: dict[str, PlannedCase]) -> bool:
        states = self.call("trail", "case_states", list(plans))
        return all(states.get(cid, {}).get("state") == "closed" for cid in plans)

    # -- what the RPC entrypoints do ----------------------------------------------------------

    def command(self, service: str, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self.db[service]() as uow:
            result = action(uow, *args, **kwargs)
            uow.commit()
        return result

    def query(self, service: str, action: Callable[..., Any], *args: Any) -> Any:
        with self.db[service]() as uow:
            return action(uow, *args)

    def file_claim(self, document: dict[str, Any]) -> dict[str, Any]:
        claim = self.command("intake", self.logic["intake"].file_claim, validate_submission(document))
        return claim_view(claim)

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        logic = self.logic[service]
        if method == "pending_handoffs":
            return [handoff_view(h) for h in self.query(service, logic.pending)]
        if method == "open_cases":
            return self.query(service, logic.open_cases, *args)
        if method == "accept_handoff":
            return self.command(service, logic.accept_handoff, *args, **kwargs)
        if method == "return_handoff":
            return self.command(service, logic.return_handoff, *args, **kwargs)
        if method == "trail":
            args = (*args, "in-process test")
        if method in ("trail", "case_states", "handoff_summary"):
            return self.query(service, getattr(logic, method), *args)
        return self.command(service, getattr(logic, method), *args, **kwargs)
