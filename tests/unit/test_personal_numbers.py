"""Resident ID numbers by GB 11643-1999 and phone numbers by the mainland's numbering rules."""

from __future__ import annotations

from datetime import date

import pytest

from disputes_shared.contract.personal_numbers import (
    check_character,
    mobile_problem,
    phone_problem,
    resident_id_problem,
    with_check_character,
)

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(("first_17", "check"), [
    ("11010519491231002", "X"),  # the standard's own example
    ("44052418800101001", "4"),
    ("51010419900101123", "0"),
])
def test_the_check_character_is_iso_7064_mod_11_2(first_17, check):
    assert check_character(first_17) == check


def test_a_valid_number_passes_with_an_upper_or_lower_x():
    number = with_check_character("11010519491231002")
    assert resident_id_problem(number, TODAY) is None
    assert resident_id_problem(number.lower(), TODAY) is None


def test_every_single_mistyped_digit_is_caught():
    number = with_check_character("51010419900101123")
    for position in range(17):
        for digit in "0123456789":
            typo = number[:position] + digit + number[position + 1:]
            if typo != number and resident_id_problem(typo, TODAY) is None:
                pytest.fail(f"a typo at {position + 1} went through")


@pytest.mark.parametrize(("first_17", "words"), [
    ("01010419900101123", "region code"),
    ("91010419900101123", "region code"),
    ("51010419901301123", "real birth date"),
    ("51010420270101123", "plausible birth date"),
    ("51010418890101123", "plausible birth date"),
    ("51010420101205123", "at least 16"),
])
def test_a_number_with_an_impossible_region_or_birth_date_is_refused(first_17, words):
    assert words in resident_id_problem(with_check_character(first_17), TODAY)


def test_the_sixteenth_birthday_is_the_first_day_a_worker_may_file():
    assert resident_id_problem(with_check_character("51010420101204123"), TODAY) is None
    assert "at least 16" in resident_id_problem(with_check_character("51010420101205123"), TODAY)


@pytest.mark.parametrize("value", ["5101041990010112", "5101041990010112345", "51010419900101123Y",
                                   "51010419900101123\n", "５１０１０４１９９００１０１１２３０"])
def test_a_number_of_the_wrong_shape_is_refused(value):
    assert "18-character" in resident_id_problem(value, TODAY)


def test_a_problem_never_repeats_the_number():
    number = with_check_character("51010419900101123")
    typo = number[:-1] + ("1" if number[-1] != "1" else "2")
    assert number[:17] not in resident_id_problem(typo, TODAY)


@pytest.mark.parametrize("value", ["13800001111", "19912345678", "+8613800001111", "+86 13800001111",
                                   "010-62345678", "02886123456", "0851-8123456", "+86-28-86123456"])
def test_mobiles_and_landlines_with_their_area_code_are_phone_numbers(value):
    assert phone_problem(value) is None


@pytest.mark.parametrize("value", ["12800001111", "1380000111", "138000011112", "86123456",
                                   "028-06123456", "00-12345678", "010-12345678", "13800001111\n", "138 0000 1111"])
def test_other_numbers_are_not(value):
    assert phone_problem(value) is not None


def test_the_dossier_takes_mobiles_alone():
    assert mobile_problem("13800001111") is None
    assert mobile_problem("12800001111") is not None
    assert mobile_problem("010-62345678") is not None
