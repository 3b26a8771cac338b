"""A replica of a platform service in a process of its own, to be killed with SIGKILL: it
consumes the mediation inbox (every shard) with the platform's consumer and applies each event
once (``apply_once``) on a shared database, recording the order it applied each case's events.
It answers RPC as every service does: its replicas are counted on its RPC queue.

``python -m tests.support.replica AMQP_URI DATABASE_URL [SECONDS PER EVENT]``
"""

from __future__ import annotations

if __name__ == "__main__":  # as a service process is; not when a test imports the tables
    import eventlet

    eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import eventlet  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.extensions import DependencyProvider  # noqa: E402
from sqlalchemy import Column, Integer, MetaData, String, Table, insert  # noqa: E402

from disputes_shared.clocks.wall import SystemClock  # noqa: E402
from disputes_shared.contract.agencies import Agency  # noqa: E402
from disputes_shared.contract.envelope import Envelope  # noqa: E402
from disputes_shared.plumbing.engine import make_engine  # noqa: E402
from disputes_shared.plumbing.messaging import consume_events, rpc  # noqa: E402
from disputes_shared.plumbing.tables import add_plumbing_tables  # noqa: E402
from disputes_shared.plumbing.unit_of_work import SqlUnitOfWork  # noqa: E402
from disputes_shared.ports import apply_once  # noqa: E402

metadata = MetaData()
plumbing = add_plumbing_tables(metadata, outbox=False, handoffs=False, clocks=False)
# One row per event applied, in the order applied (``ordinal``); the event's place among its
# case's events is its payload's ``reason``.
applied = Table("applied", metadata,
                Column("ordinal", Integer, primary_key=True, autoincrement=True),
                Column("case_id", String(64), nullable=False),
                Column("sequence", Integer, nullable=False),
                Column("replica", Integer, nullable=False))


class UnitsOfWork(DependencyProvider):
    def setup(self) -> None:
        self.engine = make_engine(self.container.config["DATABASE_URL"])

    def get_dependency(self, worker_ctx: Any) -> Any:
        return lambda: SqlUnitOfWork(self.engine, plumbing, SystemClock())


SECONDS_PER_EVENT = [0.005]


def record_applied(uow: Any, envelope: Envelope) -> str:
    eventlet.sleep(SECONDS_PER_EVENT[0])  # inside the transaction, holding the case: a kill lands mid-way
    uow.connection.execute(insert(applied).values(
        case_id=envelope.case_id, sequence=int(envelope.payload["reason"]), replica=os.getpid()))
    return "handled"


class Replica:
    name = "mediation"
    storage = UnitsOfWork()

    @consume_events(Agency.MEDIATION)
    def on_event(self, envelope: Envelope) -> str:
        return apply_once(self.storage, self.name, envelope, record_applied)

    @rpc
    def ping(self) -> str:
        return "pong"


def main(amqp_uri: str, database_url: str, seconds_per_event: str | None = None) -> None:
    if seconds_per_event is not None:
        SECONDS_PER_EVENT[0] = float(seconds_per_event)
    container = ServiceContainer(Replica, {
        "AMQP_URI": amqp_uri, "DATABASE_URL": database_url, "serializer": "json",
        "max_workers": 10, "EVENT_RETRY_DELAYS": [0.05, 0.1, 0.2]})
    container.start()
    container.wait()


if __name__ == "__main__":
    main(*sys.argv[1:4])
