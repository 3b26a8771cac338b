"""How long personal data is kept (PIPL art. 19: no longer than its purpose needs), as data: a
retention schedule per kind of record, configurable per city, and legal holds that stop the
erasure of one case. Plain Python; the services read it through ``retention_schedule``.

A city's schedule is a JSON file (``DISPUTES_RETENTION_FILE``)::

    {"periods": {"case_personal_data": {"years_after_closure": 3},
                 "evidence_files": {"years_after_closure": 3}},
     "legal_holds": {"LD-20260101-AB12CD34EF": "court order (2026) 川01民初123号"}}

Kinds left out keep the defaults below. A case under a legal hold is erased neither on schedule
nor on request (PIPL art. 47's deletion yields to a duty to keep the data) until the hold is
lifted from the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from .clocks.statutory import CHINA_TIME


class RecordKind(StrEnum):
    """The kinds of record holding personal data, each with its own period."""

    CASE_PERSONAL_DATA = "case_personal_data"  # the claim's and each dossier's personal fields
    EVIDENCE_FILES = "evidence_files"  # files a worker sent to intake


# Three years after closure by default: a closed case's parties may still come back within the
# limitation of an award's enforcement (民事诉讼法 art. 250: two years) and a complaint about it.
DEFAULT_YEARS_AFTER_CLOSURE = {RecordKind.CASE_PERSONAL_DATA: 3, RecordKind.EVIDENCE_FILES: 3}
MAX_YEARS = 30


class RetentionSettingsError(ValueError):
    """A retention schedule that cannot be used: the message names the setting and why."""


class LegalHold(Exception):
    """The case is under a legal hold: its personal data is kept whatever the schedule says."""


@dataclass(frozen=True)
class RetentionSchedule:
    years_after_closure: Mapping[RecordKind, int] = field(
        default_factory=lambda: dict(DEFAULT_YEARS_AFTER_CLOSURE))
    legal_holds: Mapping[str, str] = field(default_factory=dict)  # case id -> why it is held

    @staticmethod
    def closed_on(closed_at: datetime) -> date:
        return closed_at.astimezone(CHINA_TIME).date()

    def expires_on(self, kind: RecordKind, closed_at: datetime) -> date:
        """The first day (China's date) the record may no longer be kept: the anniversary of
        the closing day, ``years`` later (29 February falls on 28 February)."""
        return _years_on(self.closed_on(closed_at), self.years_after_closure[kind])

    def expired(self, kind: RecordKind, closed_at: datetime | None, now: datetime) -> bool:
        """Whether a record of a case closed at ``closed_at`` is due for erasure at ``now``:
        never while the case is open, nor while it is held."""
        if closed_at is None:
            return False
        return now.astimezone(CHINA_TIME).date() >= self.expires_on(kind, closed_at)

    def period_ran_out(self, kind: RecordKind, closed_at: datetime) -> str:
        """Why a record of ``kind`` goes, as an erasure's announcement says it."""
        return (f"{self.years_after_closure[kind]} years after the case closed on "
                f"{self.closed_on(closed_at).isoformat()}")

    def closed_before(self, kind: RecordKind, now: datetime) -> datetime:
        """A bound for the query of candidates: every case whose record is expired at ``now``
        closed before it (two days of slack for 29 February; each case found is still checked
        with ``expired``)."""
        today = now.astimezone(CHINA_TIME).date()
        back = _years_on(today, -self.years_after_closure[kind])
        return datetime.combine(back, time(), CHINA_TIME) + timedelta(days=2)

    def due(self, kind: RecordKind, now: datetime,
            candidates: Iterable[tuple[str, datetime | None]]) -> set[str]:
        """Of ``(case_id, closed_at)`` candidates, the cases whose record of ``kind`` is to be
        erased at ``now``: expired, and not held."""
        return {case_id for case_id, closed_at in candidates
                if self.expired(kind, closed_at, now) and not self.held(case_id)}

    def check_not_held(self, case_id: str) -> None:
        if case_id in self.legal_holds:
            raise LegalHold(f"case {case_id} is under a legal hold ({self.legal_holds[case_id]}): "
                            "its personal data is kept until the hold is lifted")

    def held(self, case_id: str) -> bool:
        return case_id in self.legal_holds


def _years_on(day: date, years: int) -> date:
    """The same day ``years`` later (or earlier); 29 February falls on 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def schedule_from_document(document: Any, source: str = "the retention settings") -> RetentionSchedule:
    """A schedule from its JSON document; ``RetentionSettingsError`` naming what is wrong."""
    if not isinstance(document, dict):
        raise RetentionSettingsError(f"{source}: must be a JSON object with 'periods' and 'legal_holds'")
    unknown = set(document) - {"periods", "legal_holds"}
    if unknown:
        raise RetentionSettingsError(f"{source}: unknown settings {sorted(unknown)} "
                                     "(known: periods, legal_holds)")
    periods = document.get("periods", {})
    if not isinstance(periods, dict):
        raise RetentionSettingsError(f"{source}: 'periods' must be an object by kind of record")
    years = dict(DEFAULT_YEARS_AFTER_CLOSURE)
    for name, period in periods.items():
        try:
            kind = RecordKind(name)
        except ValueError:
            raise RetentionSettingsError(
                f"{source}: periods.{name}: not a kind of record (kinds: "
                f"{', '.join(k.value for k in RecordKind)})") from None
        value = period.get("years_after_closure") if isinstance(period, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_YEARS:
            raise RetentionSettingsError(
                f"{source}: periods.{name}.years_after_closure must be a whole number of years "
                f"from 0 to {MAX_YEARS}, not {value!r}")
        years[kind] = value
    holds = document.get("legal_holds", {})
    if not isinstance(holds, dict) or not all(
            isinstance(case, str) and case and isinstance(why, str) and why.strip()
            for case, why in holds.items()):
        raise RetentionSettingsError(f"{source}: 'legal_holds' must map each held case id to why "
                                     "it is held (a non-empty text)")
    return RetentionSchedule(years, dict(holds))


class RetentionFile:
    """The city's schedule from its file, read again whenever the file changes: a legal hold
    added takes effect at the next erasure, without a restart. A file that no longer reads
    stops every erasure (``RetentionSettingsError``) rather than erase past a hold it lost."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._seen: int | None = None
        self._schedule = retention_schedule(path)  # a bad file stops the start
        self._seen = Path(path).stat().st_mtime_ns

    def schedule(self) -> RetentionSchedule:
        try:
            changed = Path(self.path).stat().st_mtime_ns
        except OSError as exc:
            raise RetentionSettingsError(f"retention settings {self.path}: cannot be read "
                                         f"({exc.strerror})") from None
        if changed != self._seen:
            self._schedule, self._seen = retention_schedule(self.path), changed
        return self._schedule


def retention_source(path: str | None) -> RetentionSchedule | RetentionFile:
    """The defaults when no file is named; else the file, followed as it changes."""
    return RetentionFile(path) if path else RetentionSchedule()


def retention_schedule(path: str | None) -> RetentionSchedule:
    """The city's schedule from its file (``DISPUTES_RETENTION_FILE``); none: the defaults."""
    if not path:
        return RetentionSchedule()
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RetentionSettingsError(f"retention settings {path}: cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise RetentionSettingsError(f"retention settings {path}: not JSON ({exc})") from None
    return schedule_from_document(document, f"retention settings {path}")
