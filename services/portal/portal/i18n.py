"""The page's language: Simplified Chinese unless the worker chose English; Babel catalogues."""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
LOCALE_OF = {"zh": "zh_CN", "en": "en"}
TRANSLATIONS = Path(__file__).parent / "translations"


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """An explicit ?lang= wins, then the remembered choice, then an English-first browser."""
    for wanted in (query, cookie):
        if wanted in LANGUAGES:
            return str(wanted)
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else DEFAULT


@cache
def translations(language: str) -> gettext.NullTranslations:
    """Compiled from the committed .po on first use (no build step); msgids are English."""
    po = TRANSLATIONS / LOCALE_OF[language] / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=LOCALE_OF[language])
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
