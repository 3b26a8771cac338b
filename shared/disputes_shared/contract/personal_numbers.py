"""Resident ID numbers (居民身份证号码, GB 11643-1999) and Chinese phone numbers, checked as the
rules that issue them define them, not by their shape alone.

Each check returns the problem in words, or ``None``; the words never repeat the value (they end
up in 400 answers and parking reasons, which must not carry personal data).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from ..clocks.statutory import CHINA_TIME

# ISO 7064 MOD 11-2: the weight of each of the first 17 digits, and the check character by remainder.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
RESIDENT_ID_PATTERN = r"^\d{17}[\dXx]$"
# Labor Law art. 15: no employer may take on a minor under sixteen (未满十六周岁).
MINIMUM_WORKING_AGE = 16
EARLIEST_BIRTH_YEAR = 1900

_MOBILE = r"(?:\+86[- ]?)?1[3-9]\d{9}"
# A landline: the area code (010, 02x, or 0 and three digits from 3) then 7 or 8 digits not
# starting with 0 or 1; from abroad +86 replaces the area code's leading 0.
_LANDLINE = r"(?:\+86[- ]?|0)(?:10|2\d|[3-9]\d\d)[- ]?[2-9]\d{6,7}"
PHONE_PATTERN = f"^(?:{_MOBILE}|{_LANDLINE})$"
MOBILE_PATTERN = r"^1[3-9]\d{9}$"
# The shape the dossier's major 1 publishes for a phone; a landline or +86 needs a new major.
DOSSIER_V1_PHONE_SHAPE = r"^1\d{10}$"


def check_character(first_17: str) -> str:
    """The 18th character of the resident ID number that begins with these 17 digits."""
    if len(first_17) != 17 or not first_17.isdigit():
        raise ValueError("a resident ID number's check character follows exactly 17 digits")
    return _CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first_17, _WEIGHTS, strict=True)) % 11]


def with_check_character(first_17: str) -> str:
    """The full 18-character resident ID number: the 17 digits and their check character."""
    return first_17 + check_character(first_17)


def china_today() -> date:
    return datetime.now(CHINA_TIME).date()


def resident_id_problem(value: str, today: date | None = None) -> str | None:
    """What is wrong with ``value`` as a resident ID number, or ``None``: its shape, its region
    code (6 digits, the first 1 to 8), its birth date (a real day, the holder at least
    ``MINIMUM_WORKING_AGE`` years old ``today``), and its check character."""
    if not re.fullmatch(RESIDENT_ID_PATTERN, value, re.ASCII):
        return "must be an 18-character resident ID number: 17 digits, then a digit or X"
    if value[0] not in "12345678":
        return "must begin with a region code whose first digit is 1 to 8"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "must carry a real birth date in characters 7 to 14"
    today = today or china_today()
    if born.year < EARLIEST_BIRTH_YEAR or born > today:
        return "must carry a plausible birth date in characters 7 to 14"
    if _age_on(born, today) < MINIMUM_WORKING_AGE:
        return f"must belong to someone at least {MINIMUM_WORKING_AGE} years old (Labor Law art. 15)"
    if value[17].upper() != check_character(value[:17]):
        return "has a wrong check character (GB 11643-1999): a digit was mistyped"
    return None


def mobile_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a mainland mobile number (11 digits, 13 to 19), or ``None``."""
    if re.fullmatch(MOBILE_PATTERN, value, re.ASCII):
        return None
    return "must be a mobile number: 11 digits, starting 13 to 19"


def phone_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a Chinese phone number, or ``None``: a mobile number or a
    landline with its area code, either optionally after +86."""
    if re.fullmatch(PHONE_PATTERN, value, re.ASCII):
        return None
    return ("must be a mobile number (11 digits, starting 13 to 19) or a landline with its "
            "area code (e.g. 028-86123456), optionally after +86")


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
