"""A city's case flow replayed through the agencies' public interfaces at the highest rate the
platform sustains, driven by the platform's events, not by staff polling work lists.

``python -m bench.replay [--cases N] [--database sqlite|postgres|URL] [--replicas N] [--json]``
(``make bench MODE=replay``):

1. Starts a sandbox platform (every service its own process on a fresh vhost, or ``--replicas``
   processes sharing its inbox's shards; SQLite files, or a scratch PostgreSQL database per
   service, which replicas need). Claims and their paths come from the synthetic
   planner, so outcomes vary as in the demo. The driver (``bench.replay_driver``) files them
   over HTTP and acts for every agency over RPC with the development issuer's staff tokens, as
   soon as an event on its own queue says a case awaits an act.
2. Finds the highest sustained rate in closed loop (``RateSearch``): a fixed number of cases in
   flight, a new claim filed as each case ends, the number doubled until the rate stops
   growing. Closed loop because every step is then sustainable by construction and short;
   open-loop filing above capacity only grows queues, and telling that apart from a slow
   start would take long runs at every rate.
3. Full load: ``--cases`` claims at the best number in flight: cases/s, events published/s,
   deliveries handled/s, each service's CPU per delivery (``/proc``), from the services'
   ``/metrics`` before and after. With replicas, each process is counted and a service's
   figures are its replicas' summed; the deliveries each replica handled show how they shared.
4. Half load: ``--half-cases`` claims filed open loop at half the full-load rate, so that no
   queue builds: the platform's ``disputes_handoff_delivery_seconds`` histogram (from a
   handoff's request to its dossier handled by the addressee) gives p50/p95/p99, and
   ``disputes_outbox_delay_seconds`` the senders' part of it (an event's commit to its confirm).
5. Peak RSS of every service (``VmHWM``); the platform stops; then, on the same broker, the raw
   kombu baseline (``bench.measure.raw_kombu``) with a sample of the very messages the
   platform published during the full load, confirmed and unconfirmed; the ratios; the time 4
   million cases would take at the full-load rate.

A benchmark: it measures and asserts nothing about timings. It exits 1 when a phase did not end
every case in time, since its figures then do not describe whole lifecycles.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections import deque
from itertools import islice
from typing import Any

from .measure import (
    HANDLED,
    add_common_arguments,
    broker_pid,
    check_common_arguments,
    cpu_spent,
    cpu_usage,
    database_backends_cpu_seconds,
    log,
    measure_raw,
    metric,
    patch_for_rpc_client,
    peak_rss_mb,
    ratio,
    sample_body,
    scrape_metrics,
    stdout_to_stderr,
    wait_for_outboxes,
)
from .replay_figures import (
    NATIONAL_YEAR_CASES,
    RateSearch,
    bucket_delta,
    cpu_ms_per_delivery,
    extrapolated_seconds,
    percentiles_ms,
    render,
    replica_split,
    summed_per_service,
)

MAX_CASES = 5000
MAX_REPLICAS = 4
STEP_ROUNDS = 5  # a search step files 5 times the cases it keeps in flight, so that it is steady
DELIVERY_BUCKETS = "disputes_handoff_delivery_seconds_bucket"
OUTBOX_BUCKETS = "disputes_outbox_delay_seconds_bucket"
SENDING_SERVICES = ("intake", "mediation", "legal_aid", "arbitration", "courts_bridge")
HANDED_OVER = "disputes_inbox_shards_handed_over_total"
BATCH_SIZE = "disputes_event_batch_size"
FOLLOWERS = ("trail", "analytics")  # they consume every event; no agency's staff waits on them


def buckets(samples: dict[str, dict[str, Any]], name: str, service: str | None = None) -> dict[float, float]:
    """A histogram's cumulative buckets, over every service or of one."""
    entry = samples.get(name, {})
    if service is None:
        return dict(entry.get("by_le", {}))
    return {le: count for (s, le), count in entry.get("by_service_le", {}).items() if s == service}


def counted(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], name: str) -> int:
    return metric(after, name) - metric(before, name)


@contextlib.contextmanager
def databases(choice: str) -> Any:
    """None for SQLite (the sandbox's own files), else a scratch PostgreSQL database per
    service on the server ``choice`` names (``postgres``: the local one)."""
    if choice == "sqlite":
        yield None
        return
    from disputes_cli.sandbox import POSTGRES_ADMIN, scratch_postgres_databases
    from disputes_shared.plumbing.config import SERVICE_NAMES

    admin = POSTGRES_ADMIN if choice == "postgres" else choice
    with scratch_postgres_databases(SERVICE_NAMES.values(), prefix="bench", admin=admin) as urls:
        yield urls


def own_deliveries(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]],
                   service: str) -> int:
    return int(after.get(HANDLED, {}).get("by_service", {}).get(service, 0)
               - before.get(HANDLED, {}).get("by_service", {}).get(service, 0))


def per_own_delivery(cpu: dict[str, float | None], before: dict[str, dict[str, Any]],
                     after: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """CPU ms of each service that follows every event over the deliveries it handled itself."""
    figures: dict[str, float | None] = {}
    for service in FOLLOWERS:
        handled, seconds = own_deliveries(before, after, service), cpu.get(service)
        figures[service] = round(seconds * 1000 / handled, 3) if handled and seconds is not None else None
    return figures


def caught_up(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]],
              cpu: dict[str, float | None], drained_seconds: float,
              full_load: dict[str, float | None]) -> dict[str, Any]:
    """What the services that follow every event did draining the backlog that built while they
    were paused: deliveries, CPU per own delivery (and at full load, for comparison), the mean
    batch applied in one transaction."""
    batch_counts = {service: counted_by_service(before, after, f"{BATCH_SIZE}_count", service)
                    for service in FOLLOWERS}
    batch_sums = {service: counted_by_service(before, after, f"{BATCH_SIZE}_sum", service)
                  for service in FOLLOWERS}
    return {
        "backlog": {service: own_deliveries(before, after, service) for service in FOLLOWERS},
        "drained_seconds": round(drained_seconds, 1),
        "cpu_ms_per_own_delivery": per_own_delivery(cpu, before, after),
        "full_load_cpu_ms_per_own_delivery": full_load,
        "mean_batch": {service: round(batch_sums[service] / batch_counts[service], 1)
                       if batch_counts[service] else None for service in FOLLOWERS},
    }


def counted_by_service(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]],
                       name: str, service: str) -> float:
    return float(after.get(name, {}).get("by_service", {}).get(service, 0)
                 - before.get(name, {}).get("by_service", {}).get(service, 0))


def drained_by_followers(env: dict[str, str], deadline: float) -> dict[str, dict[str, Any]]:
    """Scrape until the services that follow every event have nothing left in their queues and
    have handled nothing more for a second (bounded): a resumed process takes a while to come
    back to its queue, so a quiet second alone would not tell that it is done."""
    from kombu import Connection

    from disputes_shared.kit.broker import inbox, inbox_shards
    from disputes_shared.plumbing.config import agency_of_service

    names = [queue.name for service in FOLLOWERS
             for queue in inbox(agency_of_service(service), inbox_shards(), declare=False)]
    samples = scrape_metrics(env)
    with Connection(env["DISPUTES_AMQP_URI"]) as connection:
        channel = connection.channel()
        while True:
            time.sleep(1.0)
            previous, samples = samples, scrape_metrics(env)
            ready = sum(channel.queue_declare(name, passive=True).message_count for name in names)
            handled = [own_deliveries(previous, samples, service) for service in FOLLOWERS]
            if (ready == 0 and not any(handled)) or time.monotonic() > deadline:
                return samples


@contextlib.contextmanager
def paused_processes(pids: list[int | None]) -> Any:
    """Processes stopped (SIGSTOP) for the block, as a service that is down or slow: their
    queues fill; continued (SIGCONT) after it, whatever happens."""
    found = [pid for pid in pids if pid is not None]
    for pid in found:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in found:
            os.kill(pid, signal.SIGCONT)


def measure(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    from sqlalchemy.engine import make_url

    from disputes_cli import local
    from disputes_cli.platform import RECEIVING_SERVICES, Platform
    from disputes_cli.sandbox import sandbox_platform
    from disputes_cli.synthetic import planned_cases

    from .replay_driver import Phase, ReplayDriver

    search = RateSearch(ladder=tuple(args.ladder))
    planned = iter(planned_cases(args.cases + args.half_cases + args.catch_up_cases
                                 + args.step_cases * len(args.ladder)
                                 + STEP_ROUNDS * sum(args.ladder), args.seed))
    with contextlib.ExitStack() as stack:
        urls = stack.enter_context(databases(args.database))
        log(f"starting a sandbox platform on {'SQLite' if urls is None else 'PostgreSQL'}")
        env = stack.enter_context(sandbox_platform(database_urls=urls, replicas=args.replicas))
        service_of = {name: service for service in local.SERVICES for name in local.replicas_of(service)}
        pids = {name: local.pid_of(name) for name in service_of}
        pids["broker"] = broker_pid()
        names = {make_url(url).database or "" for url in (urls or {}).values()}

        def cpu_now() -> dict[str, float | None]:
            usage = cpu_usage(pids)
            if names:
                usage["database"] = database_backends_cpu_seconds(names)
            return usage

        platform = stack.enter_context(Platform())
        driver = ReplayDriver(platform, args.seed)
        stack.callback(driver.close)
        driver.subscribe(env["DISPUTES_AMQP_URI"])
        phases: list[Phase] = []

        def run(phase: Phase) -> Phase:
            phases.append(driver.run(phase, args.timeout))
            return phase

        while (concurrency := search.next_concurrency()) is not None:
            step = run(Phase(deque(islice(planned, max(args.step_cases, STEP_ROUNDS * concurrency))),
                             concurrency=concurrency))
            search.record(concurrency, step.steady_cases_per_second)
            log(f"search: {concurrency} in flight: {len(step.ended)} cases, "
                f"{step.steady_cases_per_second:.2f} cases/s")
        best_concurrency, _ = search.best

        log(f"full load: {args.cases} cases, {best_concurrency} in flight")
        wait_for_outboxes(env)
        before, cpu_before = scrape_metrics(env), cpu_now()
        driver.keep_bodies = True
        counts_before = dict(driver.counts)
        full = run(Phase(deque(islice(planned, args.cases)), concurrency=best_concurrency))
        driver.keep_bodies = False
        after = wait_for_outboxes(env)  # the last cases' trail and analytics work included
        cpu = summed_per_service(cpu_spent(cpu_before, cpu_now()), service_of)

        half_rate = max(full.cases_per_second / 2, 0.1)  # a floor: a full load that ended nothing
        log(f"half load: {args.half_cases} cases filed at {half_rate:.2f}/s")
        half_before = scrape_metrics(env)
        half = run(Phase(deque(islice(planned, args.half_cases)), rate=half_rate))
        half_after = wait_for_outboxes(env)
        catch_up = None
        if args.catch_up_cases:
            log(f"catch-up: {', '.join(FOLLOWERS)} paused while {args.catch_up_cases} cases run")
            paused = [name for name, service in service_of.items() if service in FOLLOWERS]
            catch_before = scrape_metrics(env)
            with paused_processes([pids[name] for name in paused]):
                run(Phase(deque(islice(planned, args.catch_up_cases)), concurrency=best_concurrency))
                cpu_paused = cpu_now()
                resumed = time.monotonic()
            catch_after = drained_by_followers(env, resumed + args.timeout)
            drained = time.monotonic() - resumed - 1.0  # less the quiet second that ends it
            catch_up = caught_up(catch_before, catch_after,
                                 summed_per_service(cpu_spent(cpu_paused, cpu_now()), service_of),
                                 drained, per_own_delivery(cpu, before, after))
        rss = summed_per_service({name: peak_rss_mb(pid) for name, pid in pids.items()}, service_of)

        outcome = driver.outcomes()
        log("stopping the platform")

    wall = full.wall_seconds
    published = counted(before, after, "disputes_events_published_total")
    deliveries = counted(before, after, HANDLED)
    delivery = bucket_delta(buckets(half_after, DELIVERY_BUCKETS), buckets(half_before, DELIVERY_BUCKETS))
    services = list(local.SERVICES)
    by_replica = replica_split(before.get(HANDLED, {}).get("by_process", {}),
                               after.get(HANDLED, {}).get("by_process", {}), service_of)
    handed_over = half_after.get(HANDED_OVER, {}).get("by_service", {})
    for service, split in by_replica.items():
        split["shards_handed_over"] = int(handed_over.get(service, 0))
    report: dict[str, Any] = {
        "database": "SQLite" if args.database == "sqlite" else "PostgreSQL",
        "seed": args.seed,
        "replicas": args.replicas,
        "search": {"steps": search.steps, "best_concurrency": best_concurrency},
        "full_load": {
            "cases_filed": len(full.filed), "cases_ended": len(full.ended),
            "wall_seconds": round(wall, 3),
            "cases_per_second": round(full.cases_per_second, 2),
            "events_published": published, "events_per_second": round(published / wall, 1),
            "deliveries_handled": deliveries, "deliveries_per_second": round(deliveries / wall, 1),
            "cpu_seconds": cpu,
            "cpu_ms_per_delivery": cpu_ms_per_delivery(cpu, services, deliveries),
            "machine_busy_fraction": cpu.get("machine busy fraction"),
            "deliveries_by_replica": by_replica,
            "commands": driver.counts["commands"] - counts_before.get("commands", 0),
            "early_attempts": driver.counts["early_attempts"] - counts_before.get("early_attempts", 0),
        },
        "half_load": {
            "cases_filed": len(half.filed), "cases_ended": len(half.ended),
            "filing_rate": round(half_rate, 2),
            "handoffs_delivered": int(max(delivery.values(), default=0)),
            "handoff_delivery_ms": percentiles_ms(delivery),
            "handoff_delivery_ms_by_agency": {
                service: percentiles_ms(bucket_delta(buckets(half_after, DELIVERY_BUCKETS, service),
                                                     buckets(half_before, DELIVERY_BUCKETS, service)))
                for service in RECEIVING_SERVICES},
            "outbox_delay_ms": percentiles_ms(bucket_delta(buckets(half_after, OUTBOX_BUCKETS),
                                                           buckets(half_before, OUTBOX_BUCKETS))),
            "outbox_delay_ms_by_agency": {
                service: percentiles_ms(bucket_delta(buckets(half_after, OUTBOX_BUCKETS, service),
                                                     buckets(half_before, OUTBOX_BUCKETS, service)))
                for service in SENDING_SERVICES},
        },
        "catch_up": catch_up,
        "peak_rss_mb": rss,
        "cases": {k: outcome[k] for k in ("cases_filed", "cases_closed", "cases_as_expected", "outcomes")},
        "all_ended": all(len(p.ended) == len(p.filed) and not p.plans and not p.filing_refused
                         for p in phases),
        "staff_errors": driver.errors,
        "driver": dict(driver.counts),
    }
    return report, driver.bodies


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.replay",
        description="A case flow driven by the platform's events at the highest sustained rate, "
                    "vs raw kombu on the same broker.")
    parser.add_argument("--cases", type=int, default=300,
                        help=f"claims at full load (1-{MAX_CASES}; default 300)")
    parser.add_argument("--half-cases", type=int, default=100,
                        help=f"claims at half load, for the handoff latency (1-{MAX_CASES}; default 100)")
    parser.add_argument("--step-cases", type=int, default=40,
                        help=f"claims per step of the rate search (at least {STEP_ROUNDS} per case in flight; default 40)")
    parser.add_argument("--ladder", type=lambda v: [int(x) for x in v.split(",")], default=[4, 8, 16, 32, 64],
                        help="cases in flight tried by the search, in order (default 4,8,16,32,64)")
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (default), postgres (the local server) or a PostgreSQL admin URL")
    parser.add_argument("--replicas", type=int, default=1,
                        help=f"processes of every service, sharing its inbox (1-{MAX_REPLICAS}; "
                             "more than 1 on PostgreSQL only; default 1)")
    parser.add_argument("--catch-up-cases", type=int, default=0,
                        help=f"claims run while {' and '.join(FOLLOWERS)} are paused; their backlog is "
                             f"then timed draining (0-{MAX_CASES}; default 0: no such phase)")
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="seconds each phase gets to end its cases (default 180)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    for name in ("cases", "half_cases"):
        if not 1 <= getattr(args, name) <= MAX_CASES:
            parser.error(f"--{name.replace('_', '-')} must be 1-{MAX_CASES}")
    if not 0 <= args.catch_up_cases <= MAX_CASES:
        parser.error(f"--catch-up-cases must be 0-{MAX_CASES}")
    if not 1 <= args.step_cases <= 1000 or not args.ladder or not all(1 <= c <= 512 for c in args.ladder):
        parser.error("--step-cases must be 1-1000 and --ladder 1-512 cases in flight each")
    if not 1 <= args.replicas <= MAX_REPLICAS:
        parser.error(f"--replicas must be 1-{MAX_REPLICAS}")
    if args.replicas > 1 and args.database == "sqlite":
        parser.error("--replicas above 1 needs PostgreSQL (--database postgres or an admin URL): "
                     "replicas share their service's database, and SQLite's file is one process's")
    if not 0 < args.timeout <= 600:
        parser.error("--timeout must be in (0, 600] seconds")
    check_common_arguments(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    patch_for_rpc_client()

    began = time.monotonic()
    with stdout_to_stderr():
        report, bodies = measure(args)
        raw = measure_raw(bodies or [sample_body()], args.messages, args.prefetch, args.raw_timeout)
    sizes = [len(b.encode("utf-8")) for b in bodies]
    raw["mean_message_bytes"] = round(sum(sizes) / len(sizes), 1) if sizes else None
    full = report["full_load"]
    unconfirmed = raw["unconfirmed"]["msgs_per_second"]
    report["raw_kombu"] = raw
    report["ratios"] = {
        "events_over_raw_unconfirmed": ratio(full["events_per_second"], unconfirmed),
        "deliveries_over_raw_unconfirmed": ratio(full["deliveries_per_second"], unconfirmed),
        "events_over_raw_confirmed": ratio(full["events_per_second"], raw["confirmed"]["msgs_per_second"]),
    }
    report["national_year_seconds"] = extrapolated_seconds(NATIONAL_YEAR_CASES, full["cases_per_second"])
    report["runtime_seconds"] = round(time.monotonic() - began, 1)
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str) if args.json else render(report))
    if not report["all_ended"]:
        log("some phase did not end all its cases in time: its figures do not cover whole lifecycles")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
