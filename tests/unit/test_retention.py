"""The retention schedule: the day a case's personal data expires, legal holds, and a city's
settings refused with a message that names what is wrong."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from disputes_shared.retention import (
    LegalHold,
    RecordKind,
    RetentionFile,
    RetentionSchedule,
    RetentionSettingsError,
    retention_schedule,
    schedule_from_document,
)

PERSONAL = RecordKind.CASE_PERSONAL_DATA


def test_personal_data_expires_on_the_anniversary_of_the_closing_day_in_china():
    schedule = RetentionSchedule({PERSONAL: 3, RecordKind.EVIDENCE_FILES: 1})
    closed = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 2 March, 04:00 in China
    assert schedule.expires_on(PERSONAL, closed).isoformat() == "2029-03-02"
    assert schedule.expires_on(RecordKind.EVIDENCE_FILES, closed).isoformat() == "2027-03-02"


def test_it_is_kept_through_the_day_before_and_erased_from_the_day_itself():
    schedule = RetentionSchedule({PERSONAL: 3, RecordKind.EVIDENCE_FILES: 3})
    closed = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    last_kept = datetime(2029, 3, 1, 15, 59, tzinfo=UTC)  # 23:59 on 1 March in China
    assert not schedule.expired(PERSONAL, closed, last_kept)
    assert schedule.expired(PERSONAL, closed, last_kept + timedelta(minutes=1))


def test_a_case_closed_on_29_february_expires_on_28_february():
    schedule = RetentionSchedule({PERSONAL: 1, RecordKind.EVIDENCE_FILES: 1})
    closed = datetime(2028, 2, 29, 4, 0, tzinfo=UTC)
    assert schedule.expires_on(PERSONAL, closed).isoformat() == "2029-02-28"


def test_an_open_case_never_expires():
    assert not RetentionSchedule().expired(PERSONAL, None, datetime(2099, 1, 1, tzinfo=UTC))


def test_a_period_of_zero_years_erases_on_the_closing_day():
    schedule = schedule_from_document({"periods": {"case_personal_data": {"years_after_closure": 0}}})
    closed = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert schedule.expired(PERSONAL, closed, closed)


@pytest.mark.parametrize("now", [datetime(2029, 3, 2, tzinfo=UTC), datetime(2032, 2, 29, 17, tzinfo=UTC),
                                 datetime(2030, 12, 31, 23, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)])
def test_the_query_bound_takes_in_every_expired_case(now):
    schedule = RetentionSchedule()
    bound = schedule.closed_before(PERSONAL, now)
    closing = datetime(2025, 1, 1, tzinfo=UTC)
    while closing < now:
        if schedule.expired(PERSONAL, closing, now):
            assert closing < bound, closing
        closing += timedelta(hours=7)


def test_a_held_case_is_refused_with_why_it_is_held():
    schedule = schedule_from_document({"legal_holds": {"LD-1": "court order 2026-17"}})
    assert schedule.held("LD-1") and not schedule.held("LD-2")
    with pytest.raises(LegalHold, match="court order 2026-17"):
        schedule.check_not_held("LD-1")
    schedule.check_not_held("LD-2")


def test_kinds_a_city_leaves_out_keep_the_defaults():
    schedule = schedule_from_document({"periods": {"evidence_files": {"years_after_closure": 1}}})
    assert schedule.years_after_closure == {PERSONAL: 3, RecordKind.EVIDENCE_FILES: 1}


@pytest.mark.parametrize(("document", "named"), [
    ({"periods": {"claims": {"years_after_closure": 3}}}, "periods.claims: not a kind of record"),
    ({"periods": {"case_personal_data": {"years_after_closure": -1}}}, "years_after_closure must be"),
    ({"periods": {"case_personal_data": {"years_after_closure": "3"}}}, "not '3'"),
    ({"periods": {"case_personal_data": {"years_after_closure": True}}}, "not True"),
    ({"periods": {"case_personal_data": {"years": 3}}}, "not None"),
    ({"legal_holds": {"LD-1": ""}}, "legal_holds"),
    ({"legal_holds": ["LD-1"]}, "legal_holds"),
    ({"holds": {}}, "unknown settings ['holds']"),
    ([], "must be a JSON object"),
])
def test_a_bad_setting_is_refused_naming_it(document, named):
    with pytest.raises(RetentionSettingsError, match=named.replace("[", r"\[").replace("]", r"\]")):
        schedule_from_document(document)


def test_the_schedule_is_read_from_the_citys_file(tmp_path):
    path = tmp_path / "retention.json"
    path.write_text(json.dumps({"periods": {"case_personal_data": {"years_after_closure": 5}}}))
    assert retention_schedule(str(path)).years_after_closure[PERSONAL] == 5
    assert retention_schedule("").years_after_closure[PERSONAL] == 3
    path.write_text("{not json")
    with pytest.raises(RetentionSettingsError, match="not JSON"):
        retention_schedule(str(path))
    with pytest.raises(RetentionSettingsError, match="cannot be read"):
        retention_schedule(str(tmp_path / "missing.json"))


def test_a_hold_added_to_the_file_stops_the_next_erasure_without_a_restart(tmp_path):
    path = tmp_path / "retention.json"
    path.write_text(json.dumps({"legal_holds": {}}))
    followed = RetentionFile(str(path))
    assert not followed.schedule().held("LD-1")
    path.write_text(json.dumps({"legal_holds": {"LD-1": "court order 2026-17"}}))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert followed.schedule().held("LD-1")
    path.write_text("{a hold half written")  # a file that no longer reads stops every erasure
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 2_000_000))
    with pytest.raises(RetentionSettingsError, match="not JSON"):
        followed.schedule()


def test_due_names_the_expired_cases_that_are_not_held():
    schedule = RetentionSchedule(legal_holds={"LD-2": "audit"})
    now = datetime(2029, 3, 2, 9, tzinfo=UTC)
    closed = datetime(2026, 3, 2, 1, tzinfo=UTC)
    assert schedule.due(PERSONAL, now, [("LD-1", closed), ("LD-2", closed), ("LD-3", None),
                                        ("LD-4", closed + timedelta(days=1))]) == {"LD-1"}
