"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)


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


def handoff_report(summary: dict[str, Any]) -> str:
    parts = ["Handoff waits by agency pair (slowest p95 first)", table(
        ["from", "to", "handoffs", "accepted", "returned", "pending", "p50", "p95", "p99", "max"],
        [[r["from_agency"], r["to_agency"], r["handoffs"], r["accepted"], r["returned"], r["pending"],
          seconds(r["wait_p50_seconds"]), seconds(r["wait_p95_seconds"]),
          seconds(r["wait_p99_seconds"]), seconds(r["wait_max_seconds"])]
         for r in summary["pairs"]])]
    if summary["work"]:
        parts += ["", "Work in each agency once taken up (slowest p95 first)", table(
            ["agency", "stays", "p50", "p95"],
            [[w["agency"], w["stays"], seconds(w["work_p50_seconds"]), seconds(w["work_p95_seconds"])]
             for w in summary["work"]])]
    if summary["backlog"]:
        parts += ["", "Backlog (handoffs not yet taken up)", table(
            ["agency", "pending", "oldest"],
            [[b["agency"], b["pending"], seconds(b["oldest_age_seconds"])] for b in summary["backlog"]])]
    else:
        parts += ["", "Backlog: none pending"]
    bounced = summary["bounced_cases"]
    parts += ["", f"Bounced cases (returned twice or more): {len(bounced)}"]
    parts += [f"  {case_id}" for case_id in bounced[:20]]
    return "\n".join(parts)


def trail_report(trail: dict[str, Any]) -> str:
    head = (f"Case {trail['case_id']}: {trail['state']} (legal aid: {trail['aid_state']})"
            + (f", outcome {trail['outcome']}, recovered ¥{trail['amount_recovered']}" if trail["outcome"] else ""))
    rows = []
    for entry in trail["entries"]:
        details = entry["details"]
        if entry["event_type"].startswith("handoff."):
            note = f"{details['from_agency']} -> {details['to_agency']} ({details['purpose']})"
            if entry["event_type"] == "handoff.returned":
                note += f": {details['reason']}"
        elif entry["event_type"] == "case.triaged":
            note = f"to {details['station_id']}"
        elif entry["event_type"] == "case.closed":
            note = f"{details['outcome']}, ¥{details['amount_recovered']}, {details['days_open']} days"
        else:
            note = ", ".join(f"{k}={v}" for k, v in details.items()
                             if not isinstance(v, (dict, list)) and k != "worked_seconds")
        rows.append([entry["at"][:23], entry["agency"], entry["role"], entry["event_type"],
                     seconds(entry["waited_seconds"]) if entry["waited_seconds"] is not None else "",
                     seconds(entry["worked_seconds"]) if entry["worked_seconds"] is not None else "",
                     entry["rule"] or "", note])
    parts = [head, table(["at", "agency", "role", "event", "waited", "worked", "rule", "details"],
                         rows)]
    if trail["anomalies"]:
        parts += ["", "Anomalies:"] + [f"  {a}" for a in trail["anomalies"]]
    return "\n".join(parts)


def trail_csv(trail: dict[str, Any]) -> str:
    """The trail's entries as CSV, one row an entry, details as JSON (for spreadsheets)."""
    import csv
    import io
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
