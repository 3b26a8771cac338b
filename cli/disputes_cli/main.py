"""``disputes``: the platform's command-line tool."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from typing import Any


def _platform() -> Any:
    from .platform import Platform

    return Platform()


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo
    from .render import DemoProgress, handoff_view, show, table

    with _platform() as platform:
        if args.json:
            summary = run_demo(platform, args.cases, args.seed, args.timeout)
        else:
            with DemoProgress() as progress:
                summary = run_demo(platform, args.cases, args.seed, args.timeout, progress=progress)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(f"\n{summary['cases_filed']} cases filed, {summary['cases_closed']} closed, "
              f"{summary['cases_as_expected']} ended as planned, in {summary['seconds']}s; "
              f"¥{summary['amount_recovered']} recovered\n")
        show(table(["outcome", "cases"], list(summary["outcomes"].items()), title="Outcomes"))
        print()
        show(table(["state", "cases"], list(summary["legal_aid"].items()), title="Legal aid"))
        print()
        show(handoff_view(summary["handoffs"]))
        for error in summary["staff_errors"][:10]:
            print(f"staff action failed: {error}", file=sys.stderr)
    return 0 if summary["cases_as_expected"] == summary["cases_filed"] else 1


def cmd_city_year(args: argparse.Namespace) -> int:
    """A city's year on a platform of its own with a compressed clock: its warnings and report."""
    from .city_year import city_year
    from .render import DemoProgress, show, table

    with DemoProgress() as progress:
        year = city_year(args.cases, args.seed, args.year, args.seconds, args.timeout, progress=progress)
    report = year["report"]
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(year["html"])
    print(f"\n{year['cases_filed']} claims filed over {args.year} in {year['seconds']}s; "
          f"{report['received']['cases']} received and {report['closed']['cases']} closed in the year\n")
    show(table(["month", "cases"], [[r["month"], r["cases"]] for r in report["trend"]],
               title="Cases received per month"))
    print()
    show(table(["rule", "subject", "why"], [[w["rule"], w["subject"], w["explanation"]]
                                           for w in report["warnings"]], title="Early warnings"))
    print(f"\nthe year's report, with its plots: {args.output}")
    for error in year["staff_errors"][:5]:
        print(f"staff action failed: {error}", file=sys.stderr)
    return 0 if report["warnings"] and report["received"]["cases"] else 1


def _answer(platform: Any, what: str, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
    """The service's answer; a refusal is said (``no WHAT: why``) and ends the command (exit 1)."""
    from nameko.exceptions import RemoteError

    try:
        return platform.call(service, method, *args, **kwargs)
    except RemoteError as exc:
        print(f"no {what}: {exc.value}", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_trail(args: argparse.Namespace) -> int:
    from .render import show, trail_csv, trail_view

    with _platform() as platform:
        # The reader recorded on the trail is the one the token names.
        trail = _answer(platform, "trail", "trail", "trail", args.case_id)
    if args.csv:
        sys.stdout.write(trail_csv(trail))
    elif args.json:
        print(json.dumps(trail, ensure_ascii=False, indent=2))
    else:
        show(trail_view(trail))
    return 0


def cmd_reads(args: argparse.Namespace) -> int:
    """Reads of personal data, of a case or of one worker's data, as the trail recorded them;
    the listing is itself recorded on the trail (read as the auditor the token names)."""
    from .reads import worker_ref_of_id_number
    from .render import reads_view, show

    query: dict[str, Any] = {"case_id": args.case}
    if args.worker_of:
        query = {"case_id": args.worker_of, "whole_worker": True}
    elif args.worker:
        try:
            query = {"worker_ref": worker_ref_of_id_number(sys.stdin)}
        except ValueError as exc:
            print(f"no worker: {exc}", file=sys.stderr)
            return 1
    with _platform() as platform:
        found = _answer(platform, "reads", "trail", "personal_data_reads", **query)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        show(reads_view(found))
    return 0


def cmd_handoffs(args: argparse.Namespace) -> int:
    from .render import handoff_view, show

    with _platform() as platform:
        summary = platform.call("trail", "handoff_summary")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        show(handoff_view(summary))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The period's figures from the analytics service: JSON, CSV, or HTML with its plots."""
    with _platform() as platform:
        document = _answer(platform, "report", "analytics", "report_document", args.period, args.format)
    if args.format == "pdf":
        if not args.output and sys.stdout.isatty():
            print("a PDF is not for a terminal: give -o FILE or redirect the output", file=sys.stderr)
            return 2
        content: str | bytes = base64.b64decode(document, validate=True)  # the RPC carries text
    else:
        content = document
    if args.output:
        with open(args.output, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
        print(f"{args.format} report for {args.period} written to {args.output}", file=sys.stderr)
    elif isinstance(content, bytes):
        sys.stdout.buffer.write(content)
    else:
        sys.stdout.write(content)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Predicted waits per agency if its staff changed, beside the recorded ones."""
    from .render import show, table

    changes: dict[str, int] = {}
    for change in args.change:
        agency, _, staff = change.partition("=")
        try:
            changes[agency] = int(staff)
        except ValueError:
            print(f"a change is AGENCY=+N or AGENCY=-N (staff added or taken away), not {change!r}",
                  file=sys.stderr)
            return 2
    with _platform() as platform:
        result = _answer(platform, "simulation", "analytics", "simulate", args.period, changes)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        show(table(["agency", "handoffs", "staff", "staff after", "recorded wait (d)", "simulated (d)",
                    "predicted (d)"],
                   [[a, r["handoffs"], r["staff"], r["staff_after_change"], r["recorded_mean_days"],
                     r["simulated_mean_days"], r["predicted_mean_days"]]
                    for a, r in result["agencies"].items()], title=f"What if, {args.period}"))
    return 0


def cmd_risk_notice(args: argparse.Namespace) -> int:
    """The risk notice (风险提示函) for an early warning, to address and send."""
    with _platform() as platform:
        sys.stdout.write(_answer(platform, "notice", "analytics", "risk_notice", args.warning_id))
    return 0


def cmd_rebuild_analytics(args: argparse.Namespace) -> int:
    """Rebuild the analytics read model from the trail's entries, a page at a time."""
    with _platform() as platform:
        after, folded, first = 0, 0, True
        while True:
            page = platform.call("trail", "entries", after=after, limit=args.page)
            if not page and not first:
                break
            folded += platform.call("analytics", "rebuild", page, first=first)
            first = False
            if not page:
                break
            after = page[-1]["id"]
    print(f"analytics rebuilt from the trail: {folded} events folded")
    return 0


def cmd_drain_inboxes(args: argparse.Namespace) -> int:
    from disputes_shared.plumbing.config import amqp_uri

    from .broker_setup import drain_single_inboxes
    from .local import admin_uri

    moved = drain_single_inboxes(admin_uri(), amqp_uri())
    for queue, count in moved.items():
        print(f"{queue}: {count} message(s) moved to its shards; the queue is deleted")
    if not moved:
        print("no single inbox of an older release is left")
    return 0


def cmd_dead_letters(args: argparse.Namespace) -> int:
    from disputes_shared.plumbing.config import amqp_uri

    from . import dead_letters
    from .render import show, table

    if args.action == "replay":
        if not args.message_ids and not args.all:
            print("name the message ids to replay, or --all", file=sys.stderr)
            return 2
        done = dead_letters.replay(amqp_uri(), None if args.all else set(args.message_ids))
        print(json.dumps(done, ensure_ascii=False, indent=2) if args.json
              else f"replayed {len(done)} message(s)")
        missing = set(args.message_ids) - {d["message_id"] for d in done}
        if missing:
            print(f"not on the dead-letter queue: {', '.join(sorted(missing))}", file=sys.stderr)
            return 1
        return 0
    found = dead_letters.list_parked(amqp_uri(), args.limit)
    if args.action == "show":
        found = [m for m in found if m["message_id"] in set(args.message_ids)]
        if not found:
            print("no such parked message", file=sys.stderr)
            return 1
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        print(f"{len(found)} parked message(s)")
        if found:
            show(table(["message_id", "parked_by", "event_type", "case_id", "reason"],
                       [[m["message_id"], m["parked_by"], m["event_type"], m["case_id"],
                         (m["reason"] or "")[:80]] for m in found]))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from disputes_shared.contract.agencies import Agency
    from disputes_shared.plumbing.config import database_url, trail_signing_key_file

    from . import local

    os.environ.setdefault("DISPUTES_DATA_DIR", str(local.service_env()["DISPUTES_DATA_DIR"]))
    from trail.audit import verify_database
    from trail.signing import public_path

    url = args.database or database_url(Agency.TRAIL)
    key = Path(args.public_key) if args.public_key else public_path(trail_signing_key_file())
    try:
        verdict = verify_database(url, key, Path(args.witness) if args.witness else None)
    except ValueError as exc:
        print(f"cannot verify: {exc}", file=sys.stderr)
        return 2
    last = verdict.last_checkpoint
    if args.json:
        print(json.dumps(verdict.report(), ensure_ascii=False, indent=2))
    elif verdict.intact:
        print(f"trail intact: {verdict.entries} entries, each signed; {verdict.checkpoints} signed "
              f"checkpoints, the last at entry {last.entry_id if last else '-'} "
              f"({last.signed_at.isoformat() if last else 'none yet'}); "
              f"{verdict.unattested} newer entries not yet under a checkpoint")
    else:
        print(f"TRAIL TAMPERED: entry {verdict.entry_id}: {verdict.problem} "
              f"({verdict.entries} entries read, {verdict.checkpoints} checkpoints)")
    return 0 if verdict.intact else 1


PERSONAL_DATA_SERVICES = ("intake", "mediation", "legal_aid", "arbitration", "courts_bridge")


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    import importlib
    import os

    from disputes_shared.contract.routing import SERVICE_NAMES
    from disputes_shared.plumbing.config import database_url
    from disputes_shared.plumbing.personal_data import PersonalDataError, key_management, key_settings
    from disputes_shared.plumbing.sealed import rotate_keys

    from . import local

    for variable in ("DISPUTES_DATA_DIR", "DISPUTES_KEYS_DIR"):
        if variable not in os.environ:  # as `disputes up` runs the services
            os.environ[variable] = local.service_env()[variable]
    agencies = {name: agency for agency, name in SERVICE_NAMES.items()}
    report = {}
    for service in args.services or PERSONAL_DATA_SERVICES:
        tables = importlib.import_module(f"{service}.adapters").plumbing
        url = database_url(agencies[service])
        try:
            report[service] = rotate_keys(url, tables.data_keys,
                                          key_management(service, key_settings(service, os.environ)))
        except (PersonalDataError, OSError) as exc:
            print(f"{service}: cannot rotate: {exc}", file=sys.stderr)
            return 2
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    """A short-lived token from the development issuer (local use and the demo only)."""
    from .signin import development_issuer

    try:
        token = development_issuer().issue(args.role, subject=args.subject, agency=args.agency,
                                           station=args.station, minutes=args.minutes)
    except ValueError as exc:
        print(f"no token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from .personal_data import erase

    return erase(args)


def cmd_export_personal_data(args: argparse.Namespace) -> int:
    from .personal_data import export

    return export(args)


def cmd_agency(args: argparse.Namespace) -> int:
    from .agency import command

    return command(args)


def cmd_conformance(args: argparse.Namespace) -> int:
    from disputes_shared.kit import conformance

    return conformance.command(args)


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()  # nameko's RPC client needs it before anything opens a socket
    parser = argparse.ArgumentParser(prog="disputes", description="The labor-dispute platform.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the local broker (if needed) and every service")
    down = sub.add_parser("down", help="stop the services, and the broker if `up` started it")
    down.add_argument("--keep-broker", action="store_true")
    sub.add_parser("status", help="is the broker answering, is each service running and healthy")
    demo = sub.add_parser("demo", help="file synthetic claims and follow them to their end")
    demo.add_argument("--cases", type=int, default=50)
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--timeout", type=float, default=600.0, help="seconds before giving up")
    demo.add_argument("--json", action="store_true")
    city = sub.add_parser("city-year", help="a city's year of claims on a platform of its own, time "
                                            "compressed: its warnings and report")
    city.add_argument("--cases", type=int, default=600)
    city.add_argument("--year", type=int, default=2026, help="the year (China's calendar)")
    city.add_argument("--seconds", type=float, default=240.0, help="real seconds the year takes")
    city.add_argument("--seed", type=int, default=2026)
    city.add_argument("--timeout", type=float, default=900.0, help="seconds before giving up")
    city.add_argument("-o", "--output", default="city-year-report.html", help="the year's report (HTML)")
    trail = sub.add_parser("trail", help="everything every agency did to one case")
    trail.add_argument("case_id")
    trail_format = trail.add_mutually_exclusive_group()
    trail_format.add_argument("--json", action="store_true")
    trail_format.add_argument("--csv", action="store_true")
    reads = sub.add_parser("reads", help="who read a case's or a worker's personal data, when, "
                           "which fields and why (auditors; the listing is itself recorded)")
    reads_of = reads.add_mutually_exclusive_group(required=True)
    reads_of.add_argument("--case", metavar="CASE_ID", help="the reads of one case")
    reads_of.add_argument("--worker-of", metavar="CASE_ID",
                          help="every read of the data of the worker who filed this case")
    reads_of.add_argument("--worker", action="store_true",
                          help="every read of one worker's data; their resident ID number is read "
                               "from standard input (never an argument, which others can see)")
    reads.add_argument("--json", action="store_true")
    handoffs = sub.add_parser("handoffs", help="handoff waits by agency pair, backlog, bounced cases")
    handoffs.add_argument("--json", action="store_true")
    report = sub.add_parser("report", help="a period's figures, as a centre reports them upward, "
                            "with early warnings and plots (html)")
    report.add_argument("--period", required=True, help="a month (2026-11) or a year (2026)")
    report.add_argument("--format", choices=["json", "csv", "html", "pdf"], default="json")
    report.add_argument("--output", "-o", help="write to this file (default: standard output)")
    simulate = sub.add_parser("simulate", help="predicted handoff waits if agencies had more or fewer staff")
    simulate.add_argument("--period", required=True, help="the recorded month (2026-11) or year to replay")
    simulate.add_argument("--change", action="append", default=[], metavar="AGENCY=+N",
                          help="staff added (or taken away, -N) at an agency; repeatable")
    simulate.add_argument("--json", action="store_true")
    notice = sub.add_parser("risk-notice", help="the risk notice (风险提示函) for an early warning")
    notice.add_argument("warning_id", help="the warning's event id, as `disputes report` lists it")
    rebuild = sub.add_parser("rebuild-analytics", help="rebuild the analytics read model from the trail")
    rebuild.add_argument("--page", type=int, default=1000)
    dead = sub.add_parser("dead-letters", help="list, show or replay messages parked as unhandleable")
    dead.add_argument("action", choices=["list", "show", "replay"])
    dead.add_argument("message_ids", nargs="*")
    dead.add_argument("--all", action="store_true", help="with replay: every parked message")
    dead.add_argument("--limit", type=int, default=100)
    dead.add_argument("--json", action="store_true")
    sub.add_parser("drain-inboxes", help="after an upgrade to sharded inboxes: move what each "
                   "service's single inbox of the older release still holds to its shards")
    verify = sub.add_parser("verify", help="recompute the trail's hash chain and check its signed checkpoints")
    verify.add_argument("--database", help="the trail's database URL (default: as the services use)")
    verify.add_argument("--public-key", help="the trail's public key file (default: beside its key)")
    verify.add_argument("--witness", help="a file of your own holding the last checkpoint you "
                        "verified: a trail cut back behind it is detected; updated when intact")
    verify.add_argument("--json", action="store_true")
    rotate = sub.add_parser("rotate-keys", help="a new key-encryption key for personal data; "
                            "every case's data key re-wrapped under it (rows are not re-encrypted)")
    rotate.add_argument("services", nargs="*", metavar="SERVICE",
                        help=f"default: all of {', '.join(PERSONAL_DATA_SERVICES)}")
    from disputes_shared.contract.agencies import Agency
    from disputes_shared.identity.roles import Role

    token = sub.add_parser("token", help="print a short-lived staff token from the development "
                           "issuer (send it as Authorization: Bearer TOKEN)")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--agency", choices=[a.value for a in Agency],
                       help="checked against the role's agency")
    token.add_argument("--station", help="the mediation station (mediator, station admin)")
    token.add_argument("--subject", help="who the token names (default: dev-ROLE)")
    token.add_argument("--minutes", type=float, default=15, help="valid for (default 15)")
    from .personal_data import add_erase_arguments, add_export_arguments

    add_erase_arguments(sub.add_parser(
        "erase", help="erase a closed case's personal data in every service, on the worker's "
                      "request (PIPL art. 47); the trail keeps its chain, not the texts"))
    add_export_arguments(sub.add_parser(
        "export-personal-data", help="a copy, as JSON, of the personal data every service holds "
                                     "of a case, for its worker (PIPL art. 45)"))
    from disputes_shared.kit.conformance import add_arguments

    add_arguments(sub.add_parser(
        "conformance", help="watch the broker and check what an agency's system publishes "
                            "against the contract (exit 1 on any failure)"))
    from .agency import add_arguments as agency_arguments

    agency_arguments(sub.add_parser("agency", help="onboard an outside agency at run time: add, "
                                                   "list, suspend, resume, remove"))
    args = parser.parse_args(argv)

    if args.command in ("up", "down", "status"):
        from . import local

        if args.command == "up":
            return local.up()
        if args.command == "down":
            return local.down(stop_broker=not args.keep_broker)
        return local.status()
    if args.command == "demo" and args.cases < 1:
        parser.error("--cases must be at least 1")
    if args.command in ("demo", "trail", "reads", "handoffs", "dead-letters", "report", "rebuild-analytics",
                         "drain-inboxes", "risk-notice", "simulate", "agency", "erase", "export-personal-data"):
        from . import local

        local.act_as_operator()
    if args.command == "city-year" and (args.cases < 20 or args.seconds < 10):
        parser.error("--cases: at least 20; --seconds: at least 10")
    if args.command == "rotate-keys" and set(args.services) - set(PERSONAL_DATA_SERVICES):
        parser.error(f"rotate-keys: services keeping personal data are {', '.join(PERSONAL_DATA_SERVICES)}")
    if args.command == "token" and not 0 < args.minutes <= 12 * 60:
        parser.error("--minutes: more than 0, at most 720")
    commands = {"demo": cmd_demo, "city-year": cmd_city_year, "trail": cmd_trail, "reads": cmd_reads,
                "handoffs": cmd_handoffs,
                "dead-letters": cmd_dead_letters, "drain-inboxes": cmd_drain_inboxes, "verify": cmd_verify, "rotate-keys": cmd_rotate_keys, "report": cmd_report,
                "rebuild-analytics": cmd_rebuild_analytics, "risk-notice": cmd_risk_notice,
                "simulate": cmd_simulate,
                "conformance": cmd_conformance, "token": cmd_token, "agency": cmd_agency,
                "erase": cmd_erase, "export-personal-data": cmd_export_personal_data}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
