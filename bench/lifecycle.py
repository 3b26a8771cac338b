"""Cases per second through the whole lifecycle, against raw kombu on the same broker.

``python -m bench.lifecycle [--cases N] [--seed S] [--messages M] [--json]`` (``make bench``):

1. Starts a sandbox platform (every service its own process on a fresh vhost, own ports, own
   SQLite files), files N synthetic claims over HTTP and acts as every agency's staff over RPC
   until each case has ended (``disputes_cli.demo.run_demo``). Measures the wall time from the
   first filing to the poll on which the trail reported every case ended, and counts the events
   the services published: the sum of ``disputes_events_published_total`` over every service's
   ``/metrics``, cross-checked against the published rows of their outboxes. The vhost's broker
   statistics (management API) add every message the platform's run put on the broker, RPC
   requests and replies included.
2. Then, on the same broker (a fresh vhost, once the platform has stopped, so that its idle
   processes do not share the CPU with the baseline), publishes M messages carrying the bodies
   the platform itself published (so the same sizes), persistent and mandatory, to a durable
   quorum queue, and consumes them with a kombu consumer that acks each one: once with publisher
   confirms (as the outbox relay publishes: one confirm awaited per message) and once without.
   End to end: from the first publish to the last ack.
3. Prints the figures and the ratios (``--json``: the same as JSON). A benchmark: it measures and
   asserts nothing about timings. Exits 1 only when the platform did not end every case in time,
   since its figures then do not describe a whole lifecycle.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from typing import Any

from .measure import (
    add_common_arguments,
    broker_pid,
    check_common_arguments,
    cpu_spent,
    cpu_usage,
    log,
    measure_raw,
    metric,
    patch_for_rpc_client,
    ratio,
    sample_body,
    stdout_to_stderr,
    vhost_message_stats,
    vhost_of,
    wait_for_outboxes,
)

MAX_CASES = 2000


def published_bodies() -> list[str]:
    """The bodies of every event the services published, read from their SQLite outboxes
    (read-only; a service on another database is skipped)."""
    from sqlalchemy.engine import make_url

    from disputes_shared.plumbing.config import SERVICE_NAMES, database_url

    bodies: list[str] = []
    for agency in SERVICE_NAMES:
        url = make_url(database_url(agency))
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            continue
        try:
            with contextlib.closing(sqlite3.connect(f"file:{url.database}?mode=ro", uri=True,
                                                    timeout=10)) as db:
                bodies += [row[0] for row in db.execute(
                    "SELECT body FROM outbox WHERE published_at IS NOT NULL ORDER BY id")]
        except sqlite3.Error as exc:
            log(f"could not read the outbox of {SERVICE_NAMES[agency]}: {exc}")
    return bodies


def measure_platform(cases: int, seed: int, timeout: float, broker_stats: bool) -> tuple[dict[str, Any], list[str]]:
    """Run the lifecycle of ``cases`` claims on a sandbox platform; return figures and the bodies
    the platform published."""
    import requests

    from disputes_cli import local
    from disputes_cli.demo import run_demo
    from disputes_cli.platform import Platform
    from disputes_cli.sandbox import sandbox_platform

    class TimedPlatform(Platform):
        """The demo's client, noting when filing began and ended, and how many RPCs it sent and
        how long it waited for their replies (staff work lists, staff actions, case states)."""

        first_filing: float | None = None
        last_filing: float | None = None

        def __init__(self) -> None:
            super().__init__()
            self.sent: Counter[str] = Counter()
            self.waited: dict[str, float] = defaultdict(float)

        def file_claim(self, claim: dict[str, Any]) -> requests.Response:
            if self.first_filing is None:
                self.first_filing = time.monotonic()
            response = super().file_claim(claim)
            self.last_filing = time.monotonic()
            return response

        def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
            kind = "case_states" if method == "case_states" else "other"
            started = time.monotonic()
            try:
                return super().call(service, method, *args, **kwargs)
            finally:
                self.sent[kind] += 1
                self.waited[kind] += time.monotonic() - started

        def call_many(self, calls: Any) -> list[Any]:
            calls = list(calls)
            listing = all(c[1] in ("pending_handoffs", "open_cases") for c in calls)
            kind = "work_lists" if listing and calls else "actions"
            started = time.monotonic()
            try:
                return super().call_many(calls)
            finally:
                self.sent[kind] += len(calls)
                self.waited[kind] += time.monotonic() - started

    log("starting a sandbox platform")
    began = time.monotonic()
    with sandbox_platform() as env:
        service_pids = {service: local.pid_of(service) for service in local.SERVICES}
        service_pids["broker"] = broker_pid()
        up_seconds = time.monotonic() - began
        log(f"platform up in {up_seconds:.1f}s; filing {cases} claims and working them to the end")
        polls: dict[str, Any] = {"count": 0, "all_ended": None, "done": 0}

        def progress(done: int, total: int) -> None:
            polls["count"] += 1
            polls["done"] = done
            if done == total and polls["all_ended"] is None:
                polls["all_ended"] = time.monotonic()

        platform = TimedPlatform()
        with platform:
            cpu_before = cpu_usage(service_pids)
            demo_began = time.monotonic()
            summary = run_demo(platform, cases, seed, timeout, progress)
            ended = polls["all_ended"] or time.monotonic()
            cpu_after = cpu_usage(service_pids)
            first_filing = platform.first_filing or demo_began
            last_filing = platform.last_filing or first_filing
            client_rpcs = dict(platform.sent)
            client_waits = {k: round(v, 3) for k, v in platform.waited.items()}
        quiet_since = time.monotonic()
        log(f"demo returned after {quiet_since - demo_began:.1f}s")
        samples = wait_for_outboxes(env)
        bodies = published_bodies()
        stats = vhost_message_stats(vhost_of(env["DISPUTES_AMQP_URI"]), quiet_since) \
            if broker_stats else None
        stopping = time.monotonic()
        log(f"figures collected in {stopping - quiet_since:.1f}s; stopping the platform")
    log(f"platform stopped in {time.monotonic() - stopping:.1f}s; "
        f"{time.monotonic() - began:.1f}s with start-up and shut-down")

    wall = ended - first_filing
    time_demo = ended - demo_began
    published = metric(samples, "disputes_events_published_total")
    sizes = [len(b.encode("utf-8")) for b in bodies]
    figures: dict[str, Any] = {
        "cases": cases,
        "seed": seed,
        "cases_closed": summary["cases_closed"],
        "cases_as_expected": summary["cases_as_expected"],
        "all_ended": polls["all_ended"] is not None,
        "staff_errors": len(summary["staff_errors"]),
        "startup_seconds": round(up_seconds, 2),
        "filing_seconds": round(last_filing - first_filing, 3),
        "wall_seconds": round(wall, 3),
        "cases_per_second": round(summary["cases_closed"] / wall, 2) if wall > 0 else None,
        "events_published": published,
        "events_per_second": round(published / wall, 1) if wall > 0 else None,
        "events_per_case": round(published / cases, 2),
        "events_published_by_type": {k: int(v) for k, v in sorted(
            samples.get("disputes_events_published_total", {}).get("by_event_type", {}).items())},
        "events_published_by_service": {k: int(v) for k, v in sorted(
            samples.get("disputes_events_published_total", {}).get("by_service", {}).items())},
        "outbox_rows_published": len(bodies),
        "event_deliveries_handled": metric(samples, "disputes_events_handled_total"),
        "dead_lettered": metric(samples, "disputes_events_dead_lettered_total"),
        "publish_failures": metric(samples, "disputes_publish_failures_total"),
        "outbox_unpublished_at_end": metric(samples, "disputes_outbox_unpublished"),
        "rpc_calls_served": metric(samples, "disputes_rpc_calls_total"),
        "rpc_calls_sent_by_driver": client_rpcs,
        "driver_seconds_waiting_for_replies": client_waits,
        "staff_polls": polls["count"],
        "cpu_seconds_during_lifecycle": cpu_spent(cpu_before, cpu_after),
        "demo_seconds": round(time_demo, 3),
        "mean_event_bytes": round(sum(sizes) / len(sizes), 1) if sizes else None,
        "max_event_bytes": max(sizes, default=None),
        "broker_vhost_stats": stats,
    }
    if stats:
        figures["broker_messages_published"] = stats["publish"]
        figures["broker_messages_per_second"] = round(stats["publish"] / wall, 1) if wall > 0 else None
    return figures, bodies


# -- report -------------------------------------------------------------------------------------


def headline(platform: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    confirmed = raw["confirmed"]["msgs_per_second"]
    unconfirmed = raw["unconfirmed"]["msgs_per_second"]
    return {
        "platform_cases_per_second": platform["cases_per_second"],
        "platform_events_per_second": platform["events_per_second"],
        "raw_kombu_confirmed_msgs_per_second": confirmed,
        "raw_kombu_unconfirmed_msgs_per_second": unconfirmed,
        "platform_events_over_raw_confirmed": ratio(platform["events_per_second"], confirmed),
        "platform_events_over_raw_unconfirmed": ratio(platform["events_per_second"], unconfirmed),
    }


def render(report: dict[str, Any]) -> str:
    p, raw, h = report["platform"], report["raw_kombu"], report["figures"]

    def num(value: Any, places: int = 1) -> str:
        return "n/a" if value is None else f"{value:,.{places}f}"

    rows = [
        ("platform cases/s", num(h["platform_cases_per_second"], 2)),
        ("platform events/s", num(h["platform_events_per_second"])),
        ("raw kombu msgs/s, confirmed", num(h["raw_kombu_confirmed_msgs_per_second"])),
        ("raw kombu msgs/s, unconfirmed", num(h["raw_kombu_unconfirmed_msgs_per_second"])),
        ("platform events/s ÷ raw confirmed", num(h["platform_events_over_raw_confirmed"], 4)),
        ("platform events/s ÷ raw unconfirmed", num(h["platform_events_over_raw_unconfirmed"], 4)),
    ]
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    lines = [
        f"platform: {p['cases']} cases (seed {p['seed']}), {p['cases_closed']} closed, "
        f"{p['cases_as_expected']} as planned; first filing to all ended {p['wall_seconds']:.2f}s "
        f"(filing {p['filing_seconds']:.2f}s, {p['staff_polls']} staff rounds)",
        f"          {p['events_published']} events published ({p['events_per_case']}/case, "
        f"outboxes hold {p['outbox_rows_published']}), {p['event_deliveries_handled']} deliveries "
        f"handled, {p['rpc_calls_served']} RPC/HTTP commands served, mean event body "
        f"{num(p['mean_event_bytes'], 0)} B",
    ]
    if p.get("broker_vhost_stats"):
        s = p["broker_vhost_stats"]
        lines.append(f"          broker (whole vhost, RPC included): {s['publish']} published, "
                     f"{s['deliver_get']} delivered, {num(p['broker_messages_per_second'])} published/s")
    waits = p["driver_seconds_waiting_for_replies"]
    lines.append("          the staff driver waited " + ", ".join(
        f"{waits[k]:.1f}s on {k.replace('_', ' ')} ({p['rpc_calls_sent_by_driver'].get(k, 0)} calls)"
        for k in ("actions", "work_lists", "case_states") if k in waits))
    cpu = dict(p["cpu_seconds_during_lifecycle"])
    busy = cpu.pop("machine busy fraction", None)
    lines.append("          CPU seconds meanwhile: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
                 + (f"; whole machine {busy:.0%} busy" if busy is not None else ""))
    for label in ("confirmed", "unconfirmed"):
        r = raw[label]
        lines.append(f"raw kombu {label + ':':<12} {r['consumed']}/{r['messages']} messages end to end "
                     f"in {r['seconds']:.2f}s (publishing alone {num(r['publish_msgs_per_second'])} msgs/s)")
    lines.append("")
    lines.append(f"{'figure':<{width}}  {'value':>{value_width}}")
    lines.append(f"{'-' * width}  {'-' * value_width}")
    lines += [f"{name:<{width}}  {value:>{value_width}}" for name, value in rows]
    lines.append(f"\n(run took {report['runtime_seconds']:.1f}s)")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.lifecycle",
        description="Cases per second through the whole lifecycle vs raw kombu on the same broker.")
    parser.add_argument("--cases", type=int, default=200, help=f"claims to file (1-{MAX_CASES}; default 200)")
    parser.add_argument("--timeout", type=float, default=150.0,
                        help="seconds the platform gets to end every case (default 150)")
    parser.add_argument("--no-broker-stats", dest="broker_stats", action="store_false",
                        help="skip the vhost's management statistics (saves a few seconds)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if not 1 <= args.cases <= MAX_CASES:
        parser.error(f"--cases must be 1-{MAX_CASES}")
    if not 0 < args.timeout <= 600:
        parser.error("--timeout must be in (0, 600] seconds")
    check_common_arguments(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    patch_for_rpc_client()

    began = time.monotonic()
    with stdout_to_stderr():
        platform, bodies = measure_platform(args.cases, args.seed, args.timeout, args.broker_stats)
        if not bodies:
            bodies = [sample_body()]
            log(f"no outbox readable: raw messages carry one encoded envelope "
                f"({len(bodies[0].encode('utf-8'))} B)")
        raw = measure_raw(bodies, args.messages, args.prefetch, args.raw_timeout)
    raw_sizes = [len(bodies[i % len(bodies)].encode("utf-8")) for i in range(args.messages)]
    raw["mean_message_bytes"] = round(sum(raw_sizes) / len(raw_sizes), 1)
    raw["prefetch"] = args.prefetch
    report = {"platform": platform, "raw_kombu": raw, "figures": headline(platform, raw),
              "runtime_seconds": round(time.monotonic() - began, 1)}
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else render(report))
    if not platform["all_ended"]:
        log(f"only {platform['cases_closed']} of {platform['cases']} cases ended within "
            f"{args.timeout:.0f}s: the platform figures do not cover whole lifecycles")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
