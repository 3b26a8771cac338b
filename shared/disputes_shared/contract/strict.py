"""marshmallow fields that take JSON values as they are, and schemas whose text has limits.

marshmallow's own fields are forgiving: a ``Boolean`` takes ``1``, ``"true"`` and ``"yes"``, an
``Integer`` takes ``true`` and ``"5"``, a ``Float`` takes ``"1.5"``, a ``Decimal`` takes ``1e3``.
Across agencies that guesswork hides a partner's bug; these fields refuse it.

``Bounded`` gives every text field a maximum length: the width of the column that keeps a field
of that name (``TEXT_LIMITS``), or ``MAX_TEXT``; every list ``MAX_ITEMS``, every count the
range of an INTEGER column. A value over it is refused where it arrives,
named with its rule, instead of failing later in the database (on PostgreSQL only, SQLite does
not check widths) with the value in the error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

MAX_AMOUNT = Decimal("100000000")  # yuan; a claim above it is not a labor dispute we take
# A non-negative amount up to MAX_AMOUNT, with at most two places.
AMOUNT_PATTERN = r"^(?:100000000(?:\.0{1,2})?|(?:0|[1-9][0-9]{0,7})(?:\.[0-9]{1,2})?)$"
MAX_TEXT = 2000  # free text: reasons, notes, citations
MAX_ITEMS = 50  # any list
MAX_WHOLE = 2**31 - 1  # any count: an INTEGER column

# The widest value of a field, by name, as its column is (plumbing.tables and each service's
# adapters). Ids the platform makes are UUIDs (36) or case numbers (64).
TEXT_LIMITS = {
    "event_type": 64, "case_id": 64, "correlation_id": 64, "causation_id": 36,
    "handoff_id": 36, "clock_id": 36, "to_unit": 64, "station_id": 64, "chosen_station_id": 64,
    "station_kind": 40, "mediator_id": 80, "lawyer_id": 40, "arbitrator_id": 40,
    "approved_by": 100, "district": 32, "platform": 100, "intermediary": 200,
    "court_case_number": 64,
}


class Flag(fields.Boolean):
    """``true`` or ``false``, nothing else."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class WholeNumber(fields.Integer):
    """A JSON integer (``2.0`` is one, as JSON Schema counts); not ``true``, ``2.5`` or ``"2"``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", input=value)
        return value


class Number(fields.Float):
    """A finite JSON number; not a boolean, not text."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.make_error("invalid", input=value)
        return float(value)


# 1900 to 2199: every date of a labor dispute, with room; a year 9999 would overflow the
# statutory periods counted from it.
YEARS = "(?:19|20|21)[0-9]{2}"


class Day(fields.Date):
    """A calendar day as ``YYYY-MM-DD`` (RFC 3339 full-date) in ``YEARS``; not ``20260101``,
    not a week date."""

    pattern = rf"^{YEARS}-[0-9]{{2}}-[0-9]{{2}}$"

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and not re.match(self.pattern, value):
            raise self.make_error("invalid", input=value)
        day = super()._deserialize(value, attr, data, **kwargs)
        if not re.match(self.pattern, day.isoformat()):
            raise self.make_error("invalid", input=value)
        return day


class Instant(fields.AwareDateTime):
    """A moment with its offset (RFC 3339 date-time) in ``YEARS``."""

    pattern = rf"^{YEARS}-"

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not re.match(self.pattern, moment.isoformat()):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        return moment


class Amount(fields.Decimal):
    """Yuan: exact, two places, 0 to ``MAX_AMOUNT``, as text on the wire (``"3200.50"``).

    ``text_only=False`` also takes an integer or a ``Decimal`` (what code inside the platform
    hands to ``encode``); never a float, whose value is not the one the sender typed.
    """

    _text = re.compile(AMOUNT_PATTERN)

    def __init__(self, text_only: bool = False, **kwargs: Any) -> None:
        super().__init__(as_string=True, places=2,
                         validate=validate.Range(min=0, max=MAX_AMOUNT), **kwargs)
        self.text_only = text_only

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        typed = isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool))
        if isinstance(value, str):
            if not self._text.match(value):
                raise self.make_error("invalid", input=value)
        elif self.text_only or not typed:
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class RuleCheck(validate.Validator):
    """A rule beyond a pattern (a check digit, a real date): ``problem`` names what is wrong
    with a value, or returns ``None``. The published JSON Schema carries ``pattern``, the shape
    alone; the rule is in the field's description."""

    def __init__(self, pattern: str, problem: Callable[[str], str | None]) -> None:
        self.pattern = pattern
        self.problem = problem

    def __call__(self, value: Any) -> Any:
        found = self.problem(value)
        if found:
            raise ValidationError(found)
        return value


class Bounded(Schema):
    """A schema whose text fields and lists all have a maximum length (see the module)."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        # A new list: the field's validators may be shared with the class's declared field.
        _bound(field_name, field_obj)
        if isinstance(field_obj, fields.List):
            _bound(field_name, field_obj.inner)
            if not _has(field_obj, validate.Length, "max"):
                field_obj.validators = [*field_obj.validators, validate.Length(max=MAX_ITEMS)]


def _bound(name: str, field: fields.Field) -> None:
    if isinstance(field, fields.Integer) and not _has(field, validate.Range, "max"):
        field.validators = [*field.validators, validate.Range(max=MAX_WHOLE)]
    if (isinstance(field, fields.String) and not _has(field, validate.OneOf)
            and not _has(field, validate.Regexp) and not _has(field, RuleCheck)
            and not _has(field, validate.Length, "max")):
        field.validators = [*field.validators, validate.Length(max=TEXT_LIMITS.get(name, MAX_TEXT))]


def _has(field: fields.Field, kind: type, attribute: str | None = None) -> bool:
    return any(isinstance(v, kind) and (attribute is None or getattr(v, attribute) is not None)
               for v in field.validators)


def money(value: Any) -> Decimal:
    """A yuan amount from what a caller sent (number or text); a clear error for anything else."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise ValueError(f"an amount must be a number of yuan, not {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"an amount must be zero or more yuan, not {value!r}")
    return amount
