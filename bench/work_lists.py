"""What a staff round's work lists cost on a busy desk: ``python -m bench.work_lists [--cases N]
[--rounds R]``.

Files N synthetic claims through intake's service layer (sealed as in production, with a key
file of its own), then gives every receiving agency the same N cases through its adapter, each
waiting for the agency to take it up. Times each list as its RPC method builds its reply (a unit
of work, the service-layer query, the reply encoded as JSON): every agency's ``open_cases`` and
intake's ``consultations_pending``. The baseline, in the same run on the same databases: one
``SELECT`` of every row of the same table, read and not decoded. Prints the median of R rounds
and its ratio to the baseline. A benchmark: it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kombu.utils.json import dumps
from sqlalchemy import Engine, Table, select

from disputes_cli.synthetic import planned_cases
from disputes_shared.clocks.wall import SystemClock
from disputes_shared.contract.handoff import HandoffPurpose
from disputes_shared.contract.lifecycle import state_when_requested
from disputes_shared.contract.purposes import dossier_for
from disputes_shared.plumbing.engine import make_engine
from disputes_shared.plumbing.personal_data import KeyManagement, LocalKeyFile
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork

RECEIVERS = {  # service: the purpose its cases were handed to it for, and their table
    "mediation": (HandoffPurpose.MEDIATION, "mediation_cases"),
    "legal_aid": (HandoffPurpose.LEGAL_AID, "aid_applications"),
    "arbitration": (HandoffPurpose.ARBITRATION, "arbitration_cases"),
    "courts_bridge": (HandoffPurpose.LITIGATION, "court_matters"),
}


class Desk:
    """One service's database, keys, unit of work and service layer."""

    def __init__(self, service: str, folder: Path, config: dict[str, Any]) -> None:
        import importlib

        adapters = importlib.import_module(f"{service}.adapters")
        bootstrap = importlib.import_module(f"{service}.bootstrap").bootstrap
        self.engine: Engine = make_engine(f"sqlite:///{folder / service}.db")
        adapters.metadata.create_all(self.engine)
        self.keys: KeyManagement = LocalKeyFile(folder / "keys" / f"{service}.json")
        self.uow_class: type[SqlUnitOfWork] = next(  # the one unit of work the adapters define
            v for v in vars(adapters).values() if isinstance(v, type) and issubclass(v, SqlUnitOfWork)
            and v.__module__ == adapters.__name__)
        self.tables = adapters.plumbing
        self.metadata = adapters.metadata
        self.logic = bootstrap(config)

    def unit_of_work(self) -> SqlUnitOfWork:
        return self.uow_class(self.engine, self.tables, SystemClock(), keys=self.keys)


def fill_intake(desk: Desk, cases: int, seed: int) -> list[Any]:
    """File ``cases`` synthetic claims; the claims as stored."""
    from intake.api import validate_submission

    for plan in planned_cases(cases, seed):
        with desk.unit_of_work() as uow:
            desk.logic.file_claim(uow, validate_submission(plan.claim))
            uow.commit()
    with desk.unit_of_work() as uow:
        return list(uow.claims.find())  # type: ignore[attr-defined]


def fill_receiver(desk: Desk, purpose: HandoffPurpose, claims: list[Any]) -> None:
    """Every claim's case handed to this agency, waiting to be taken up."""
    case_class = desk.logic.case_class
    state = case_class.state_enum(state_when_requested(purpose))
    with desk.unit_of_work() as uow:
        for claim in claims:
            uow.cases.add(case_class(  # type: ignore[attr-defined]
                case_id=claim.case_id, correlation_id=claim.correlation_id,
                handoff_id=str(uuid.uuid4()), purpose=str(purpose), dossier=dossier_for(purpose, claim.dossier()),
                state=state, received_at=claim.received_at))
        uow.commit()


def median_seconds(actions: list[Callable[[], Any]], rounds: int) -> list[float]:
    """Each action's median time, the actions taken in turn every round (so that a spell of
    other work on the machine weighs on each alike)."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(rounds):
        for action, taken in zip(actions, times, strict=True):
            began = time.perf_counter()
            action()
            taken.append(time.perf_counter() - began)
    return [statistics.median(taken) for taken in times]


def measure(desk: Desk, table_name: str, listing: Callable[[Any], list[dict[str, Any]]],
            rounds: int) -> dict[str, Any]:
    def the_list() -> int:
        with desk.unit_of_work() as uow:
            return len(dumps(listing(uow)))

    def baseline() -> int:
        with desk.engine.connect() as connection:
            return len(connection.execute(select(table)).all())

    table: Table = desk.metadata.tables[table_name]

    with desk.unit_of_work() as uow:
        listed = len(listing(uow))
    the_list()  # warm: compiled statements, key file read
    list_seconds, baseline_seconds = median_seconds([the_list, baseline], rounds)
    return {"listed": listed, "list_ms": round(list_seconds * 1000, 2),
            "select_ms": round(baseline_seconds * 1000, 2),
            "ratio": round(list_seconds / baseline_seconds, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.work_lists", description=__doc__)
    parser.add_argument("--cases", type=int, default=800, help="open cases on every desk (default 800)")
    parser.add_argument("--rounds", type=int, default=31, help="times each list is built (default 31)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="work-lists-") as temporary:
        folder = Path(temporary)
        intake = Desk("intake", folder, {"WORKER_REF_KEY_FILE": str(folder / "keys" / "worker-ref.key")})
        began = time.perf_counter()
        claims = fill_intake(intake, args.cases, args.seed)
        results = {"intake consultations_pending": measure(
            intake, "claims", intake.logic.consultations_pending, args.rounds)}
        for service, (purpose, table_name) in RECEIVERS.items():
            desk = Desk(service, folder, {})
            fill_receiver(desk, purpose, claims)
            results[f"{service} open_cases"] = measure(desk, table_name, desk.logic.open_cases, args.rounds)
        print(f"{args.cases} cases on every desk (filled in {time.perf_counter() - began:.1f}s); "
              f"median of {args.rounds} rounds; baseline: one SELECT of the same table's rows")
        width = max(len(name) for name in results)
        print(f"{'work list':<{width}}  {'listed':>6}  {'list ms':>8}  {'SELECT ms':>9}  {'ratio':>6}")
        for name, r in results.items():
            print(f"{name:<{width}}  {r['listed']:>6}  {r['list_ms']:>8.2f}  {r['select_ms']:>9.2f}  "
                  f"{r['ratio']:>6.1f}")
        total = sum(r["list_ms"] for r in results.values())
        baseline = sum(r["select_ms"] for r in results.values())
        print(f"{'the staff round':<{width}}  {'':>6}  {total:>8.2f}  {baseline:>9.2f}  "
              f"{total / baseline:>6.1f}")


if __name__ == "__main__":
    main()
