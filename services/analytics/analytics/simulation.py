"""What if (SimPy): each agency as a pool of staff who take up handed-over cases in the order
they came and work each until it moves on. Calibrated on the recorded period (the pool size
whose simulated waits come closest to those recorded), then run again with the capacity
changed, to predict the waits."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

import simpy

from .domain import StageTime

DAY = 86400.0
MAX_CAPACITY = 200  # staff per agency tried when calibrating


@dataclass(frozen=True)
class Arrival:
    at: float  # seconds from the period's first handoff
    work: float  # seconds the case is worked on once taken up


def arrivals_by_agency(stages: Iterable[StageTime]) -> tuple[dict[str, list[Arrival]], dict[str, list[float]]]:
    """Per receiving agency: the handoffs it was sent (when requested, and the work the case
    then took there), and the waits recorded for them."""
    stages = list(stages)
    work = {(s.case_id, s.agency): s.seconds for s in stages if s.kind == "work"}
    waits = [s for s in stages if s.kind == "wait" and s.answer == "accepted"]
    if not waits:
        return {}, {}
    start = min(s.ended_at.timestamp() - s.seconds for s in waits)
    arrivals: dict[str, list[Arrival]] = {}
    recorded: dict[str, list[float]] = {}
    typical = {a: statistics.median(v) for a in {s.agency for s in stages if s.kind == "work"}
               for v in [[s.seconds for s in stages if s.kind == "work" and s.agency == a]]}
    for s in sorted(waits, key=lambda s: s.ended_at.timestamp() - s.seconds):
        done = work.get((s.case_id, s.agency), typical.get(s.agency, 0.0))
        arrivals.setdefault(s.agency, []).append(Arrival(s.ended_at.timestamp() - s.seconds - start, done))
        recorded.setdefault(s.agency, []).append(s.seconds)
    return arrivals, recorded


def simulated_waits(arrivals: list[Arrival], capacity: int) -> list[float]:
    """Each case waits for one of ``capacity`` staff, first come first served."""
    env = simpy.Environment()
    staff = simpy.Resource(env, capacity=capacity)
    waits: list[float] = []

    def case(arrival: Arrival):  # type: ignore[no-untyped-def]
        yield env.timeout(arrival.at)
        with staff.request() as taken_up:
            requested = env.now
            yield taken_up
            waits.append(env.now - requested)
            yield env.timeout(arrival.work)

    for arrival in arrivals:
        env.process(case(arrival))
    env.run()
    return waits


def calibrated_capacity(arrivals: list[Arrival], recorded: list[float]) -> int:
    """The pool size whose simulated mean wait comes closest to the recorded one."""
    target = statistics.fmean(recorded)
    best, best_gap = 1, float("inf")
    for capacity in range(1, MAX_CAPACITY + 1):
        simulated = statistics.fmean(simulated_waits(arrivals, capacity))
        if abs(simulated - target) < best_gap:
            best, best_gap = capacity, abs(simulated - target)
        if simulated <= target:
            break  # more staff only shortens the waits further
    return best


def what_if(stages: Iterable[StageTime], changes: dict[str, int]) -> dict[str, dict[str, float | int]]:
    """Per agency: the calibrated staff, the recorded and the simulated mean wait (days), and
    the predicted one with ``changes`` (staff added, or taken away when negative)."""
    arrivals, recorded = arrivals_by_agency(stages)
    unknown = set(changes) - set(arrivals)
    if unknown:
        raise ValueError(f"no handoffs recorded to {', '.join(sorted(unknown))} in the period")
    out: dict[str, dict[str, float | int]] = {}
    for agency, sent in sorted(arrivals.items()):
        capacity = calibrated_capacity(sent, recorded[agency])
        changed = max(1, capacity + changes.get(agency, 0))
        out[agency] = {
            "handoffs": len(sent), "staff": capacity, "staff_after_change": changed,
            "recorded_mean_days": round(statistics.fmean(recorded[agency]) / DAY, 3),
            "simulated_mean_days": round(statistics.fmean(simulated_waits(sent, capacity)) / DAY, 3),
            "predicted_mean_days": round(statistics.fmean(simulated_waits(sent, changed)) / DAY, 3),
        }
    return out
