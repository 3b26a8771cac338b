"""Simulated agency staff: they take up handoffs and record decisions, as each case's planned
path says, through the same RPC commands real staff systems use."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .synthetic import THROUGH_ARBITRATION, PlannedCase

Action = tuple[str, str, tuple[Any, ...], dict[str, Any]]  # service, method, args, kwargs


def _share(amount: str, fraction: str) -> str:
    return str((Decimal(amount) * Decimal(fraction)).quantize(Decimal("0.01")))


def _items(claim_types: list[str], total: str) -> dict[str, str]:
    """An award split evenly over the claim's types, the last taking the remainder."""
    each = (Decimal(total) / len(claim_types)).quantize(Decimal("0.01"))
    items = {kind: str(each) for kind in claim_types}
    items[claim_types[-1]] = str(Decimal(total) - each * (len(claim_types) - 1))
    return items


@dataclass
class Staff:
    plans: dict[str, PlannedCase]  # by case id
    returned_by_station: set[str] = field(default_factory=set)
    today: Callable[[], date] = date.today  # the platform's day (compressed, for a city year)

    def answer_handoff(self, service: str, handoff: dict[str, Any]) -> Action | None:
        plan = self.plans.get(handoff["case_id"])
        if plan is None:
            return None  # not one of ours: leave it to whoever filed it
        hid = handoff["handoff_id"]
        if (service == "mediation" and plan.path == "station_returned_then_mediated"
                and handoff["case_id"] not in self.returned_by_station):
            self.returned_by_station.add(handoff["case_id"])
            return (service, "return_handoff",
                    (hid, "station at capacity; a station of the same kind is nearer"), {})
        if service == "arbitration" and plan.path == "arbitration_refused_closed":
            return (service, "return_handoff", (hid, "不予受理: beyond the one-year limitation (art. 27)"), {})
        if service == "arbitration" and plan.path == "arbitration_silent_sued":
            return None  # no decision: the acceptance clock runs out (art. 29)
        details = {"court_case_number": f"(2026)川0107民初{zlib.crc32(hid.encode()) % 9000 + 1000}号"} \
            if service == "courts_bridge" else {}
        return (service, "accept_handoff", (hid,), details)

    def hold_consultation(self, claim: dict[str, Any]) -> Action | None:
        """特事急诊: an arbitrator, a mediator of the station and a lawyer agree one plan."""
        if claim["case_id"] not in self.plans:
            return None
        n = zlib.crc32(claim["case_id"].encode()) % 8 + 1
        participants = {"arbitrator": f"arbitrator-{n:02d}",
                        "mediator": f"{claim['station_id'] or 'prearb-city'}-m1",
                        "lawyer": f"lawyer-{n:02d}"}
        plan = "先行调解，核对用工记录与工资发放，三日内组织双方面谈"
        return ("intake", "hold_consultation", (claim["case_id"], participants, plan), {})

    def next_step(self, service: str, case: dict[str, Any]) -> Action | None:
        plan = self.plans.get(case["case_id"])
        if plan is None:
            return None
        step: Callable[[PlannedCase, dict[str, Any]], Action | None] | None = getattr(
            self, f"_{service}", None)
        return step(plan, case) if step else None

    def _mediation(self, plan: PlannedCase, case: dict[str, Any]) -> Action | None:
        cid, path, state = case["case_id"], plan.path, case["state"]
        claimed = plan.claim["amount_claimed"]
        if state == "in_mediation":
            if path == "withdrawn":
                return ("mediation", "close", (cid, "withdrawn"), {})
            if not case.get("sessions"):
                mode = "video" if plan.claim["channel"] == "online" else "in_person"
                return ("mediation", "record_session", (cid, mode), {})
            if path in THROUGH_ARBITRATION or path == "civil_failed_litigated":
                return ("mediation", "record_failure", (cid, "employer disputes the amount"), {})
            pay_by = (self.today() + timedelta(days=15)).isoformat()
            return ("mediation", "record_agreement", (cid, _share(claimed, "0.8"), pay_by), {})
        if state == "agreement_reached":
            if path.startswith("agreement_unpaid"):
                return ("mediation", "refer_unpaid_agreement", (cid,), {})
            return ("mediation", "record_payment", (cid, case["amount_agreed"]), {})
        if state == "arbitration_refused":
            if path == "arbitration_silent_sued":
                return ("mediation", "sue", (cid, "no decision on acceptance in time (art. 29)"), {})
            return ("mediation", "close", (cid, "abandoned"), {})
        return None

    def _arbitration(self, plan: PlannedCase, case: dict[str, Any]) -> Action | None:
        cid, path, state = case["case_id"], plan.path, case["state"]
        if state == "in_arbitration":
            if path == "award_overdue_sued":
                if case["award_overdue"]:
                    return ("arbitration", "refer_to_court",
                            (cid, "litigation", "no award within the period (art. 43)"), {})
                return None  # the panel does not decide: the award clock runs out
            # One case in four of this path goes through the whole proceeding, step by step
            # (the others go straight to the award, which keeps the demo's rounds few).
            if path == "failed_award_performed" and zlib.crc32(cid.encode()) % 4 == 0:
                step = self._proceeding_step(case)
                if step:
                    return ("arbitration", step[0], (cid, *step[1:]), {})
            if path == "failed_award_litigated" and "award_period_extended" not in case["history"]:
                return ("arbitration", "extend_award_period", (cid, 15, "commission chair"), {})
            return ("arbitration", "record_award", (cid, _share(plan.claim["amount_claimed"], "0.9")),
                    {"items": _items(plan.claim["claim_types"], _share(plan.claim["amount_claimed"], "0.9"))})
        if state == "awarded":
            if path == "failed_award_litigated":
                # A final award binds the employer (art. 47): then only the worker may sue.
                by = "worker" if case["final_for_employer"] else "employer"
                return ("arbitration", "refer_to_court", (cid, "litigation", "sued within 15 days"),
                        {"by": by})
            if path == "failed_award_enforced":
                return ("arbitration", "refer_to_court", (cid, "enforcement", "award not performed"), {})
            return ("arbitration", "record_award_performed", (cid, case["amount_awarded"]), {})
        return None

    def _proceeding_step(self, case: dict[str, Any]) -> tuple[Any, ...] | None:
        """The next step of the proceeding before the award (arts. 30, 32, 35)."""
        if not case["panel"]:
            return ("name_panel",)
        if not case["served"]:
            return ("serve_respondent",)
        if not case["answered"]:
            return ("record_answer",)
        if not case["answer_passed_on"]:
            return ("pass_on_answer",)
        if not case["hearing_on"]:
            # Three weeks ahead: more than 5 working days' notice even across Spring Festival.
            return ("schedule_hearing", (self.today() + timedelta(days=21)).isoformat())
        return None

    def _courts_bridge(self, plan: PlannedCase, case: dict[str, Any]) -> Action | None:
        cid, path, state = case["case_id"], plan.path, case["state"]
        amount = _share(plan.claim["amount_claimed"], "0.8" if path.startswith("agreement") else "0.9")
        if state == "in_court":
            if case["purpose"] == "enforcement":
                return ("courts_bridge", "start_enforcement", (cid, amount), {})
            ruling = "confirmed" if case["purpose"] == "judicial_confirmation" else "judgment"
            return ("courts_bridge", "enter_ruling", (cid, ruling, amount), {})
        if state == "ruled":
            if path.endswith("enforced"):
                return ("courts_bridge", "start_enforcement", (cid, amount), {})
            return ("courts_bridge", "record_compliance", (cid, amount), {})
        if state == "enforcing":
            return ("courts_bridge", "conclude_enforcement", (cid, amount), {})
        return None

    def _legal_aid(self, plan: PlannedCase, case: dict[str, Any]) -> Action | None:
        if case["state"] == "under_review":
            return ("legal_aid", "decide", (case["case_id"], plan.hardship_shown), {})
        return None
