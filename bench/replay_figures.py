"""The arithmetic of the replay benchmark, apart from any platform: percentiles from a
histogram's buckets, the search for the highest sustained rate, CPU per delivery, the
extrapolation to a nation's year, and the report."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NATIONAL_YEAR_CASES = 4_000_000


def bucket_delta(after: Mapping[float, float], before: Mapping[float, float]) -> dict[float, float]:
    """A cumulative histogram's buckets over an interval: the counts after less those before."""
    return {le: count - before.get(le, 0.0) for le, count in after.items()}


def quantile(buckets: Mapping[float, float], q: float) -> float | None:
    """The ``q`` quantile of a cumulative histogram (upper bound ``le`` -> count at or below),
    interpolated linearly inside its bucket as Prometheus' ``histogram_quantile`` does; None
    when it is empty. A quantile in the ``+Inf`` bucket is the highest finite bound (a floor)."""
    edges = sorted(buckets)
    if not edges or buckets[edges[-1]] <= 0:
        return None
    rank = q * buckets[edges[-1]]
    lower, below = 0.0, 0.0
    for le in edges:
        count = buckets[le]
        if count >= rank and count > below:
            if math.isinf(le):
                return lower
            return lower + (le - lower) * (rank - below) / (count - below)
        lower, below = le, count
    return lower


def percentiles_ms(buckets: Mapping[float, float]) -> dict[str, float | None]:
    return {f"p{round(q * 100)}": None if (v := quantile(buckets, q)) is None else round(v * 1000, 1)
            for q in (0.5, 0.95, 0.99)}


@dataclass
class RateSearch:
    """Closed-loop search for the highest rate the platform sustains: cases are kept in flight
    at each concurrency of the ladder in turn; the search stops at the first step that gains
    less than ``min_gain`` over the best rate so far (the platform is saturated: more cases in
    flight only queue), or at the ladder's end. Every step is sustainable by construction,
    since the driver files a case only when one has ended."""

    ladder: tuple[int, ...] = (4, 8, 16, 32, 64)
    min_gain: float = 0.10
    steps: list[tuple[int, float]] = field(default_factory=list)

    def next_concurrency(self) -> int | None:
        if not self.steps:
            return self.ladder[0]
        *earlier, (concurrency, rate) = self.steps
        best_before = max((r for _, r in earlier), default=0.0)
        if earlier and rate < best_before * (1 + self.min_gain):
            return None
        later = [c for c in self.ladder if c > concurrency]
        return later[0] if later else None

    def record(self, concurrency: int, cases_per_second: float) -> None:
        self.steps.append((concurrency, cases_per_second))

    @property
    def best(self) -> tuple[int, float]:
        """The concurrency with the highest rate, and that rate."""
        return max(self.steps, key=lambda step: step[1])


def extrapolated_seconds(cases: int, cases_per_second: float | None) -> float | None:
    return cases / cases_per_second if cases_per_second else None


def cpu_ms_per_delivery(cpu_seconds: Mapping[str, float], services: list[str],
                        deliveries: int) -> dict[str, float | None]:
    """Each service's CPU over every delivery the services handled (so the shares add up to the
    total), the total over the services, and the broker's and the database server's apart."""
    def per(seconds: float | None) -> float | None:
        return round(seconds * 1000 / deliveries, 3) if deliveries and seconds is not None else None

    figures = {service: per(cpu_seconds.get(service)) for service in services}
    figures["services total"] = per(sum(cpu_seconds.get(s, 0.0) for s in services))
    for apart in ("broker", "database"):
        if apart in cpu_seconds:
            figures[apart] = per(cpu_seconds[apart])
    return figures


def summed_per_service(by_process: Mapping[str, float | None],
                       service_of: Mapping[str, str]) -> dict[str, float | None]:
    """Figures of processes (CPU seconds, peak RSS) summed over each service's replicas
    (``service_of``: a replica's name -> its service); any other name (the broker, the
    database, the driver) kept as it is. None where no process of the name had a figure."""
    summed: dict[str, float | None] = {}
    for name, value in by_process.items():
        key = service_of.get(name, name)
        if value is None:
            summed.setdefault(key, None)
        else:
            summed[key] = round((summed.get(key) or 0.0) + value, 3)
    return summed


def replica_split(before: Mapping[str, float], after: Mapping[str, float],
                  service_of: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Per service, what each of its replicas counted between two scrapes (a replica that
    counted nothing at 0), and the busiest replica's share of the service's count: 1.0 when
    one replica did it all, 1/N when N shared it evenly, None when there was nothing."""
    split: dict[str, dict[str, Any]] = {}
    for process, service in service_of.items():
        entry = split.setdefault(service, {"by_replica": {}})
        entry["by_replica"][process] = int(after.get(process, 0) - before.get(process, 0))
    for entry in split.values():
        total = sum(entry["by_replica"].values())
        entry["busiest_share"] = round(max(entry["by_replica"].values()) / total, 3) if total else None
    return split


def _num(value: Any, places: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{places}f}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds / 3600:,.1f} h ({seconds / 86400:,.1f} days)"


def headline(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures the issue asks for, as (name, value) rows."""
    full, half, raw = report["full_load"], report["half_load"], report["raw_kombu"]
    latency = half["handoff_delivery_ms"]
    outbox = half.get("outbox_delay_ms", {})  # reports from before it was measured have none
    cpu = full["cpu_ms_per_delivery"]
    rows = [
        ("cases/s (full load)", _num(full["cases_per_second"], 2)),
        ("events published/s", _num(full["events_per_second"])),
        ("deliveries handled/s", _num(full["deliveries_per_second"])),
        ("service CPU ms per delivery, total", _num(cpu["services total"], 2)),
        *[(f"  {name}", _num(v, 2)) for name, v in cpu.items() if name != "services total"],
        *[(f"handoff delivery {p} at half load, ms", _num(latency[p])) for p in ("p50", "p95", "p99")],
        *[(f"outbox delay {p} at half load (commit to confirm, every event), ms", _num(outbox.get(p)))
          for p in ("p50", "p95", "p99")],
        *[(f"peak RSS {name}, MB", _num(mb)) for name, mb in report["peak_rss_mb"].items()],
        ("raw kombu msgs/s, confirmed", _num(raw["confirmed"]["msgs_per_second"])),
        ("raw kombu msgs/s, unconfirmed", _num(raw["unconfirmed"]["msgs_per_second"])),
        ("events/s ÷ raw unconfirmed", _num(report["ratios"]["events_over_raw_unconfirmed"], 3)),
        ("deliveries/s ÷ raw unconfirmed", _num(report["ratios"]["deliveries_over_raw_unconfirmed"], 3)),
        ("events/s ÷ raw confirmed", _num(report["ratios"]["events_over_raw_confirmed"], 3)),
        (f"{NATIONAL_YEAR_CASES:,} cases at this rate", _duration(report["national_year_seconds"])),
    ]
    if catch_up := report.get("catch_up"):
        rows.append(("catch-up: backlog drained in, s", _num(catch_up["drained_seconds"], 1)))
        for service, backlog in catch_up["backlog"].items():
            rows += [
                (f"catch-up: {service} backlog, deliveries", _num(backlog)),
                (f"catch-up: {service} mean events per transaction", _num(catch_up["mean_batch"][service], 1)),
                (f"catch-up: {service} CPU ms per own delivery", _num(catch_up["cpu_ms_per_own_delivery"][service], 2)),
                (f"full load: {service} CPU ms per own delivery",
                 _num(catch_up["full_load_cpu_ms_per_own_delivery"][service], 2)),
            ]
    return rows


def render(report: dict[str, Any]) -> str:
    full, half, search = report["full_load"], report["half_load"], report["search"]
    lines = [
        f"replay on {report['database']}: seed {report['seed']}; "
        f"search {', '.join(f'{c} in flight {r:.2f}/s' for c, r in search['steps'])}; "
        f"highest sustained at {search['best_concurrency']} in flight",
        f"full load: {full['cases_ended']}/{full['cases_filed']} cases ended in "
        f"{full['wall_seconds']:.1f}s, {full['events_published']} events, "
        f"{full['deliveries_handled']} deliveries, {full['commands']} commands "
        f"(+{full['early_attempts']} tried again: sent before the agency had the event), "
        f"whole machine {_num(full['machine_busy_fraction'], 2)} busy",
        f"half load: {half['cases_ended']}/{half['cases_filed']} cases filed at "
        f"{half['filing_rate']:.2f}/s, {half['handoffs_delivered']} handoffs delivered",
    ]
    if report.get("replicas", 1) > 1:
        lines.append(f"{report['replicas']} replicas of every service: a service's CPU, RSS and "
                     "deliveries are its replicas' summed; deliveries handled at full load by each "
                     "replica (the busiest one's share; shards handed over since the start):")
        lines += [f"  {service}: {' / '.join(f'{n:,}' for n in split['by_replica'].values())} "
                  f"({_num(split['busiest_share'], 2)}; {split['shards_handed_over']})"
                  for service, split in full["deliveries_by_replica"].items()]
    cases = report["cases"]
    lines.append(f"all phases: {cases['cases_filed']} cases filed, {cases['cases_closed']} closed, "
                 f"{cases['cases_as_expected']} as planned")
    if report["staff_errors"]:
        lines.append(f"{len(report['staff_errors'])} commands failed for good; first: "
                     f"{report['staff_errors'][0]}")
    rows = headline(report)
    width = max(len(name) for name, _ in rows)
    value_width = max(len(value) for _, value in rows)
    lines += ["", f"| {'figure':<{width}} | {'value':>{value_width}} |",
              f"| {'-' * width} | {'-' * (value_width - 1)}: |"]
    lines += [f"| {name:<{width}} | {value:>{value_width}} |" for name, value in rows]
    lines.append(f"\n(run took {report['runtime_seconds']:.0f}s)")
    return "\n".join(lines)
