"""One staff command over RPC, as the service pays for it: ``python -m bench.rpc_command
[--calls 200] [--cases 20] [--rounds 3] [--seed 2026] [--profile N] [--json]``.

Starts a sandbox platform (every service its own process on a fresh vhost, SQLite files), files
``--cases`` claims at intake over HTTP (without legal aid, so each is handed to mediation) and
accepts each handoff at mediation's desk, as the demo's staff do. Then, ``--rounds`` times, two
runs of ``--calls`` calls, one at a time, each with the development issuer's token of the staff
member whose job it is (one token per role, as a workbench keeps its sign-in):

* a cheap command, ``pending_handoffs``: the token checked, one read, an empty list replied;
* a typical staff command, ``record_session``, on the cases in turn: the token checked, the case
  read and saved with its event in the outbox in one transaction, the reply.

Reported, per call: the CPU time of mediation's process (user plus system, from ``/proc``; CPU,
not wall time, since a loaded machine stretches the one, not the other), the median over the
rounds. Mediation's timers and its outbox relay run meanwhile, so its CPU while idle is reported
too (per second of wall time), and each figure also net of it (the idle rate times the calls'
wall time taken off); the relay's publishing of ``record_session``'s events stays in that
command's figure. ``--profile N`` then restarts mediation under ``bench.profiled_service``,
repeats one run of each command with cProfile on, and prints the N functions with the most CPU
time of their own, then with the most under them (cProfile's figures, heavier than the
unprofiled ones), and the statistics file for ``pstats``.

It measures and asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

from .measure import cpu_seconds, log, patch_for_rpc_client

SERVICE = "mediation"
CHEAP, TYPICAL = "pending_handoffs", "record_session"
IDLE_SECONDS = 3.0


def claims(cases: int, seed: int) -> list[dict[str, Any]]:
    """Planned claims, each sent straight to mediation (no legal aid first)."""
    from disputes_cli.synthetic import planned_cases

    return [{**plan.claim, "legal_aid_requested": False} for plan in planned_cases(cases, seed)]


def cases_in_mediation(platform: Any, cases: int, seed: int, patience: float = 120.0) -> list[str]:
    """File the claims and accept their handoffs at mediation: the cases' ids, in mediation."""
    filed = []
    for claim in claims(cases, seed):
        response = platform.file_claim(claim)
        response.raise_for_status()
        filed.append(response.json()["case_id"])
    waiting, deadline = set(filed), time.monotonic() + patience
    while waiting and time.monotonic() < deadline:
        for handoff in platform.call(SERVICE, "pending_handoffs"):
            if handoff["case_id"] in waiting:
                platform.call(SERVICE, "accept_handoff", handoff["handoff_id"])
                waiting.discard(handoff["case_id"])
        time.sleep(0.2)
    if waiting:
        raise RuntimeError(f"{len(waiting)} handoffs did not reach mediation in {patience:.0f}s")
    return filed


def cpu_ms_per_call(pid: int, calls: int, call: Callable[[int], Any]) -> tuple[float, float]:
    """The service's CPU milliseconds per call, and the wall seconds the calls took."""
    start_cpu, start = cpu_seconds(pid), time.monotonic()
    for n in range(calls):
        call(n)
    end_cpu, wall = cpu_seconds(pid), time.monotonic() - start
    if start_cpu is None or end_cpu is None:
        raise RuntimeError(f"cannot read the CPU time of process {pid}")
    return (end_cpu - start_cpu) * 1000 / calls, wall


def idle_cpu_ms_per_second(pid: int) -> float:
    start = cpu_seconds(pid)
    time.sleep(IDLE_SECONDS)
    end = cpu_seconds(pid)
    return ((end or 0.0) - (start or 0.0)) * 1000 / IDLE_SECONDS


def commands(platform: Any, case_ids: list[str]) -> dict[str, Callable[[int], Any]]:
    return {
        CHEAP: lambda n: platform.call(SERVICE, CHEAP),
        TYPICAL: lambda n: platform.call(SERVICE, TYPICAL, case_ids[n % len(case_ids)], "in_person"),
    }


@contextlib.contextmanager
def profiled_service(profile_file: str) -> Iterator[Callable[[], None]]:
    """Mediation stopped and started again under ``bench.profiled_service``, in the environment
    ``disputes up`` gave it; yields what starts the profiler. Its statistics are in
    ``profile_file`` once the block ends."""
    from disputes_cli import local

    pid = local.pid_of(SERVICE)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while local.pid_of(SERVICE) and time.monotonic() < deadline:
            time.sleep(0.1)
    user = local.broker_users()[str(local.AGENCY_OF[SERVICE])]
    with open(local.var("log", f"{SERVICE}-profiled.log"), "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-W", "ignore", "-m", "bench.profiled_service", SERVICE, profile_file],
            env={**local.service_env(), **user.environment(), **local.process_env(SERVICE)},
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not local.healthy(SERVICE):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mediation did not start under the profiler")
            time.sleep(0.3)
        yield lambda: process.send_signal(signal.SIGUSR1)
        process.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 30
        while not os.path.exists(profile_file) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from disputes_cli import local
    from disputes_cli.platform import Platform
    from disputes_cli.sandbox import sandbox_platform

    runs: dict[str, list[float]] = {CHEAP: [], TYPICAL: []}
    net: dict[str, list[float]] = {CHEAP: [], TYPICAL: []}
    idle: list[float] = []
    profile: str | None = None
    with contextlib.ExitStack() as stack:
        log("starting a sandbox platform on SQLite")
        stack.enter_context(sandbox_platform())
        platform = stack.enter_context(Platform())
        case_ids = cases_in_mediation(platform, args.cases, args.seed)
        log(f"{len(case_ids)} cases in mediation")
        calls = commands(platform, case_ids)
        for command in calls.values():  # the clients and their tokens made, the code paths warm
            for n in range(min(len(case_ids), 10)):
                command(n)
        pid = local.pid_of(SERVICE)
        if pid is None:
            raise RuntimeError("mediation is not running")
        for round_ in range(args.rounds):
            idle.append(idle_cpu_ms_per_second(pid))
            for name, command in calls.items():
                ms, wall = cpu_ms_per_call(pid, args.calls, command)
                runs[name].append(ms)
                net[name].append(ms - idle[-1] * wall / args.calls)
                log(f"round {round_ + 1}: {name}: {ms:.2f} ms CPU a call ({wall:.1f} s wall, "
                    f"{net[name][-1]:.2f} ms net of idle)")
        if args.profile:
            profile_file = os.path.join(tempfile.mkdtemp(prefix="rpc-command-profile-"), "mediation.prof")
            with profiled_service(profile_file) as start_profiler:
                for command in calls.values():  # the new process's clients and code paths warm
                    for n in range(min(len(case_ids), 10)):
                        command(n)
                start_profiler()
                for command in calls.values():
                    for n in range(args.calls):
                        command(n)
            profile = top_functions(profile_file, args.profile)
        log("stopping the platform")
    return {
        "service": SERVICE, "calls_per_run": args.calls, "rounds": args.rounds, "cases": args.cases,
        "cpu_ms_per_call": {name: round(statistics.median(ms), 3) for name, ms in runs.items()},
        "cpu_ms_per_call_by_round": {name: [round(m, 3) for m in ms] for name, ms in runs.items()},
        "net_of_idle_cpu_ms_per_call": {name: round(statistics.median(ms), 3) for name, ms in net.items()},
        "idle_cpu_ms_per_second": round(statistics.median(idle), 2),
        "profile": profile,
    }


def top_functions(profile_file: str, count: int) -> str:
    with tempfile.TemporaryFile("w+") as out:
        stats = pstats.Stats(profile_file, stream=out)
        stats.sort_stats("tottime").print_stats(count)
        stats.sort_stats("cumulative").print_stats(count)
        out.seek(0)
        return f"{profile_file}\n{out.read()}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.rpc_command", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per run (1-5000; default 200)")
    parser.add_argument("--cases", type=int, default=20, help="cases the typical command goes round (1-200)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each command (1-20; default 3)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the synthetic claims")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="then profile a round under cProfile and print the N costliest functions")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.calls <= 5000:
        parser.error("--calls must be 1-5000")
    if not 1 <= args.cases <= 200:
        parser.error("--cases must be 1-200")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be 1-20")
    if not 0 <= args.profile <= 200:
        parser.error("--profile must be 0-200")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    patch_for_rpc_client()
    with contextlib.redirect_stdout(sys.stderr):  # what starting the platform prints
        report = measure(args)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{SERVICE}'s CPU per RPC call (median of {args.rounds} runs of {args.calls} calls):")
    for name, ms in report["cpu_ms_per_call"].items():
        rounds = ", ".join(f"{m:.2f}" for m in report["cpu_ms_per_call_by_round"][name])
        print(f"  {name:<18} {ms:6.2f} ms   (runs: {rounds})")
    print(f"  while idle         {report['idle_cpu_ms_per_second']:6.2f} ms per second")
    for name, ms in report["net_of_idle_cpu_ms_per_call"].items():
        print(f"  {name:<18} {ms:6.2f} ms net of idle (the idle rate times the calls' wall time taken off)")
    if report["profile"]:
        print(report["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
