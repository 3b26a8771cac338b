"""The case page's guidance: who acts next, the deadlines running, what the worker may do now."""

from __future__ import annotations

from datetime import date

import pytest

from disputes_shared.clocks.kinds import CLOCK_RULES
from disputes_shared.contract.lifecycle import CaseState
from portal import guidance, i18n
from portal.guidance import Clock, Words


def clock(kind: str, status: str = "running", last_day: str = "2026-12-20") -> Clock:
    return Clock(kind, status, date.fromisoformat(last_day))


def msgids(words: list[Words]) -> list[str]:
    return [w.msgid for w in words]


def test_mediation_that_ran_out_lets_the_worker_apply_for_arbitration() -> None:
    ran_out = [clock("mediation_without_agreement", "elapsed")]
    assert guidance.APPLY_FOR_ARBITRATION in msgids(guidance.worker_may("in_mediation", ran_out))
    assert guidance.APPLY_FOR_ARBITRATION in msgids(guidance.worker_may("mediation_failed", []))


def test_mediation_still_running_does_not_offer_arbitration_yet() -> None:
    running = [clock("mediation_without_agreement")]
    assert guidance.APPLY_FOR_ARBITRATION not in msgids(guidance.worker_may("in_mediation", running))


def test_after_an_award_the_worker_may_sue_until_the_windows_last_day() -> None:
    may = guidance.worker_may("awarded", [clock("suit_after_award", last_day="2026-12-19")])
    assert Words(guidance.SUE_AGAINST_AWARD, {"day": "2026-12-19"}) in may


def test_a_final_award_counts_the_workers_own_window() -> None:
    clocks = [clock("worker_suit_after_final_award", last_day="2026-12-18"),
              clock("employer_set_aside", last_day="2027-01-15")]
    may = guidance.worker_may("awarded", clocks)
    assert Words(guidance.SUE_AGAINST_AWARD, {"day": "2026-12-18"}) in may


def test_once_the_window_to_sue_ran_out_the_award_can_be_enforced() -> None:
    may = msgids(guidance.worker_may("awarded", [clock("suit_after_award", "elapsed")]))
    assert guidance.ENFORCE_AWARD in may and guidance.SUE_AGAINST_AWARD not in may


def test_an_unpaid_agreement_opens_arbitration_or_a_payment_order() -> None:
    clocks = [clock("agreement_performance", "elapsed", "2026-12-10"),
              clock("judicial_confirmation_window", last_day="2027-01-02")]
    may = guidance.worker_may("agreement_reached", clocks)
    assert guidance.UNPAID_AGREEMENT in msgids(may)
    assert Words(guidance.CONFIRM_AGREEMENT, {"day": "2027-01-02"}) in may


@pytest.mark.parametrize(("state", "clocks"), [
    ("arbitration_refused", []), ("in_arbitration", [clock("arbitration_acceptance", "elapsed")])])
def test_arbitration_refused_or_silent_lets_the_worker_sue(state: str, clocks: list[Clock]) -> None:
    assert guidance.SUE_NO_ACCEPTANCE in msgids(guidance.worker_may(state, clocks))


def test_no_award_in_time_lets_the_worker_sue() -> None:
    clocks = [clock("arbitration_acceptance", "satisfied"), clock("award", "elapsed")]
    assert guidance.SUE_NO_AWARD in msgids(guidance.worker_may("in_arbitration", clocks))


def test_the_latest_clock_of_a_kind_counts() -> None:
    # An earlier mediation ran out; a second mediation's clock is running now.
    clocks = [clock("mediation_without_agreement", "elapsed", "2026-11-01"),
              clock("mediation_without_agreement", "running", "2026-12-20")]
    assert guidance.APPLY_FOR_ARBITRATION not in msgids(guidance.worker_may("in_mediation", clocks))


def test_legal_aid_is_offered_only_when_not_asked_for_and_nothing_on_a_closed_case() -> None:
    assert guidance.ASK_LEGAL_AID in msgids(guidance.worker_may("in_mediation", [], "none"))
    assert guidance.ASK_LEGAL_AID not in msgids(guidance.worker_may("in_mediation", [], "granted"))
    assert guidance.worker_may("closed", [clock("suit_after_award", "elapsed")]) == []


def test_deadlines_are_the_running_clocks_soonest_first_with_their_day() -> None:
    clocks = [clock("award", last_day="2027-02-01"), clock("panel_named", last_day="2026-12-09"),
              clock("arbitration_acceptance", "satisfied")]
    listed = guidance.deadlines(clocks)
    assert [w.params["day"] for w, _ in listed] == ["2026-12-09", "2027-02-01"]
    assert listed[0][0].msgid == guidance.DEADLINE["panel_named"]  # type: ignore[index]


def test_every_clock_kind_and_every_state_has_words() -> None:
    assert set(guidance.DEADLINE) == set(CLOCK_RULES)
    assert {s.value for s in CaseState} <= set(guidance.NEXT_ACTOR)
    assert guidance.who_acts_next("in_arbitration").msgid.startswith("The arbitration commission")


def test_every_guidance_message_has_a_chinese_translation_with_its_day() -> None:
    zh = i18n.translations("zh")
    missing = [m for m in guidance.every_msgid() if zh.gettext(m) == m]
    assert not missing
    lost_day = [m for m in guidance.every_msgid() if "%(day)s" in m and "%(day)s" not in zh.gettext(m)]
    assert not lost_day
