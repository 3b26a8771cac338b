"""The staff workbench's own rules, plain Python: the order of a work queue and what each
form must hold. The pages (``workbench_pages``) show them; the agency service decides.

A queue puts first what waits longest for this station (handoffs, oldest first) and what must
be done soonest (open cases by their soonest running statutory deadline, breached ones marked).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from disputes_shared.contract.vocabularies import SESSION_MODES

from .forms import Form, text_of

# Why a station sends a case back (the reason code starts the text the requester reads).
RETURN_REASONS = {
    "not_this_station": "Not this station's industry or district",
    "not_for_mediation": "Not a dispute mediation can take up",
    "already_handled": "Already handled here or elsewhere",
    "missing_facts": "The claim lacks facts mediation needs",
    "other": "Another reason (explain below)",
}
SESSION_MODE_WORDS = {"in_person": "In person", "video": "By video"}
assert set(SESSION_MODE_WORDS) == set(SESSION_MODES)
TEXT_LIMIT = 500  # a reason or a note: what a person types, bounded
AMOUNT_LIMIT = Decimal("100000000")  # yuan; more is a typing error, not a labor claim


@dataclass(frozen=True)
class Waiting:
    """A handoff waiting for the station's answer."""

    handoff_id: str
    case_id: str
    requested_at: datetime
    purpose: str


@dataclass(frozen=True)
class OpenCase:
    """A case the station holds, with its soonest running deadline here, if any."""

    case_id: str
    state: str
    received_at: datetime
    due_at: datetime | None = None
    deadline_kind: str | None = None
    citation: str | None = None
    breaching: bool = False
    sessions: int = 0
    pay_by: str | None = None


def waiting_handoffs(handoffs: Iterable[Mapping[str, Any]], station: str | None) -> list[Waiting]:
    """Pending handoffs to ``station`` (every station's when None), the oldest first."""
    found = [Waiting(str(h["handoff_id"]), str(h["case_id"]), datetime.fromisoformat(h["requested_at"]),
                     str(h.get("purpose", "")))
             for h in handoffs
             if h.get("pending", True) and (station is None or h.get("to_unit") == station)]
    return sorted(found, key=lambda w: w.requested_at)


def open_cases(cases: Iterable[Mapping[str, Any]], clocks: Iterable[Mapping[str, Any]],
               station: str | None, now: datetime) -> list[OpenCase]:
    """The station's open cases: those with a running deadline first, the soonest first (so
    breached ones lead), then the rest by when they arrived."""
    soonest: dict[str, Mapping[str, Any]] = {}
    for clock in clocks:
        if clock.get("status") != "running":
            continue
        held = soonest.get(str(clock["case_id"]))
        if held is None or datetime.fromisoformat(clock["due_at"]) < datetime.fromisoformat(held["due_at"]):
            soonest[str(clock["case_id"])] = clock
    rows = []
    for case in cases:
        if station is not None and case.get("station_id") != station:
            continue
        deadline = soonest.get(str(case["case_id"]))
        due = datetime.fromisoformat(deadline["due_at"]) if deadline else None
        rows.append(OpenCase(
            case_id=str(case["case_id"]), state=str(case["state"]),
            received_at=datetime.fromisoformat(case["received_at"]), due_at=due,
            deadline_kind=str(deadline["kind"]) if deadline else None,
            citation=str(deadline.get("citation")) if deadline else None,
            breaching=due is not None and due <= now, sessions=int(case.get("sessions") or 0),
            pay_by=case.get("pay_by")))
    return sorted(rows, key=lambda r: (r.due_at is None, r.due_at or r.received_at, r.received_at))


def _bounded_text(form: Mapping[str, Any], name: str, errors: dict[str, str], required: bool) -> str:
    text = text_of(form, name)
    if required and not text:
        errors[name] = "Please write the reason."
    elif len(text) > TEXT_LIMIT:
        errors[name] = "At most 500 characters."
    return text


def read_return(form: Mapping[str, Any]) -> Form:
    """A handoff sent back: a reason from the list; text too when the reason is "other"."""
    errors: dict[str, str] = {}
    code = text_of(form, "reason")
    if code not in RETURN_REASONS:
        errors["reason"] = "Please choose why the case goes back."
    detail = _bounded_text(form, "detail", errors, required=code == "other")
    words = RETURN_REASONS.get(code, "")
    reason = f"{code}: {detail}" if detail else code
    return Form({"reason": reason, "code": code, "detail": detail, "words": words}, errors)


def read_session(form: Mapping[str, Any]) -> Form:
    errors: dict[str, str] = {}
    mode = text_of(form, "mode")
    if mode not in SESSION_MODES:
        errors["mode"] = "Please choose how the session was held."
    note = _bounded_text(form, "note", errors, required=False)
    return Form({"mode": mode, "note": note or None}, errors)


def read_agreement(form: Mapping[str, Any], today: date) -> Form:
    """调解协议: the amount the employer agreed to pay, and the day it is due (not past)."""
    errors: dict[str, str] = {}
    amount_text, pay_by_text = text_of(form, "amount"), text_of(form, "pay_by")
    amount: Decimal | None = None
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        pass
    if amount is None or not amount.is_finite() or amount < 0 or amount > AMOUNT_LIMIT \
            or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        errors["amount"] = "An amount in yuan, such as 8200 or 8200.50."
    pay_by: date | None = None
    try:
        pay_by = date.fromisoformat(pay_by_text)
    except ValueError:
        errors["pay_by"] = "A date such as 2026-12-31."
    if pay_by is not None and pay_by < today:
        errors["pay_by"] = "The day to pay by cannot be in the past."
    return Form({"amount": amount_text, "pay_by": pay_by_text}, errors)


def read_failure(form: Mapping[str, Any]) -> Form:
    """No agreement: why, and whether the case goes on to arbitration."""
    errors: dict[str, str] = {}
    reason = _bounded_text(form, "reason", errors, required=True)
    return Form({"reason": reason, "refer_to_arbitration": form.get("refer") == "yes"}, errors)
