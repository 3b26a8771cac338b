"""The report as a PDF (WeasyPrint): the HTML page, its plots already embedded, laid out on A4
pages numbered for printing and filing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weasyprint.document import Document

from .html import as_html

# Chinese names (stations, platforms, 推诿扯皮) need a CJK font: the first one installed is used.
PRINT_STYLE = """
@page { size: A4; margin: 18mm 15mm 20mm;
        @bottom-center { content: "page " counter(page) " of " counter(pages); font-size: 8pt; } }
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Noto Sans", "DejaVu Sans", sans-serif;
       font-size: 9pt; max-width: none; }
h2 { break-after: avoid; }
table, img { break-inside: avoid; }
img { display: block; margin: 4mm 0; }
"""


def laid_out(figures: dict[str, Any]) -> Document:
    """The report's pages as WeasyPrint lays them out."""
    from weasyprint import CSS, HTML  # loaded only when a PDF is asked for

    return HTML(string=as_html(figures)).render(stylesheets=[CSS(string=PRINT_STYLE)])


def as_pdf(figures: dict[str, Any]) -> bytes:
    return bytes(laid_out(figures).write_pdf())
