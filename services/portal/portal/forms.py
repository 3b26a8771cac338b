"""The filing form: what the worker typed, checked, and turned into intake's ClaimSubmission.

Plain Python: no web framework here. Messages are msgids; the page translates them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from disputes_shared.contract.consent import SENSITIVE_DATA_CONSENT_TEXTS, sensitive_data_consent
from disputes_shared.contract.stations import DISTRICTS, stations

INDUSTRIES = ("food_delivery", "ride_hailing", "express_delivery", "trucking", "domestic_service",
              "manufacturing", "construction", "retail", "other")
RELATIONSHIPS = ("employment", "incomplete_employment", "civil")
CLAIM_TYPES = ("unpaid_wages", "work_injury", "penalties_deductions", "termination_compensation",
               "social_insurance", "relationship_recognition")

ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")
PHONE = re.compile(r"^1\d{10}$")
AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")
MAX_AMOUNT = Decimal("100000000")

# The form's field each of intake's (nested) field names belongs to.
INTAKE_FIELDS = {
    ("worker", "name"): "name", ("worker", "id_number"): "id_number", ("worker", "phone"): "phone",
    ("employer", "name"): "employer", ("employer", "platform"): "platform",
    ("industry",): "industry", ("relationship",): "relationship", ("claim_types",): "claim_types",
    ("amount_claimed",): "amount", ("district",): "district", ("chosen_station_id",): "station",
    ("description",): "description",
    ("sensitive_data_consent",): "sensitive_data_consent",
    ("sensitive_data_consent_version",): "sensitive_data_consent",
}


@dataclass
class Form:
    """What a person sent, the values to act on, and a message per field that is wrong (the
    worker's filing form, and every staff form of the workbench)."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


Filing = Form  # the worker's claim, as the filing form gives it


def text_of(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name) or ""
    return str(value).strip()


def read_form(form: Any) -> Filing:
    """Check every field; ``form`` is a werkzeug MultiDict or anything with get/getlist."""
    values: dict[str, Any] = {name: text_of(form, name) for name in (
        "name", "id_number", "phone", "employer", "platform", "industry", "relationship",
        "amount", "district", "station", "description")}
    values["id_number"] = values["id_number"].upper()
    values["phone"] = values["phone"].replace(" ", "")
    values["amount"] = values["amount"].replace(",", "").replace("，", "")
    values["claim_types"] = [c for c in form.getlist("claim_types") if c]
    values["legal_aid"] = bool(form.get("legal_aid"))
    # PIPL art. 29: the separate consent to the ID number's processing, to the text the page showed
    values["sensitive_data_consent"] = bool(form.get("sensitive_data_consent"))
    values["sensitive_data_consent_version"] = text_of(form, "sensitive_data_consent_version")
    errors: dict[str, str] = {}

    if not values["name"]:
        errors["name"] = "Please enter your name."
    elif len(values["name"]) > 100:
        errors["name"] = "A name is at most 100 characters."
    if not ID_NUMBER.match(values["id_number"]):
        errors["id_number"] = "An ID number has 18 characters: 17 digits and a digit or X."
    if not PHONE.match(values["phone"]):
        errors["phone"] = "A mobile number has 11 digits and starts with 1."
    if not values["employer"]:
        errors["employer"] = "Please name who you worked for."
    elif len(values["employer"]) > 200:
        errors["employer"] = "At most 200 characters."
    if len(values["platform"]) > 200:
        errors["platform"] = "At most 200 characters."
    if values["industry"] not in INDUSTRIES:
        errors["industry"] = "Please choose the kind of work."
    if values["relationship"] not in RELATIONSHIPS:
        errors["relationship"] = "Please choose how you worked for them."
    if not values["claim_types"]:
        errors["claim_types"] = "Please choose at least one thing you are claiming."
    elif any(c not in CLAIM_TYPES for c in values["claim_types"]):
        errors["claim_types"] = "Please choose from the list."
    errors.update(_amount_error(values["amount"]))
    if values["district"] not in DISTRICTS:
        errors["district"] = "Please choose your district."
    if values["station"] and values["station"] not in {s.station_id for s in stations()}:
        errors["station"] = "That station is not in the directory; please choose from the list."
    if len(values["description"]) > 5000:
        errors["description"] = "At most 5000 characters."
    if values["sensitive_data_consent_version"] not in SENSITIVE_DATA_CONSENT_TEXTS:
        errors["sensitive_data_consent"] = "The consent text has changed; please read it and agree again."
    elif not values["sensitive_data_consent"]:
        errors["sensitive_data_consent"] = ("Your claim can be handled only with your consent to the "
                                            "processing of your ID number.")
    return Filing(values, errors)


def _amount_error(amount: str) -> dict[str, str]:
    if not amount:
        return {"amount": "Please enter the amount you are owed, in yuan."}
    if not AMOUNT.match(amount):
        return {"amount": "Write the amount in yuan as digits, e.g. 3200 or 3200.50."}
    try:
        if Decimal(amount) <= 0 or Decimal(amount) > MAX_AMOUNT:
            return {"amount": "The amount must be more than 0 and at most 100,000,000 yuan."}
    except InvalidOperation:
        return {"amount": "Write the amount in yuan as digits, e.g. 3200 or 3200.50."}
    return {}


def to_claim(filing: Filing) -> dict[str, Any]:
    """The ClaimSubmission intake's ``POST /v1/claims`` takes (docs/openapi.yaml)."""
    v = filing.values
    return {
        "channel": "online",
        "worker": {"name": v["name"], "id_number": v["id_number"], "phone": v["phone"]},
        "employer": {"name": v["employer"], "platform": v["platform"] or None},
        "industry": v["industry"],
        "relationship": v["relationship"],
        "claim_types": list(v["claim_types"]),
        "amount_claimed": v["amount"],
        "district": v["district"],
        "legal_aid_requested": v["legal_aid"],
        "chosen_station_id": v["station"] or None,
        "description": v["description"] or None,
        **sensitive_data_consent(v["sensitive_data_consent_version"]),
    }


def intake_errors(fields: Mapping[str, Any]) -> dict[str, str]:
    """Intake's 400 ``fields`` (nested) on the form's fields; what has no field goes under "form".

    Intake's own wording is English and technical, so the page shows its fixed message for the
    field rather than intake's text."""
    errors: dict[str, str] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            for key, child in node.items():
                walk(child, path + (str(key),))
            return
        for length in range(len(path), 0, -1):
            if path[:length] in INTAKE_FIELDS:
                errors[INTAKE_FIELDS[path[:length]]] = "The platform did not accept this; please check it."
                return
        errors["form"] = "The platform did not accept the claim; please check the form."

    walk(fields, ())
    return errors


def station_choices(industry: str = "", district: str = "") -> list[Any]:
    """The directory, stations serving the worker's industry and district first."""
    def rank(s: Any) -> tuple[int, int]:
        return (0 if industry and industry in s.industries else 1, 0 if s.district == district else 1)
    return sorted(stations(), key=rank)
