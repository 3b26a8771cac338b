"""What the ``disputes`` command shows people: tables and progress drawn by rich, in colour on a
terminal and as plain text when piped. Output for programs (``--json``, ``--csv``) is not made
here, so its bytes never depend on rich."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

# Wide enough that no table row is ever wrapped in plain text: one row stays one line, for grep.
PLAIN_WIDTH = 10_000


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> Table:
    shown = Table(*headers, title=title, title_justify="left", box=box.SIMPLE_HEAD,
                  header_style="bold", pad_edge=False, show_edge=False)
    for row in rows:
        shown.add_row(*(Text("" if v is None else str(v)) for v in row))
    return shown


def show(renderable: RenderableType, stream: TextIO | None = None) -> None:
    """Print for a person: in colour and to the terminal's width on a terminal, else plain."""
    stream = stream or sys.stdout
    if stream.isatty():
        Console(file=stream, highlight=False).print(renderable)
    else:
        stream.write(plain(renderable) + "\n")


def plain(renderable: RenderableType) -> str:
    """The renderable as plain text, without colour or trailing blanks."""
    out = io.StringIO()
    Console(file=out, width=PLAIN_WIDTH, color_system=None, highlight=False,
            soft_wrap=True).print(renderable)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.2f}s"
    if value < 7200:
        return f"{value / 60:.1f}m"
    if value < 172800:
        return f"{value / 3600:.1f}h"
    return f"{value / 86400:.1f}d"


def handoff_view(summary: dict[str, Any]) -> Group:
    blank = Text()
    parts: list[RenderableType] = [table(
        ["from", "to", "handoffs", "accepted", "returned", "pending", "p50", "p95", "p99", "max"],
        [[r["from_agency"], r["to_agency"], r["handoffs"], r["accepted"], r["returned"], r["pending"],
          seconds(r["wait_p50_seconds"]), seconds(r["wait_p95_seconds"]),
          seconds(r["wait_p99_seconds"]), seconds(r["wait_max_seconds"])]
         for r in summary["pairs"]], title="Handoff waits by agency pair (slowest p95 first)")]
    if summary["work"]:
        parts += [blank, table(
            ["agency", "stays", "p50", "p95"],
            [[w["agency"], w["stays"], seconds(w["work_p50_seconds"]), seconds(w["work_p95_seconds"])]
             for w in summary["work"]], title="Work in each agency once taken up (slowest p95 first)")]
    if summary["backlog"]:
        parts += [blank, table(
            ["agency", "pending", "oldest"],
            [[b["agency"], b["pending"], seconds(b["oldest_age_seconds"])] for b in summary["backlog"]],
            title="Backlog (handoffs not yet taken up)")]
    else:
        parts += [blank, Text("Backlog: none pending")]
    bounced = summary.get("bounced_count", len(summary["bounced_cases"]))  # a trail before counts
    listed = summary.get("bounces", [])[:20]
    more = f" (the {len(listed)} returned last)" if bounced > len(listed) else ""
    parts += [blank, Text(f"Bounced cases, 推诿扯皮 (returned twice or more): {bounced}{more}",
                      style="bold red" if bounced else "")]
    for bounce in listed:
        parts.append(Text(f"  {bounce['case_id']} returned {bounce['returns']} times: " + "; ".join(
            f"{step['from_agency']}{'/' + step['unit'] if step['unit'] else ''} -> "
            f"{step['to_agency']} ({step['reason']})" for step in bounce["path"])))
    return Group(*parts)


def handoff_report(summary: dict[str, Any]) -> str:
    return plain(handoff_view(summary))


def _trail_note(entry: dict[str, Any]) -> str:
    details = entry["details"]
    if entry["event_type"].startswith("handoff."):
        note = f"{details['from_agency']} -> {details['to_agency']} ({details['purpose']})"
        if entry["event_type"] == "handoff.returned":
            note += f": {details['reason']}"
        return note
    if entry["event_type"] == "case.triaged":
        return f"to {details['station_id']}"
    if entry["event_type"] == "trail.bounced":
        return f"flagged: returned {details['returns']} times (推诿扯皮)"
    if entry["event_type"] == "consultation.held":
        return (", ".join(f"{role} {who}" for role, who in details["participants"].items())
                + f": {details['plan']}")
    if entry["event_type"] == "case.closed":
        return f"{details['outcome']}, ¥{details['amount_recovered']}, {details['days_open']} days"
    return ", ".join(f"{k}={v}" for k, v in details.items()
                     if not isinstance(v, (dict, list)) and k != "worked_seconds")


def trail_view(trail: dict[str, Any]) -> Group:
    head = Text(f"Case {trail['case_id']}: ", style="bold")
    head.append(f"{trail['state']} (legal aid: {trail['aid_state']})")
    if trail["outcome"]:
        head.append(f", outcome {trail['outcome']}, recovered ¥{trail['amount_recovered']}")
    parts: list[RenderableType] = [head]
    if trail.get("bounced"):
        parts.append(Text(f"BOUNCED (推诿扯皮): returned {trail['returns']} times between agencies",
                          style="bold red"))
    parts.append(table(
        ["at", "agency", "role", "event", "waited", "worked", "rule", "details"],
        [[entry["at"][:23], entry["agency"], entry["role"], entry["event_type"],
          seconds(entry["waited_seconds"]) if entry["waited_seconds"] is not None else "",
          seconds(entry["worked_seconds"]) if entry["worked_seconds"] is not None else "",
          entry["rule"] or "", _trail_note(entry)] for entry in trail["entries"]]))
    if trail["anomalies"]:
        parts += [Text(), Text("Anomalies:", style="bold yellow")] + [Text(f"  {a}") for a in trail["anomalies"]]
    return Group(*parts)


def reads_view(reads: list[dict[str, Any]]) -> Table:
    """Reads of personal data (``disputes reads``): field names, never values."""
    return table(["at", "case", "agency", "reader", "role", "purpose", "via", "fields"],
                 [[r["at"][:19], r["case_id"], r["agency"], r["reader"], r["role"], r["purpose"],
                   r["via"], ", ".join(r["fields"])] for r in reads],
                 title=f"{len(reads)} reads of personal data")


def trail_report(trail: dict[str, Any]) -> str:
    return plain(trail_view(trail))


def trail_csv(trail: dict[str, Any]) -> str:
    """The trail's entries as CSV, one row an entry, details as JSON (for spreadsheets)."""
    import csv
    import json

    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["at", "agency", "role", "event_type", "move", "rule", "waited_seconds",
               "worked_seconds", "event_id", "causation_id"]
    writer.writerow(["case_id", *columns, "details"])
    for entry in trail["entries"]:
        writer.writerow([trail["case_id"], *("" if entry[c] is None else entry[c] for c in columns),
                         json.dumps(entry["details"], ensure_ascii=False, sort_keys=True)])
    return out.getvalue()


class CasesPerSecond(ProgressColumn):
    """Cases ended per second, over the last half minute (rich's own speed counts bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- cases/s" if speed is None else f"{speed:.1f} cases/s", style="progress.data.speed")


class DemoProgress:
    """How many of the demo's cases have ended, with their rate and the time left: redrawn in
    place on a terminal; when piped, one plain line at each tenth, for logs."""

    def __init__(self, stream: TextIO | None = None) -> None:
        stream = stream or sys.stderr
        self.live = stream.isatty()
        console = Console(file=stream, width=None if self.live else PLAIN_WIDTH, highlight=False)
        self.progress = Progress(
            TextColumn("cases ended"), BarColumn(), MofNCompleteColumn(), CasesPerSecond(),
            TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            console=console, auto_refresh=False, redirect_stdout=False, redirect_stderr=False)
        self.task = self.progress.add_task("demo", total=None)
        self.tenth = -1

    def __enter__(self) -> DemoProgress:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def __call__(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total, refresh=self.live)
        tenth = done * 10 // max(total, 1)
        if not self.live and tenth != self.tenth:
            self.tenth = tenth
            self.progress.console.print(self.progress.make_tasks_table(self.progress.tasks))
