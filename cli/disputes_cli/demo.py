"""``disputes demo``: file synthetic claims, act as every agency's staff until each case ends,
then report outcomes and handoff waits."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from .platform import RECEIVING_SERVICES, Platform
from .staff import Staff
from .synthetic import PlannedCase, planned_cases


class DemoFailed(RuntimeError):
    pass


def file_all(platform: Platform, plans: list[PlannedCase]) -> dict[str, PlannedCase]:
    """File every claim over the HTTP API (a few at a time, as many workers would)."""
    def file_one(plan: PlannedCase) -> tuple[str, PlannedCase]:
        response = platform.file_claim(plan.claim)
        if response.status_code != 201:
            raise DemoFailed(f"intake refused a claim: {response.status_code} {response.text}")
        return response.json()["case_id"], plan

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(file_one, plans))


def staff_round(platform: Platform, staff: Staff) -> tuple[int, list[str]]:
    """One pass over every agency's desk and work list; returns actions taken and errors."""
    listings = platform.call_many(
        [(s, "pending_handoffs", (), {}) for s in RECEIVING_SERVICES]
        + [(s, "open_cases", (), {}) for s in RECEIVING_SERVICES]
        + [("intake", "consultations_pending", (), {})])
    consultations = listings.pop()
    if isinstance(consultations, Exception):
        raise DemoFailed(f"intake did not list its joint consultations: {consultations}")
    actions = [a for c in consultations if (a := staff.hold_consultation(c))]
    for service, handoffs in zip(RECEIVING_SERVICES, listings[:len(RECEIVING_SERVICES)], strict=True):
        if isinstance(handoffs, Exception):
            raise DemoFailed(f"{service} did not list its handoffs: {handoffs}")
        actions += [a for h in handoffs if (a := staff.answer_handoff(service, h))]
    for service, cases in zip(RECEIVING_SERVICES, listings[len(RECEIVING_SERVICES):], strict=True):
        if isinstance(cases, Exception):
            raise DemoFailed(f"{service} did not list its cases: {cases}")
        actions += [a for c in cases if (a := staff.next_step(service, c))]
    results = platform.call_many(actions)
    errors = [f"{a[0]}.{a[1]}{a[2]}: {r}" for a, r in zip(actions, results, strict=True) if isinstance(r, Exception)]
    return len(actions), errors


def run_demo(platform: Platform, count: int, seed: int, timeout: float,
             progress: Callable[[int, int], None] = lambda done, total: None) -> dict[str, Any]:
    started = time.monotonic()
    plans = file_all(platform, planned_cases(count, seed))
    staff = Staff(plans)
    case_ids = list(plans)
    states: dict[str, Any] = {}
    errors: list[str] = []
    while True:
        _, round_errors = staff_round(platform, staff)
        errors += round_errors
        states = platform.call("trail", "case_states", case_ids)
        done = sum(1 for cid in case_ids if _finished(states.get(cid), plans[cid]))
        progress(done, count)
        if done == count:
            break
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.2)
    return summarise(platform, plans, states, errors, time.monotonic() - started)


def _finished(state: dict[str, Any] | None, plan: PlannedCase) -> bool:
    if state is None or state["state"] != "closed":
        return False
    return state["aid_state"] in ("none", "granted", "refused", "returned")


def summarise(platform: Platform, plans: dict[str, PlannedCase], states: dict[str, Any],
              errors: list[str], seconds: float) -> dict[str, Any]:
    cases = []
    for cid, plan in plans.items():
        state = states.get(cid) or {}
        cases.append({
            "case_id": cid, "path": plan.path, "state": state.get("state", "unknown"),
            "outcome": state.get("outcome"), "expected_outcome": plan.expected_outcome,
            "aid_state": state.get("aid_state"), "expected_aid_state": plan.expected_aid_state,
            "amount_recovered": state.get("amount_recovered"), "returns": state.get("returns"),
            "anomalies": state.get("anomalies", []),
            "as_expected": state.get("outcome") == plan.expected_outcome
            and state.get("aid_state") == plan.expected_aid_state and not state.get("anomalies"),
        })
    recovered = sum((Decimal(c["amount_recovered"]) for c in cases if c["amount_recovered"]), Decimal(0))
    return {
        "cases_filed": len(cases),
        "cases_closed": sum(1 for c in cases if c["state"] == "closed"),
        "cases_as_expected": sum(1 for c in cases if c["as_expected"]),
        "seconds": round(seconds, 2),
        "outcomes": dict(Counter(c["outcome"] or "open" for c in cases).most_common()),
        "legal_aid": dict(Counter(c["aid_state"] for c in cases).most_common()),
        "amount_recovered": str(recovered),
        "handoffs": platform.call("trail", "handoff_summary"),
        "staff_errors": errors,
        "cases": cases,
    }
