"""What the benchmarks measure on a running sandbox platform and on its broker, shared by
``bench.lifecycle`` (the demo's staff) and ``bench.replay`` (a case flow driven by events):
the services' metrics, the CPU time and peak memory of their processes, the broker's own
statistics, and the raw kombu baseline on the same broker."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote, urlsplit

QUORUM = {"x-queue-type": "quorum"}
MAX_MESSAGES = 100_000

def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every platform benchmark takes: the claims' seed, the raw baseline, JSON."""
    parser.add_argument("--seed", type=int, default=2026, help="seed of the synthetic claims")
    parser.add_argument("--messages", type=int, default=5000,
                        help=f"raw kombu messages per baseline (1-{MAX_MESSAGES}; default 5000)")
    parser.add_argument("--prefetch", type=int, default=10,
                        help="raw consumer prefetch (default 10: nameko's, from max_workers)")
    parser.add_argument("--raw-timeout", type=float, default=60.0,
                        help="seconds each raw baseline gets (default 60)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def check_common_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not 1 <= args.messages <= MAX_MESSAGES:
        parser.error(f"--messages must be 1-{MAX_MESSAGES}")
    if not 1 <= args.prefetch <= 10_000:
        parser.error("--prefetch must be 1-10000")
    if not 0 < args.raw_timeout <= 600:
        parser.error("--raw-timeout must be in (0, 600] seconds")


def patch_for_rpc_client() -> None:
    """nameko's RPC client needs eventlet's patching before anything opens a socket."""
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()



# -- the platform -------------------------------------------------------------------------------


def scrape_metrics(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every service replica's ``/metrics``: per sample name, its total, its total per service
    (its replicas summed), per process (``local.replica_name``) and per event type, and for a
    histogram's buckets their counts per upper bound (``le``)."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    from disputes_cli import local
    from disputes_shared.plumbing.config import SERVICE_NAMES

    samples: dict[str, dict[str, Any]] = {}
    replicas = range(1, int(env.get("DISPUTES_REPLICAS", "1")) + 1)
    for service, replica in ((s, r) for s in SERVICE_NAMES.values() for r in replicas):
        # /metrics is on the operations port
        port = local.replica_port(int(env[f"DISPUTES_{service.upper()}_OPS_PORT"]), replica)
        response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        response.raise_for_status()
        process = local.replica_name(service, replica)
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                entry = samples.setdefault(sample.name, {"total": 0.0, "by_service": Counter(),
                                                         "by_process": Counter(),
                                                         "by_event_type": Counter()})
                entry["total"] += sample.value
                entry["by_service"][service] += sample.value
                entry["by_process"][process] += sample.value
                if "event_type" in sample.labels:
                    entry["by_event_type"][sample.labels["event_type"]] += sample.value
                if "le" in sample.labels:  # a histogram's cumulative bucket
                    le = float(sample.labels["le"])
                    entry.setdefault("by_le", Counter())[le] += sample.value
                    entry.setdefault("by_service_le", Counter())[service, le] += sample.value
    return samples


HANDLED = "disputes_events_handled_total"  # deliveries a consumer handled


def metric(samples: dict[str, dict[str, Any]], name: str) -> int:
    return int(samples.get(name, {}).get("total", 0))


def wait_for_outboxes(env: dict[str, str], limit: float = 60.0, still: float = 1.0) -> dict[str, dict[str, Any]]:
    """Scrape until the platform is quiet (bounded): no service has an event committed but not
    yet confirmed, and the consumers have handled nothing more for ``still`` seconds, so no
    backlog in their queues is left to be counted in the next phase."""
    deadline = time.monotonic() + limit
    samples = scrape_metrics(env)
    while True:
        time.sleep(still)
        previous, samples = samples, scrape_metrics(env)
        quiet = (metric(samples, "disputes_outbox_unpublished") == 0
                 and metric(samples, HANDLED) == metric(previous, HANDLED))
        if quiet or time.monotonic() > deadline:
            return samples


def sample_body() -> str:
    """A real encoded envelope (a handoff request to mediation), for when no outbox is readable."""
    from datetime import UTC, datetime

    from disputes_shared.contract.agencies import Agency
    from disputes_shared.contract.envelope import Envelope, encode

    now = datetime.now(UTC)
    return encode(Envelope(
        event_type="handoff.requested", case_id="LD-20260302-284B530B06",
        source_agency=Agency.INTAKE, occurred_at=now, correlation_id=str(uuid.uuid4()),
        causation_id=str(uuid.uuid4()),
        payload={"handoff_id": str(uuid.uuid4()), "from_agency": "intake",
                 "to_agency": "mediation", "purpose": "mediation", "requested_at": now,
                 "to_unit": "peoples-jinjiang-1", "reason": None}))


def vhost_of(amqp_uri: str) -> str:
    return unquote(urlsplit(amqp_uri).path.lstrip("/")) or "/"


def vhost_message_stats(vhost: str, quiet_since: float, settle: float = 6.0,
                        limit: float = 20.0) -> dict[str, int] | None:
    """The vhost's message counters from the management API, once they have settled: the broker
    folds channel statistics in every few seconds (5 s by default), so wait at least ``settle``
    seconds after the platform went quiet and until two reads agree (bounded)."""
    import requests

    from disputes_cli.sandbox import MANAGEMENT

    url = f"{MANAGEMENT}/api/vhosts/{quote(vhost, safe='')}"
    keys = ("publish", "confirm", "return_unroutable", "deliver_get", "ack", "redeliver")
    deadline = time.monotonic() + limit
    previous: dict[str, int] | None = None
    try:
        while True:
            stats = requests.get(url, timeout=5).json().get("message_stats") or {}
            current = {k: int(stats.get(k, 0)) for k in keys}
            settled = time.monotonic() - quiet_since >= settle and current == previous
            if settled or time.monotonic() > deadline:
                return current
            previous = current
            time.sleep(1.0)
    except (requests.RequestException, ValueError) as exc:
        log(f"no broker statistics for vhost {vhost}: {exc}")
        return None


def cpu_seconds(pid: int | None) -> float | None:
    """User plus system CPU time of a process so far (Linux ``/proc``), None when unreadable."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def peak_rss_mb(pid: int | None) -> float | None:
    """The most resident memory a process has had so far (``VmHWM``), None when unreadable."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def database_backends_cpu_seconds(databases: set[str]) -> float:
    """User plus system CPU time so far of the local PostgreSQL backends serving ``databases``
    (found by the title a backend gives itself: ``postgres: [CLUSTER:] USER DATABASE HOST ...``). A backend
    that has exited is no longer counted: the services' pools keep theirs for the whole run."""
    total = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                title = cmdline.read().decode("utf-8", "replace").replace("\0", " ").split()
        except OSError:
            continue
        if title and title[0] == "postgres:" and databases.intersection(title[1:]):
            total += cpu_seconds(int(entry.name)) or 0.0
    return total


def broker_pid() -> int | None:
    """The local RabbitMQ node's OS process, from the management API (None if not known)."""
    import requests

    from disputes_cli.sandbox import MANAGEMENT

    try:
        nodes = requests.get(f"{MANAGEMENT}/api/nodes", timeout=5).json()
        return int(nodes[0]["os_pid"])
    except (requests.RequestException, ValueError, LookupError, TypeError):
        return None


def machine_busy() -> tuple[float, float] | None:
    """Busy and total CPU time of the whole machine so far (``/proc/stat``), every process on it."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return float(sum(ticks) - idle), float(sum(ticks))


def cpu_usage(pids: dict[str, int | None]) -> dict[str, float | None]:
    usage: dict[str, float | None] = {name: cpu_seconds(pid) for name, pid in pids.items()}
    times = os.times()
    usage["bench driver"] = times.user + times.system
    busy = machine_busy()
    usage["machine busy"], usage["machine total"] = busy if busy else (None, None)
    return usage


def cpu_spent(before: dict[str, float | None], after: dict[str, float | None]) -> dict[str, float]:
    """CPU seconds each process spent between two ``cpu_usage`` readings, and the share of the
    whole machine's CPU that was busy (other work on the machine included)."""
    spent = {}
    for name, start in before.items():
        end = after.get(name)
        if start is not None and end is not None and not name.startswith("machine "):
            spent[name] = round(end - start, 2)
    busy = [(after.get(k) or 0.0) - (before.get(k) or 0.0) for k in ("machine busy", "machine total")]
    if busy[1] > 0:
        spent["machine busy fraction"] = round(busy[0] / busy[1], 3)
    return spent


# -- raw kombu ----------------------------------------------------------------------------------


def raw_kombu(amqp_uri: str, bodies: list[str], count: int, confirm: bool, prefetch: int,
              timeout: float) -> dict[str, Any]:
    """Publish ``count`` messages (persistent, mandatory; with or without publisher confirms) to a
    durable quorum queue while a kombu consumer acks each; time the first publish to the last ack."""
    import eventlet
    from kombu import Connection, Consumer, Producer, Queue

    name = f"bench.raw.{'confirmed' if confirm else 'unconfirmed'}.{uuid.uuid4().hex[:8]}"
    queue = Queue(name, durable=True, queue_arguments=QUORUM)
    marks: dict[str, Any] = {"received": 0, "published": 0, "last_ack": None, "publish_done": None}

    def on_message(message: Any) -> None:
        message.ack()
        marks["received"] += 1
        if marks["received"] == count:
            marks["last_ack"] = time.monotonic()

    with Connection(amqp_uri) as consumer_connection, \
            Connection(amqp_uri, transport_options={"confirm_publish": confirm}) as producer_connection:
        consumer_connection.ensure_connection(max_retries=3)
        producer_connection.ensure_connection(max_retries=3)
        channel = consumer_connection.channel()
        queue(channel).declare()
        producer = Producer(producer_connection.default_channel)

        def publish_all() -> None:
            for i in range(count):
                producer.publish(
                    bodies[i % len(bodies)], exchange="", routing_key=name, mandatory=True,
                    delivery_mode=2, content_type="application/json", content_encoding="utf-8",
                    message_id=str(uuid.uuid4()), headers={})
                marks["published"] += 1
            marks["publish_done"] = time.monotonic()

        with Consumer(channel, queues=[queue], on_message=on_message, prefetch_count=prefetch):
            started = time.monotonic()
            publisher = eventlet.spawn(publish_all)
            deadline = started + timeout
            # Done when every message is acked and the publisher has had its last confirm.
            while (marks["received"] < count or not publisher.dead) and time.monotonic() < deadline:
                if marks["received"] < count:
                    with contextlib.suppress(socket.timeout):
                        consumer_connection.drain_events(timeout=0.5)
                else:
                    eventlet.sleep(0.001)
                if publisher.dead and marks["publish_done"] is None:
                    publisher.wait()  # raises what stopped the publisher
            if not publisher.dead:
                publisher.kill()
        with contextlib.suppress(Exception):
            queue(channel).delete()
    finished = max(marks["last_ack"] or time.monotonic(), marks["publish_done"] or 0.0)
    seconds = finished - started
    publish_seconds = (marks["publish_done"] or finished) - started
    return {
        "confirm_publish": confirm,
        "messages": count,
        "published": marks["published"],
        "consumed": marks["received"],
        "complete": marks["received"] == count,
        "seconds": round(seconds, 3),
        "publish_seconds": round(publish_seconds, 3),
        "msgs_per_second": round(marks["received"] / seconds, 1) if seconds > 0 else None,
        "publish_msgs_per_second": round(marks["published"] / publish_seconds, 1)
        if publish_seconds > 0 else None,
    }


def measure_raw(bodies: list[str], count: int, prefetch: int, timeout: float) -> dict[str, Any]:
    from disputes_cli.sandbox import isolated_vhost

    with isolated_vhost("disputes-bench") as vhost:
        uri = f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"
        results = {}
        for confirm in (True, False):
            label = "confirmed" if confirm else "unconfirmed"
            log(f"raw kombu: {count} messages, {label}")
            results[label] = raw_kombu(uri, bodies, count, confirm, prefetch, timeout)
    return results


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a and b else None


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """``disputes up/down`` print to stdout; keep stdout for the figures alone."""
    with contextlib.redirect_stdout(sys.stderr):
        yield
