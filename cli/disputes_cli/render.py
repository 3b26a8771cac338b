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
        ["from", "to", "handoffs", "accepted", "returned", "pending", "p50", "p95", "max"],
        [[r["from_agency"], r["to_agency"], r["handoffs"], r["accepted"], r["returned"], r["pending"],
          seconds(r["wait_p50_seconds"]), seconds(r["wait_p95_seconds"]), seconds(r["wait_max_seconds"])]
         for r in summary["pairs"]])]
    if summary["backlog"]:
        parts += ["", "Backlog (handoffs not yet taken up)", table(
            ["agency", "pending", "oldest"],
            [[b["agency"], b["pending"], seconds(b["oldest_age_seconds"])] for b in summary["backlog"]])]
    else:
        parts += ["", "Backlog: none pending"]
    bounces = summary.get("bounces", [])
    parts += ["", f"Bounced cases, 推诿扯皮 (returned twice or more): {len(summary['bounced_cases'])}"]
    for bounce in bounces[:20]:
        parts.append(f"  {bounce['case_id']} returned {bounce['returns']} times: " + "; ".join(
            f"{step['from_agency']}{'/' + step['unit'] if step['unit'] else ''} -> "
            f"{step['to_agency']} ({step['reason']})" for step in bounce["path"]))
    return "\n".join(parts)


def trail_report(trail: dict[str, Any]) -> str:
    head = (f"Case {trail['case_id']}: {trail['state']} (legal aid: {trail['aid_state']})"
            + (f", outcome {trail['outcome']}, recovered ¥{trail['amount_recovered']}" if trail["outcome"] else "")
            + (f"\nBOUNCED (推诿扯皮): returned {trail['returns']} times between agencies"
               if trail.get("bounced") else ""))
    rows = []
    for entry in trail["entries"]:
        details = entry["details"]
        note = ""
        if entry["event_type"].startswith("handoff."):
            note = f"{details['from_agency']} -> {details['to_agency']} ({details['purpose']})"
            if "wait_seconds" in details:
                note += f", waited {seconds(details['wait_seconds'])}"
            if details.get("reason"):
                note += f": {details['reason']}"
        elif entry["event_type"] == "case.triaged":
            note = f"{details['station_id']} by rules {', '.join(details['rules_fired'])}"
        elif entry["event_type"] == "trail.bounced":
            note = f"flagged: returned {details['returns']} times (推诿扯皮)"
        elif entry["event_type"] == "consultation.held":
            note = (", ".join(f"{role} {who}" for role, who in details["participants"].items())
                    + f": {details['plan']}")
        elif entry["event_type"] == "case.closed":
            note = f"{details['outcome']}, ¥{details['amount_recovered']}, {details['days_open']} days"
        else:
            note = ", ".join(f"{k}={v}" for k, v in details.items() if not isinstance(v, (dict, list)))
        rows.append([entry["at"][:23], entry["agency"], entry["event_type"], note])
    parts = [head, table(["at", "agency", "event", "details"], rows)]
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
    writer.writerow(["case_id", "at", "agency", "event_type", "move", "event_id", "causation_id",
                     "details"])
    for entry in trail["entries"]:
        writer.writerow([trail["case_id"], entry["at"], entry["agency"], entry["event_type"],
                         entry["move"], entry["event_id"], entry["causation_id"] or "",
                         json.dumps(entry["details"], ensure_ascii=False, sort_keys=True)])
    return out.getvalue()
