"""Runs a service as ``python -m SERVICE run`` does, with a profiler switched on and off from
outside: ``python -m bench.profiled_service SERVICE FILE``. SIGUSR1 starts cProfile (timing by
the process's CPU time), SIGUSR2 stops it and writes its statistics to ``FILE``; so a profile
holds the calls a benchmark makes, not the service's start. ``bench.rpc_command --profile``
uses it.

The service's work runs in eventlet's green threads, all on the main thread, which is the one
cProfile watches; a function's time under it counts whatever other green threads ran while it
waited, so its time of its own is the figure to read.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import cProfile  # noqa: E402
import importlib  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402


def main(service: str, profile_file: str) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU: waiting for the broker is not cost

    def start(*_: Any) -> None:
        profiler.enable()

    def stop(*_: Any) -> None:
        profiler.disable()
        profiler.dump_stats(profile_file)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = [service, "run"]
    importlib.import_module(f"{service}.__main__")  # runs the service until it is stopped


if __name__ == "__main__":
    main(*sys.argv[1:3])
