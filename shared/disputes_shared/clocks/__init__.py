"""Time, and the statutory clocks the platform keeps on a case.

- ``wall``: the time source, a dependency (``SystemClock``; ``ManualClock`` in tests).
- ``kinds``: the clocks the law sets (``ClockKind``) and the rule each is counted by; part of
  the contract, named in events, tables and metrics.
- ``statutory``: one clock on one case, counted in China's days: started, stopped, extended,
  elapsed. Plain Python.
- ``keeper``: a service's clocks in its own database, started and stopped in the unit of work
  of the change that caused them and fired by a timer (the ``[service]`` extra).

Nothing is imported here, so the contract can use ``kinds`` without the service stack.
"""
