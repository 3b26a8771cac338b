"""The CLI's synthetic claims: reproducible, valid, and covering every planned path."""

from __future__ import annotations

import pytest

from disputes_cli.synthetic import PATHS, planned_cases
from intake.api import validate_submission
from legal_aid.domain import means_test

CASES = planned_cases(400, seed=2026)
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def test_the_same_seed_plans_the_same_cases():
    assert planned_cases(60, seed=7) == planned_cases(60, seed=7)


def test_another_seed_plans_other_cases():
    assert planned_cases(60, seed=7) != planned_cases(60, seed=8)


def test_every_planned_claim_is_a_valid_submission():
    for case in CASES:
        validate_submission(case.claim)


def test_every_path_is_planned_among_400_cases():
    assert {case.path for case in CASES} == set(PATHS)


def test_every_resident_id_number_carries_its_check_digit():
    for case in CASES:
        number = case.claim["worker"]["id_number"]
        total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
        assert number[17] == "10X98765432"[total % 11], number


@pytest.mark.parametrize("case", [c for c in CASES if c.claim["legal_aid_requested"]][:60],
                         ids=lambda c: c.path)
def test_the_planned_aid_state_is_what_the_legal_aid_means_test_decides(case):
    decided = means_test(case.claim, case.hardship_shown)
    assert case.expected_aid_state == ("refused" if decided == "failed" else "granted")


def test_a_case_that_asks_no_aid_expects_none():
    assert all(c.expected_aid_state == "none" for c in CASES if not c.claim["legal_aid_requested"])


def test_each_path_names_the_outcome_the_case_must_end_with():
    assert all(case.expected_outcome == PATHS[case.path][1] for case in CASES)
