"""A consumer applies a case's events in the order they were delivered, one run at a time."""

from __future__ import annotations

from disputes_shared.plumbing.ordering import CaseLanes


def test_the_first_delivery_of_a_case_starts_at_once_and_later_ones_wait_their_turn():
    lanes: CaseLanes[str] = CaseLanes()
    assert lanes.admit("case-1", "filed")
    assert not lanes.admit("case-1", "triaged")
    assert not lanes.admit("case-1", "closed")
    assert lanes.start("case-1") == ["filed"]
    assert lanes.waiting() == 2
    assert lanes.finish("case-1")
    assert lanes.start("case-1") == ["triaged"]
    assert lanes.finish("case-1")
    assert lanes.start("case-1") == ["closed"]
    assert not lanes.finish("case-1")
    assert lanes.waiting() == 0


def test_deliveries_of_different_cases_do_not_wait_for_each_other():
    lanes: CaseLanes[str] = CaseLanes()
    assert lanes.admit("case-1", "a1")
    assert lanes.admit("case-2", "b1")
    assert not lanes.admit("case-2", "b2")
    assert lanes.start("case-1") == ["a1"] and lanes.start("case-2") == ["b1"]
    assert not lanes.finish("case-1")
    assert lanes.admit("case-1", "a2")  # case 1 is idle again
    assert lanes.finish("case-2")
    assert lanes.start("case-2") == ["b2"]


def test_a_run_takes_a_cases_first_deliveries_in_order_and_the_next_wait_for_all_of_it():
    lanes: CaseLanes[str] = CaseLanes()
    for event in ("filed", "triaged", "accepted", "closed"):
        lanes.admit("case-1", event)
    assert lanes.start("case-1", limit=3) == ["filed", "triaged", "accepted"]
    assert not lanes.admit("case-1", "reopened")
    assert lanes.waiting() == 2
    assert lanes.finish("case-1")
    assert lanes.start("case-1", limit=5) == ["closed", "reopened"]


def test_a_delivery_that_must_run_alone_starts_by_itself_and_ends_the_run_before_it():
    lanes: CaseLanes[str] = CaseLanes()
    for event in ("filed", "triaged", "accepted"):
        lanes.admit("case-1", event)
    assert lanes.start("case-1", limit=3, alone=lambda event: event == "triaged") == ["filed"]
    lanes.finish("case-1")
    assert lanes.start("case-1", limit=3, alone=lambda event: event == "triaged") == ["triaged"]


def test_a_delivery_given_back_to_the_broker_takes_its_cases_waiting_ones_back_with_it_in_order():
    lanes: CaseLanes[str] = CaseLanes()
    lanes.admit("case-1", "filed")
    lanes.admit("case-1", "triaged")
    lanes.admit("case-1", "closed")
    lanes.admit("case-2", "b1")
    assert lanes.start("case-1") == ["filed"]
    assert lanes.give_back("case-1") == ["filed", "triaged", "closed"]
    assert lanes.admit("case-1", "filed")  # redelivered: the case's first again
    assert lanes.waiting() == 0
