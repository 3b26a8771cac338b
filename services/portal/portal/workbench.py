"""The staff workbench's own rules, plain Python: the order of a work queue, each agency's desk
as data (its roles, its reasons to return a case, its actions and their forms), and what each
form must hold. The pages (``workbench_pages``) show them; the agency service decides.

A queue puts first what waits longest for this agency or station (handoffs, oldest first) and
what must be done soonest (open cases by their soonest running statutory deadline, breached ones
marked). Every action is one RPC command of the agency's service, the form's fields named as the
command's parameters, so the workbench emits exactly the events that command emits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from disputes_shared.contract.routing import WORKBENCH_COMMANDS
from disputes_shared.contract.vocabularies import SESSION_MODES
from disputes_shared.identity.roles import ROLES_WITH_STATION, Role

from .forms import Form, text_of
from .labels import CLAIM_TYPE

SESSION_MODE_WORDS = {"in_person": "In person", "video": "By video"}
assert set(SESSION_MODE_WORDS) == set(SESSION_MODES)
TEXT_LIMIT = 500  # a reason or a note: what a person types, bounded
AMOUNT_LIMIT = Decimal("100000000")  # yuan; more is a typing error, not a labor claim
EXTENSION_DAYS = 15  # art. 43: an award period is extended once, by at most 15 days

# Why an agency sends a case back (the reason code starts the text the requester reads).
STATION_RETURN_REASONS = {
    "not_this_station": "Not this station's industry or district",
    "not_for_mediation": "Not a dispute mediation can take up",
    "already_handled": "Already handled here or elsewhere",
    "missing_facts": "The claim lacks facts mediation needs",
    "other": "Another reason (explain below)",
}
AGENCY_RETURN_REASONS = {
    "not_competent": "Not for this office (jurisdiction or kind of matter)",
    "out_of_time": "Applied for after the time the law allows",
    "already_handled": "Already handled here or elsewhere",
    "missing_documents": "The application lacks facts or documents",
    "other": "Another reason (explain below)",
}


@dataclass(frozen=True)
class Field:
    """One field of an action's form, named as the RPC command's parameter it fills.

    ``kind``: ``choice`` (one of ``choices``), ``text`` (bounded), ``amount`` (yuan),
    ``date`` (any day), ``day_ahead`` (today or later), ``check`` (a yes/no box), ``days``
    (1 to ``EXTENSION_DAYS``), ``names`` (a list, comma-separated), ``items`` (an amount per
    item of ``choices``: the command gets the items and their sum as ``amount``)."""

    name: str
    kind: str
    label: str
    required: bool = True
    choices: Mapping[str, str] = field(default_factory=dict)
    checked: bool = False  # a ``check`` box ticked when the form opens


@dataclass(frozen=True)
class Action:
    """A button on a case's page: ``command`` called with the case number, the form's values
    and ``fixed`` (what this button always sends), offered while the case is in ``states``."""

    name: str
    command: str
    title: str
    button: str
    states: frozenset[str]
    fields: tuple[Field, ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Desk:
    """An agency's workbench: its service, how it returns a case, and its actions on a case
    (the roles that work at it: ``DESK_OF_ROLE``)."""

    service: str
    title: str
    return_reasons: Mapping[str, str]
    actions: tuple[Action, ...]
    # The service lists its handoffs in an order of its own that comes before their age.
    service_order: bool = False

    def action(self, name: str) -> Action | None:
        return next((a for a in self.actions if a.name == name), None)

    @property
    def commands(self) -> tuple[str, ...]:
        """Every RPC command the desk's pages send: those the broker lets the portal send."""
        return WORKBENCH_COMMANDS[self.service]


def _states(*names: str) -> frozenset[str]:
    return frozenset(names)


MEDIATION = Desk("mediation", "Mediation station", STATION_RETURN_REASONS, (
    Action("session", "record_session", "Record a mediation session", "Record the session",
           _states("in_mediation"), (
               Field("mode", "choice", "How was it held?", choices=SESSION_MODE_WORDS),
               Field("note", "text", "Note (optional; no personal details)", required=False))),
    Action("agreement", "record_agreement", "Record an agreement", "Record the agreement",
           _states("in_mediation"), (
               Field("amount", "amount", "Amount the employer pays (yuan)"),
               Field("pay_by", "day_ahead", "Pay by"))),
    Action("failure", "record_failure", "Record that mediation failed", "Record the failure",
           _states("in_mediation"), (
               Field("reason", "text", "Why"),
               Field("refer_to_arbitration", "check", "Refer the case on to arbitration",
                     checked=True))),
    Action("payment", "record_payment", "The employer paid as agreed", "Record the payment",
           _states("agreement_reached"), (Field("amount", "amount", "Amount paid (yuan)"),)),
    Action("unpaid", "pursue_unpaid_agreement", "The worker takes the agreement further",
           "Apply", _states("agreement_reached"), (
               Field("remedy", "choice", "What the worker applies for", choices={
                   "judicial_confirmation": "Judicial confirmation by the court",
                   "payment_order": "A payment order from the court",
                   "arbitration": "Arbitration"}),)),
))

LEGAL_AID = Desk("legal_aid", "Legal aid centre", AGENCY_RETURN_REASONS, (
    Action("grant", "decide", "Grant legal aid", "Grant", _states("under_review"), (
        Field("hardship_shown", "check", "Economic hardship is shown"),
        Field("exempt_group", "choice", "Exempt from the means test (art. 42)", required=False,
              choices={"specific_group": "A group the law names (art. 42)",
                       "assistance_recipient": "Receives social assistance"}))),
    Action("refuse", "decide", "Refuse legal aid", "Refuse", _states("under_review"),
           (Field("refusal_reason", "text", "Why legal aid is refused"),)),
), service_order=True)  # 绿色通道: the centre lists green-channel applications first

ARBITRATION = Desk("arbitration", "Arbitration commission", AGENCY_RETURN_REASONS, (
    Action("serve", "serve_respondent", "The application was served on the employer",
           "Record the service", _states("in_arbitration")),
    Action("answer", "record_answer", "The employer's answer came", "Record the answer",
           _states("in_arbitration")),
    Action("pass_on", "pass_on_answer", "The answer was passed on to the worker",
           "Record it passed on", _states("in_arbitration")),
    Action("panel", "name_panel", "Name the panel", "Name the panel", _states("in_arbitration"), (
        Field("members", "names", "Arbitrators (comma-separated; empty: the case's arbitrator)",
              required=False),)),
    Action("hearing", "schedule_hearing", "Schedule the hearing", "Schedule",
           _states("in_arbitration"), (Field("hearing_on", "day_ahead", "Hearing day"),)),
    Action("extend", "extend_award_period", "Extend the award period (complex case)", "Extend",
           _states("in_arbitration"), (
               Field("days", "days", "Days (at most 15)"),
               Field("approved_by", "text", "Approved by (the commission's chair)"))),
    Action("award", "record_award", "Make the award", "Record the award",
           _states("in_arbitration"), (
               Field("items", "items", "Amount awarded per item (yuan)",
                     choices=CLAIM_TYPE),)),
    Action("performed", "record_award_performed", "The award was performed", "Record the payment",
           _states("awarded"), (Field("amount", "amount", "Amount paid (yuan)"),)),
    Action("set_aside", "apply_to_set_aside", "The employer applied to set the award aside",
           "Record the application", _states("awarded")),
    Action("to_court", "refer_to_court", "A party goes to court", "Refer to the court",
           _states("in_arbitration", "awarded"), (
               Field("purpose", "choice", "For what", choices={
                   "litigation": "A suit", "enforcement": "Enforcement of the award"}),
               Field("by", "choice", "Who applies", choices={
                   "worker": "The worker", "employer": "The employer"}),
               Field("reason", "text", "Why"))),
))

COURTS = Desk("courts_bridge", "Court", AGENCY_RETURN_REASONS, (
    Action("ruling", "enter_ruling", "Enter the court's ruling", "Enter the ruling",
           _states("in_court"), (
               Field("ruling", "choice", "Ruling", choices={
                   "confirmed": "Mediation agreement confirmed (judicial confirmation)",
                   "judgment": "Judgment for the worker",
                   "dismissed": "Application refused or claim dismissed"}),
               Field("amount", "amount", "Amount the ruling grants (yuan)"))),
    Action("payment_order", "issue_payment_order", "Issue a payment order", "Issue",
           _states("in_court"), (Field("amount", "amount", "Amount ordered (yuan)"),)),
    Action("objection", "record_objection", "The employer objected to the payment order",
           "Record the objection", _states("in_court"), (
               Field("applicant_sues", "check", "The worker goes on with a suit", checked=True),)),
    Action("compliance", "record_compliance", "The employer paid", "Record the payment",
           _states("in_court", "ruled"), (Field("amount", "amount", "Amount paid (yuan)"),)),
    Action("enforce", "start_enforcement", "Start enforcement", "Start enforcement",
           _states("in_court", "ruled"), (Field("amount_due", "amount", "Amount due (yuan)"),)),
    Action("enforced", "conclude_enforcement", "Conclude enforcement", "Conclude",
           _states("enforcing"), (Field("amount_recovered", "amount", "Amount recovered (yuan)"),)),
))

DESKS = (MEDIATION, LEGAL_AID, ARBITRATION, COURTS)
# The desk each workbench role works at.
DESK_OF_ROLE: dict[Role, Desk] = {
    Role.STATION_ADMIN: MEDIATION, Role.MEDIATOR: MEDIATION, Role.LEGAL_AID_OFFICER: LEGAL_AID,
    Role.ARBITRATOR: ARBITRATION, Role.COURT_CLERK: COURTS,
}
WORKBENCH_ROLES = tuple(DESK_OF_ROLE)


def works_at_station(role: Role) -> bool:
    """A mediation station's staff see their station's queue alone."""
    return role in ROLES_WITH_STATION


@dataclass(frozen=True)
class Waiting:
    """A handoff waiting for the agency's (or station's) answer."""

    handoff_id: str
    case_id: str
    requested_at: datetime
    purpose: str


@dataclass(frozen=True)
class OpenCase:
    """A case the agency holds, with its soonest running deadline here, if any."""

    case_id: str
    state: str
    received_at: datetime
    due_at: datetime | None = None
    deadline_kind: str | None = None
    citation: str | None = None
    breaching: bool = False
    sessions: int | None = None
    pay_by: str | None = None


def waiting_handoffs(handoffs: Iterable[Mapping[str, Any]], station: str | None,
                     service_order: bool = False) -> list[Waiting]:
    """Pending handoffs to ``station`` (every one when None), the oldest first, or in the
    order the service gave them."""
    found = [Waiting(str(h["handoff_id"]), str(h["case_id"]), datetime.fromisoformat(h["requested_at"]),
                     str(h.get("purpose", "")))
             for h in handoffs
             if h.get("pending", True) and (station is None or h.get("to_unit") == station)]
    return found if service_order else sorted(found, key=lambda w: w.requested_at)


def open_cases(cases: Iterable[Mapping[str, Any]], clocks: Iterable[Mapping[str, Any]],
               station: str | None, now: datetime) -> list[OpenCase]:
    """The open cases (of ``station`` when given): those with a running deadline first, the
    soonest first (so breached ones lead), then the rest by when they arrived."""
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
            breaching=due is not None and due <= now,
            sessions=int(case["sessions"]) if case.get("sessions") is not None else None,
            pay_by=case.get("pay_by")))
    return sorted(rows, key=lambda r: (r.due_at is None, r.due_at or r.received_at, r.received_at))


def offered(desk: Desk, state: str) -> list[Action]:
    """The desk's actions on a case in ``state``."""
    return [a for a in desk.actions if state in a.states]


def read_return(form: Mapping[str, Any], reasons: Mapping[str, str] = STATION_RETURN_REASONS) -> Form:
    """A handoff sent back: a reason from the list; text too when the reason is "other"."""
    errors: dict[str, str] = {}
    code = text_of(form, "reason")
    if code not in reasons:
        errors["reason"] = "Please choose why the case goes back."
    detail = text_of(form, "detail")
    if code == "other" and not detail:
        errors["detail"] = "Please write the reason."
    elif len(detail) > TEXT_LIMIT:
        errors["detail"] = TOO_LONG
    reason = f"{code}: {detail}" if detail else code
    return Form({"reason": reason, "code": code, "detail": detail}, errors)


def read_action(action: Action, form: Any, today: date) -> Form:
    """An action's form checked field by field: the command's keyword arguments (with the
    action's ``fixed`` ones), or a message per wrong field. ``form``: get/getlist, or a dict."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    typed: dict[str, Any] = {}  # what the person typed, to show again
    for f in action.fields:
        if f.kind == "items":
            typed.update({f"{f.name}.{c}": text_of(form, f"{f.name}.{c}") for c in f.choices})
        else:
            typed[f.name] = text_of(form, f.name)
        value, error = _read_field(f, form, today)
        if error:
            errors[f.name] = error
        elif f.kind == "items":
            values[f.name] = {k: str(v) for k, v in value.items()}
            values["amount"] = str(sum(value.values(), Decimal(0)))
        else:
            values[f.name] = value
    return Form({**values, **action.fixed, "typed": typed}, errors)


def arguments(form: Form) -> dict[str, Any]:
    """A checked form's keyword arguments for its command (without what was typed)."""
    return {k: v for k, v in form.values.items() if k != "typed"}


def _read_field(f: Field, form: Any, today: date) -> tuple[Any, str | None]:
    text = text_of(form, f.name)
    if f.kind == "check":
        return form.get(f.name) == "yes", None
    if f.kind == "items":
        return _items(f, form)
    if not text:
        return None, MISSING.get(f.kind, "Please fill this in.") if f.required else None
    if f.kind == "choice":
        return (text, None) if text in f.choices else (None, "Please choose from the list.")
    if f.kind == "text":
        return (text, None) if len(text) <= TEXT_LIMIT else (None, TOO_LONG)
    if f.kind == "amount":
        amount = _amount(text)
        return (text, None) if amount is not None else (None, AMOUNT_ERROR)
    if f.kind in ("date", "day_ahead"):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None, "A date such as 2026-12-31."
        if f.kind == "day_ahead" and day < today:
            return None, "This day cannot be in the past."
        return text, None
    if f.kind == "days":
        if not text.isdigit() or not 1 <= int(text) <= EXTENSION_DAYS:
            return None, "A number of days from 1 to 15."
        return int(text), None
    if f.kind == "names":
        names = [n.strip() for n in text.replace("，", ",").split(",") if n.strip()]
        if len(names) > 5 or any(len(n) > 64 for n in names):
            return None, "At most 5 names, each at most 64 characters."
        return names, None
    raise ValueError(f"no field kind {f.kind!r}")


AMOUNT_ERROR = "An amount in yuan, such as 8200 or 8200.50."
TOO_LONG = "At most 500 characters."
MISSING = {"choice": "Please choose one.", "text": "Please fill this in.",
           "amount": AMOUNT_ERROR, "date": "A date such as 2026-12-31.",
           "day_ahead": "A date such as 2026-12-31.", "days": "A number of days from 1 to 15."}


def _amount(text: str) -> Decimal | None:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > AMOUNT_LIMIT \
            or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return amount


def _items(f: Field, form: Any) -> tuple[dict[str, Decimal], str | None]:
    """At least one item with an amount, each amount in yuan."""
    found: dict[str, Decimal] = {}
    for code in f.choices:
        text = text_of(form, f"{f.name}.{code}")
        if not text:
            continue
        amount = _amount(text)
        if amount is None:
            return {}, AMOUNT_ERROR
        found[code] = amount
    return (found, None) if found else ({}, "Please give the amount of at least one item.")
