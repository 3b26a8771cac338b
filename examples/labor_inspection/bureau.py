"""A labor-inspection bureau's case system (劳动保障监察), outside the platform.

It uses nothing of the platform but the client kit (``pip install disputes-shared``) and the
broker: it takes the wage-arrears referrals intake hands it, accepts them (or returns what is
not wage arrears, with the reason), and reports back with ``inspection.concluded`` once an
inspector has dealt with the employer. When intake announces a case's personal data erased
(``case.personal_data_erased``: the retention period ran out, or the worker asked), the bureau
erases what it holds of the case and announces its own erasure with the same ``request_id``.
Its own records are a SQLite file; every event it sends goes through an outbox in that file,
so an answer is never lost and never sent with two ids.

    python bureau.py --database bureau.db run [--seconds N]
    python bureau.py --database bureau.db list [--json]
    python bureau.py --database bureau.db conclude HANDOFF_ID --finding arrears_paid \\
        --amount 3200 --workers-paid 1 [--note TEXT]

The broker is ``--amqp-uri`` or ``$DISPUTES_AMQP_URI`` (default: the local one), as the bureau's
own broker user: ``$DISPUTES_AMQP_USERNAME`` (``labor_inspection``) with its password in
``$DISPUTES_AMQP_PASSWORD`` or the file ``$DISPUTES_AMQP_PASSWORD_FILE`` that the platform's
operators hand over once they have onboarded the bureau (``disputes agency add labor_inspection``,
which also starts intake's referrals to it). That user may consume the bureau's queue alone and send only the bureau's
events; the platform's consumers park anything sent in the bureau's name by another user.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope, decode, encode
from disputes_shared.contract.vocabularies import INSPECTION_FINDINGS
from disputes_shared.kit import EventPublisher, EventSubscriber, HandoffClient, SqliteSeenEvents
from disputes_shared.kit.broker import amqp_uri

log = logging.getLogger("labor_inspection")

BUREAU = Agency.LABOR_INSPECTION
WAGE_ARREARS = "unpaid_wages"
ERASURE = "case.personal_data_erased"
ERASED = "erased"  # in place of a value erased

SCHEMA = """
CREATE TABLE IF NOT EXISTS referrals (
    handoff_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, correlation_id TEXT NOT NULL,
    employer TEXT NOT NULL, amount_claimed TEXT NOT NULL, workers INTEGER NOT NULL,
    status TEXT NOT NULL, received_at TEXT NOT NULL, last_event_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0
);
"""


class UnknownReferral(LookupError):
    pass


class InspectionBureau:
    def __init__(self, broker: str, database: Path) -> None:
        self.db = sqlite3.connect(str(database), check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.publisher = EventPublisher(broker, BUREAU)
        self.handoffs = HandoffClient(self.publisher)
        self.subscriber = EventSubscriber(broker, BUREAU, self.handle,
                                          seen=SqliteSeenEvents(database))

    # -- what arrives -------------------------------------------------------------------------

    def handle(self, envelope: Envelope) -> None:
        if envelope.event_type == ERASURE:
            self.erase(envelope)
            return
        if envelope.event_type != "handoff.dossier":
            return  # the bureau hands nothing on itself, so no answers come back to it
        handoff = self.handoffs.received(envelope)
        if self._referral(handoff.handoff_id) is None:  # a redelivery only re-sends
            dossier = envelope.payload["dossier"]
            if WAGE_ARREARS in dossier["claim_types"]:
                answer = self.handoffs.accept(handoff, envelope.correlation_id,
                                              cause=envelope.event_id, send=False)
            else:
                answer = self.handoffs.return_(
                    handoff, envelope.correlation_id, cause=envelope.event_id, send=False,
                    reason="not wage arrears: labor inspection takes unpaid-wage complaints")
            with self.db:
                self.db.execute(
                    "INSERT INTO referrals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (handoff.handoff_id, envelope.case_id, envelope.correlation_id,
                     dossier["employer"]["name"], str(dossier["amount_claimed"]),
                     dossier["worker_count"], str(handoff.status),
                     handoff.requested_at.isoformat(), answer.event_id))
                self._record(answer)
        self.try_sending()

    def erase(self, request: Envelope) -> None:
        """Intake's erasure of a case is the request to erase the bureau's copy too: the
        employer's name (a person, for a household) and what the bureau sent of the case (an
        inspector's note may name people). The referral stays, so the case's figures and an
        inspection still under way go on. Other services' announcements ask nothing of it."""
        if request.source_agency != Agency.INTAKE:
            return
        case_id = request.case_id
        sent = [(row_id, body) for row_id, body in
                self.db.execute("SELECT id, body FROM outbox WHERE sent = 1").fetchall()
                if json.loads(body)["case_id"] == case_id]
        with self.db:
            changed = self.db.execute("UPDATE referrals SET employer = ? WHERE case_id = ? AND employer != ?",
                                      (ERASED, case_id, ERASED)).rowcount
            self.db.executemany("DELETE FROM outbox WHERE id = ?", [(row_id,) for row_id, _ in sent])
            if changed:  # held something, not erased before (a redelivery finds nothing left)
                asked = request.payload
                self._record(self.publisher.event(ERASURE, case_id, correlation_id=request.correlation_id,
                                                  causation_id=request.event_id, payload={
                    "grounds": asked["grounds"], "reason": asked["reason"],
                    "request_id": asked["request_id"], "requested_by": asked.get("requested_by"),
                    "erased_at": self.publisher.clock.now()}))
        self.try_sending()

    # -- what inspectors do -------------------------------------------------------------------

    def conclude(self, handoff_id: str, finding: str, amount_recovered: str,
                 workers_paid: int, note: str | None = None) -> Envelope:
        referral = self._referral(handoff_id)
        if referral is None:
            raise UnknownReferral(f"no referral {handoff_id}")
        if referral["status"] != "accepted":
            raise ValueError(f"referral {handoff_id} is {referral['status']}, not under inspection")
        report = self.publisher.event(
            "inspection.concluded", referral["case_id"], correlation_id=referral["correlation_id"],
            causation_id=referral["last_event_id"], payload={
                "handoff_id": handoff_id, "finding": finding, "amount_recovered": amount_recovered,
                "workers_paid": workers_paid, "note": note})
        encode(report)  # refuse a bad report before anything is recorded
        with self.db:
            self.db.execute("UPDATE referrals SET status = 'concluded', last_event_id = ? "
                            "WHERE handoff_id = ?", (report.event_id, handoff_id))
            self._record(report)
        self.send_pending()
        return report

    def referrals(self) -> list[dict[str, Any]]:
        cursor = self.db.execute("SELECT * FROM referrals ORDER BY received_at")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- the outbox ---------------------------------------------------------------------------

    def _record(self, envelope: Envelope) -> None:
        self.db.execute("INSERT INTO outbox (event_id, body) VALUES (?, ?)",
                        (envelope.event_id, encode(envelope)))

    def send_pending(self) -> int:
        """Publish what was recorded and not yet confirmed, in order (again after a crash)."""
        rows = self.db.execute("SELECT id, body FROM outbox WHERE sent = 0 ORDER BY id").fetchall()
        for row_id, body in rows:
            self.publisher.publish(decode(body))
            with self.db:
                self.db.execute("UPDATE outbox SET sent = 1 WHERE id = ?", (row_id,))
        return len(rows)

    def try_sending(self) -> None:
        try:
            self.send_pending()
        except Exception as exc:  # recorded in the outbox: sent on the next try, not lost
            log.warning("could not publish yet (%s); will retry", exc)

    def _referral(self, handoff_id: str) -> dict[str, Any] | None:
        return next((r for r in self.referrals() if r["handoff_id"] == handoff_id), None)

    def run(self, seconds: float | None) -> None:
        """Take referrals, and re-send whatever the outbox still holds, until stopped."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while deadline is None or time.monotonic() < deadline:
            self.try_sending()
            left = 1.0 if deadline is None else deadline - time.monotonic()
            self.subscriber.drain(max(0.0, min(1.0, left)))

    def close(self) -> None:
        self.subscriber.close()
        self.publisher.close()
        self.db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A labor-inspection bureau on the platform's kit")
    parser.add_argument("--amqp-uri", default=None)
    parser.add_argument("--database", type=Path, default=Path("bureau.db"))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="take referrals and answer them")
    run.add_argument("--seconds", type=float, default=None, help="stop after this long")
    listing = sub.add_parser("list", help="the referrals received")
    listing.add_argument("--json", action="store_true")
    conclude = sub.add_parser("conclude", help="report back on a referral")
    conclude.add_argument("handoff_id")
    conclude.add_argument("--finding", required=True, choices=INSPECTION_FINDINGS)
    conclude.add_argument("--amount", required=True, help="yuan recovered for the workers")
    conclude.add_argument("--workers-paid", type=int, required=True)
    conclude.add_argument("--note")
    args = parser.parse_args(argv)

    bureau = InspectionBureau(args.amqp_uri or amqp_uri(), args.database)
    try:
        if args.command == "run":
            bureau.run(args.seconds)
        elif args.command == "list":
            found = bureau.referrals()
            if args.json:
                print(json.dumps(found, ensure_ascii=False, indent=2))
            for r in [] if args.json else found:
                print(f"{r['handoff_id']}  {r['case_id']}  {r['status']:<10} "
                      f"¥{r['amount_claimed']}  {r['workers']} worker(s)  {r['employer']}")
        else:
            try:
                report = bureau.conclude(args.handoff_id, args.finding, args.amount,
                                         args.workers_paid, args.note)
            except (LookupError, ValueError) as exc:
                print(f"not concluded: {exc}", file=sys.stderr)
                return 1
            print(f"reported {report.event_id}")
    finally:
        bureau.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
