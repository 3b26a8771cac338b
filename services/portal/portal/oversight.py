"""The operator's and auditor's pages' own rules, plain Python: the handoff-wait chart's geometry
from the trail's figures (``handoff_summary``, as ``disputes handoffs`` shows them), durations in
words, and what a verification of the trail says about one case.

The chart is drawn on the server as SVG: one row per agency pair in the order the trail gives
them (slowest p95 first), a bar to the p95 wait with the p50 inside it, on a time scale whose
ticks fall on round numbers of seconds, minutes, hours or days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
# A duration's unit, chosen by its size (msgids: the page translates them).
UNITS = ((DAY, 2 * DAY, "%(n)s d"), (HOUR, 2 * HOUR, "%(n)s h"), (MINUTE, 2 * MINUTE, "%(n)s min"),
         (1.0, 0.0, "%(n)s s"))

# Round tick steps: seconds, minutes, hours, days.
STEPS = (1.0, 2.0, 5.0, 10.0, 15.0, 30.0, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE,
         30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
         *(n * DAY for n in (1, 2, 5, 7, 14, 30, 60, 90, 180, 365)))

# The chart's frame, in SVG user units (it scales to the page's width).
WIDTH = 640.0
LEFT, RIGHT = 8.0, 96.0  # room for the value written after the longest bar
ROW = 44.0  # a pair's label line, then its bar
BAR = 16.0
TOP = 28.0  # the legend
AXIS = 28.0  # tick labels under the last bar
TICKS = 4  # at most this many steps between 0 and the end of the scale


@dataclass(frozen=True)
class Duration:
    """A duration as a person reads it: ``amount`` in ``unit`` (a msgid taking ``n``)."""

    amount: str
    unit: str


def duration(seconds: float) -> Duration:
    """2 days and more in days, 2 hours and more in hours, 2 minutes and more in minutes."""
    size, _, unit = next(u for u in UNITS if seconds >= u[1])
    amount = seconds / size
    return Duration(f"{amount:.1f}".removesuffix(".0") if amount < 10 else str(round(amount)), unit)


def scale_end(longest: float) -> tuple[float, float]:
    """The end of the time scale and its tick step: the smallest round step (``STEPS``) of which
    at most ``TICKS`` reach past ``longest``."""
    step = next((s for s in STEPS if math.ceil(longest / s) <= TICKS), STEPS[-1])
    while math.ceil(longest / step) > TICKS:  # past a year: whole multiples of it
        step *= 2
    return max(1, math.ceil(longest / step)) * step, step


def tick_words(seconds: float, step: float) -> Duration:
    """A tick's label, in the largest unit the step is a whole number of (no "0.5 h")."""
    size, _, unit = next(u for u in UNITS if step % u[0] == 0)
    return Duration(str(round(seconds / size)), unit)


@dataclass(frozen=True)
class Bar:
    """One agency pair's row: where its label and bar sit, and how long its bars are."""

    from_agency: str
    to_agency: str
    label_y: float
    bar_y: float
    p50_width: float
    p95_width: float
    p50_seconds: float | None
    p95_seconds: float | None
    handoffs: int

    @property
    def anchor(self) -> str:
        return f"pair-{self.from_agency}-{self.to_agency}"


@dataclass(frozen=True)
class Tick:
    x: float
    seconds: float
    words: Duration


@dataclass(frozen=True)
class WaitChart:
    width: float
    height: float
    left: float
    plot_width: float
    axis_y: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]


def wait_chart(pairs: Sequence[Mapping[str, Any]]) -> WaitChart:
    """The chart of the waits by agency pair, rows in the order given (the trail's, slowest
    first). A pair none of whose handoffs was answered yet has a row and no bar."""
    p95s = [float(p["wait_p95_seconds"]) for p in pairs if p.get("wait_p95_seconds") is not None]
    end, step = scale_end(max(p95s, default=0.0))
    plot = WIDTH - LEFT - RIGHT

    def width(seconds: Any) -> float:
        return 0.0 if seconds is None else round(plot * float(seconds) / end, 2)

    bars = tuple(Bar(
        from_agency=str(p["from_agency"]), to_agency=str(p["to_agency"]),
        label_y=TOP + i * ROW + 14, bar_y=TOP + i * ROW + 20,
        p50_width=width(p.get("wait_p50_seconds")), p95_width=width(p.get("wait_p95_seconds")),
        p50_seconds=_seconds(p.get("wait_p50_seconds")), p95_seconds=_seconds(p.get("wait_p95_seconds")),
        handoffs=int(p.get("handoffs") or 0)) for i, p in enumerate(pairs))
    axis_y = TOP + len(bars) * ROW + 4
    ticks = tuple(Tick(round(LEFT + plot * n * step / end, 2), n * step, tick_words(n * step, step))
                  for n in range(round(end / step) + 1))
    return WaitChart(WIDTH, axis_y + AXIS, LEFT, plot, axis_y, bars, ticks)


def _seconds(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Verification:
    """What the trail's verification says, for one case's page."""

    intact: bool
    entries: int
    checkpoints: int
    unattested: int
    problem: str | None
    first_bad_entry: int | None
    bad_entry_is_this_cases: bool
    last_checkpoint_entry: int | None
    last_checkpoint_at: datetime | None


def verification(report: Mapping[str, Any], case_entries: Iterable[Mapping[str, Any]]) -> Verification:
    """The ``verify`` RPC's report (``Verdict.report``), and whether the first entry that does not
    match is one of this case's."""
    bad = report.get("first_bad_entry")
    last = report.get("last_checkpoint") or {}
    return Verification(
        intact=bool(report["intact"]), entries=int(report["entries"]),
        checkpoints=int(report["checkpoints"]), unattested=int(report.get("unattested_entries") or 0),
        problem=report.get("problem"), first_bad_entry=bad,
        bad_entry_is_this_cases=bad is not None and any(e.get("entry_id") == bad for e in case_entries),
        last_checkpoint_entry=last.get("entry_id"),
        last_checkpoint_at=datetime.fromisoformat(last["signed_at"]) if last.get("signed_at") else None)


@dataclass(frozen=True)
class TrailRow:
    """One entry of a case's trail as the auditor's table shows it."""

    entry_id: int | None
    at: datetime
    agency: str
    role: str
    actor: str | None
    event_type: str
    waited_seconds: float | None
    rule: str | None
    bad: bool  # the first entry the verification found not to match


def trail_rows(entries: Iterable[Mapping[str, Any]], first_bad_entry: int | None) -> list[TrailRow]:
    """The trail's entries (``entry_view``), in the order they happened, as the trail gives them."""
    return [TrailRow(
        entry_id=e.get("entry_id"), at=datetime.fromisoformat(e["at"]), agency=str(e["agency"]),
        role=str(e["role"]), actor=e.get("actor"), event_type=str(e["event_type"]),
        waited_seconds=_seconds(e.get("waited_seconds")), rule=e.get("rule"),
        bad=first_bad_entry is not None and e.get("entry_id") == first_bad_entry) for e in entries]


def every_msgid() -> list[str]:
    return [unit for _, _, unit in UNITS]
