"""The report as documents: the CSV holds every figure of the JSON, the HTML page its tables
and four plots, each a non-empty PNG that shows something."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from typing import Any

import pytest
from PIL import Image

from analytics.documents import render, rows
from analytics.html import PLOTS

from .test_analytics import feed, plan_cases, report


@pytest.fixture
def figures(analytics_db: Any) -> dict[str, Any]:
    feed(analytics_db, plan_cases(150))
    return report(analytics_db)


def test_the_json_document_is_the_figures(figures: dict[str, Any]) -> None:
    assert json.loads(render(figures, "json")) == figures


def test_the_csv_holds_every_figure(figures: dict[str, Any]) -> None:
    table = list(csv.reader(io.StringIO(render(figures, "csv"))))
    assert table[0] == ["section", "figure", "value"]
    by_name = {(section, name): value for section, name, value in table[1:]}
    assert by_name[("received", "cases")] == str(figures["received"]["cases"])
    assert by_name[("money", "recovered_yuan")] == figures["money"]["recovered_yuan"]
    for district, count in figures["received"]["by_district"].items():
        assert by_name[("received", f"by_district.{district}")] == str(count)
    assert by_name[("trend", "2026-11.cases")] == str(figures["trend"][-1]["cases"])
    assert len(table) - 1 == len(rows(figures))


@pytest.mark.parametrize("plot", sorted(PLOTS))
def test_each_plot_is_a_png_that_is_not_blank(figures: dict[str, Any], plot: str) -> None:
    image = Image.open(io.BytesIO(PLOTS[plot](figures))).convert("L")
    assert image.width > 200 and image.height > 100
    low, high = image.getextrema()
    assert high - low > 100  # something is drawn on the white
    assert len(set(image.get_flattened_data())) > 10


def test_the_html_page_embeds_the_four_plots_and_the_figures(figures: dict[str, Any]) -> None:
    page = render(figures, "html")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(PLOTS) == 4
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert f"<td>cases received</td><td>{figures['received']['cases']}</td>" in page


def test_an_unknown_format_is_refused(figures: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="json, csv, html, pdf"):
        render(figures, "docx")


def test_a_period_without_cases_still_gives_every_document(analytics_db: Any) -> None:
    empty = report(analytics_db, "2020-01")
    assert empty["received"]["cases"] == 0 and empty["mediation"]["success_rate"] is None
    assert render(empty, "html").count("data:image/png;base64,") == len(PLOTS)
    for plot in PLOTS.values():
        assert Image.open(io.BytesIO(plot(empty))).getextrema() != ((255, 255), (255, 255), (255, 255), (255, 255))
    assert render(empty, "csv").startswith("section,figure,value\n")


def test_the_pdf_is_the_report_laid_out_on_its_pages(figures: dict[str, Any]) -> None:
    from pypdf import PdfReader

    pdf = base64.b64decode(render(figures, "pdf"), validate=True)
    assert pdf.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(pdf)).pages
    # The tables and four plots do not fit on one page; each page is numbered "page i of n"
    # as laid out, so every page laid out is in the file, in order.
    assert len(pages) >= 2
    texts = [page.extract_text() for page in pages]
    assert all(f"page {i} of {len(pages)}" in text for i, text in enumerate(texts, start=1))
    assert f"Labor disputes: {figures['period']}" in texts[0] and "Early warnings" in " ".join(texts)
    # WeasyPrint shares one resource dictionary between pages: count the images themselves.
    assert len({image.data for page in pages for image in page.images}) == len(PLOTS)
