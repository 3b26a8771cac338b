"""The report as one HTML page a centre can mail or print: its figures as tables and four plots
(matplotlib), embedded as PNG so the page stands alone."""

from __future__ import annotations

import base64
import io
from html import escape
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the service draws into memory

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

PLOT_DPI = 100


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PLOT_DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def nothing_to_show(title: str, why: str) -> bytes:
    """A plot of a period with no data for it: says so rather than drawing empty axes."""
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.set_title(title)
    ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return png(fig)


def trend_plot(figures: dict[str, Any]) -> bytes:
    months = [row["month"] for row in figures["trend"]]
    counts = [row["cases"] for row in figures["trend"]]
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(months, counts, marker="o")
    ax.set_title("Cases received per month")
    ax.set_ylabel("cases")
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_ylim(bottom=0)
    return png(fig)


def waits_heat_map(figures: dict[str, Any]) -> bytes:
    """Median handoff wait in days, from agency (rows) to agency (columns)."""
    waits = figures["waits"]
    if not waits:
        return nothing_to_show("Median handoff wait (days)", "no handoff answered in the period")
    senders = sorted({w["from_agency"] for w in waits})
    receivers = sorted({w["to_agency"] for w in waits})
    grid = [[float("nan")] * len(receivers) for _ in senders]
    for w in waits:
        grid[senders.index(w["from_agency"])][receivers.index(w["to_agency"])] = w["days"]["median"]
    fig, ax = plt.subplots(figsize=(1.6 * max(len(receivers), 2) + 2, 0.8 * max(len(senders), 2) + 1.5))
    image = ax.imshow(grid, cmap="Reds", aspect="auto", vmin=0)
    ax.set_xticks(range(len(receivers)), receivers, rotation=30, ha="right")
    ax.set_yticks(range(len(senders)), senders)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value == value:  # not NaN
                ax.text(j, i, f"{value:.1f}", ha="center", va="center")
    ax.set_title("Median handoff wait (days), from → to")
    fig.colorbar(image, ax=ax)
    return png(fig)


def outcome_plot(figures: dict[str, Any]) -> bytes:
    outcomes = figures["closed"]["by_outcome"]
    if not outcomes:
        return nothing_to_show("Outcomes of the cases closed", "no case closed in the period")
    fig, ax = plt.subplots(figsize=(6, 3))
    total = sum(outcomes.values()) or 1
    ax.barh(list(outcomes), [100 * v / total for v in outcomes.values()])
    ax.invert_yaxis()
    ax.set_xlabel("% of cases closed")
    ax.set_title("Outcomes of the cases closed")
    return png(fig)


def top_employers_plot(figures: dict[str, Any]) -> bytes:
    rows = figures["top_employers"]
    if not rows:
        return nothing_to_show("Employers with most claims", "no claim named an employer in the period")
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh([r["employer_ref"] for r in rows], [r["cases"] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("claims received")
    ax.set_title("Employers with most claims (by ref)")
    return png(fig)


PLOTS = {"trend": trend_plot, "waits": waits_heat_map, "outcomes": outcome_plot,
         "top_employers": top_employers_plot}


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def as_html(figures: dict[str, Any]) -> str:
    received, closed, mediation, money = (figures["received"], figures["closed"], figures["mediation"],
                                          figures["money"])
    rate = mediation["success_rate"]
    summary = [["cases received", received["cases"]], ["workers", received["workers"]],
               ["cases closed", closed["cases"]], ["mediations ended", mediation["ended"]],
               ["mediation success rate", "–" if rate is None else f"{100 * rate:.1f}%"],
               ["money claimed (yuan)", money["claimed_yuan"]], ["money recovered (yuan)", money["recovered_yuan"]],
               ["handoffs returned", figures["returns"]["handoffs_returned"]],
               ["cases bounced (推诿扯皮)", figures["returns"]["cases_bounced"]]]
    parts = [f"<h1>Labor disputes: {escape(figures['period'])}</h1>", _table(["figure", "value"], summary)]
    for name, title in (("by_district", "district"), ("by_industry", "industry"), ("by_claim_type", "claim type"),
                        ("by_relationship", "working relationship"), ("by_channel", "channel"),
                        ("by_platform", "platform")):
        parts.append(f"<h2>Cases received by {title}</h2>"
                     + _table([title, "cases"], [[k, v] for k, v in received[name].items()]))
    parts.append("<h2>Handoff waits (days)</h2>" + _table(
        ["from", "to", "handoffs", "mean", "median", "p90"],
        [[w["from_agency"], w["to_agency"], w["days"]["count"], w["days"]["mean"], w["days"]["median"],
          w["days"]["p90"]] for w in figures["waits"]]))
    parts.append("<h2>Days worked per agency</h2>" + _table(
        ["agency", "stretches", "mean", "median", "p90"],
        [[w["agency"], w["days"]["count"], w["days"]["mean"], w["days"]["median"], w["days"]["p90"]]
         for w in figures["work"]]))
    parts.append("<h2>Early warnings</h2>" + _table(
        ["raised", "rule", "subject", "why", "warning"],
        [[w["raised_at"], w["rule"], w["subject"], w["explanation"], w["event_id"]]
         for w in figures["warnings"]]))
    for name, draw in PLOTS.items():
        encoded = base64.b64encode(draw(figures)).decode()
        parts.append(f'<img alt="{escape(name)}" src="data:image/png;base64,{encoded}">')
    style = ("body{font-family:sans-serif;max-width:60rem;margin:auto}table{border-collapse:collapse;"
             "margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}img{max-width:100%}")
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>Report '
            f"{escape(figures['period'])}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
