"""The report as a document: JSON (every figure), CSV (one row per figure), HTML (the figures
and the plots, embedded as PNG), PDF (the HTML laid out on A4 pages)."""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

FORMATS = ("json", "csv", "html", "pdf")


def render(figures: dict[str, Any], format: str) -> str:
    if format == "json":
        return json.dumps(figures, ensure_ascii=False, indent=2) + "\n"
    if format == "csv":
        return as_csv(figures)
    if format == "html":
        from .html import as_html  # matplotlib is loaded only for the plots

        return as_html(figures)
    if format == "pdf":
        from .pdf import as_pdf

        # The RPC carries JSON text: the PDF's bytes travel as base64.
        return base64.b64encode(as_pdf(figures)).decode("ascii")
    raise ValueError(f"a report is one of {', '.join(FORMATS)}, not {format!r}")


def rows(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every figure as (section, name, value), in the report's order: what the CSV holds."""
    out: list[tuple[str, str, str]] = []

    def walk(section: str, name: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(section, f"{name}.{key}" if name else str(key), inner)
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                label = _label(inner) if isinstance(inner, dict) else str(i)
                walk(section, f"{name}[{label}]" if name else label, _unlabelled(inner))
        else:
            out.append((section, name, "" if value is None else str(value)))

    for section, value in figures.items():
        walk(section, "", value)
    return out


def _label(row: dict[str, Any]) -> str:
    keys = [k for k in ("month", "from_agency", "to_agency", "agency", "employer_ref", "rule", "subject")
            if k in row]
    return "/".join(str(row[k]) for k in keys) or "?"


def _unlabelled(row: Any) -> Any:
    if not isinstance(row, dict):
        return row
    return {k: v for k, v in row.items()
            if k not in ("month", "from_agency", "to_agency", "agency", "employer_ref", "rule", "subject")}


def as_csv(figures: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "figure", "value"])
    writer.writerows(rows(figures))
    return buffer.getvalue()
