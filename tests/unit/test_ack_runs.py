"""Deliveries acked together take one ``basic.ack`` when they run from the channel's oldest
unsettled delivery; one acked before an older one is settled is acked by itself."""

from __future__ import annotations

from disputes_shared.plumbing.messaging import HandedOut


def handed_out(*tags: int) -> HandedOut:
    book = HandedOut()
    for tag in tags:
        book.add(tag)
    return book


def test_a_run_from_the_oldest_delivery_is_acked_once_up_to_its_last():
    book = handed_out(1, 2, 3, 4)
    assert book.acked({1, 2, 3}) == (3, set())
    assert book.acked({4}) == (4, set())


def test_deliveries_after_one_still_running_are_acked_one_by_one():
    book = handed_out(1, 2, 3, 4)
    assert book.acked({2, 4}) == (None, {2, 4})
    # 1 settles: 2 was acked already, so the run ends at 1 and 3 is still running
    assert book.acked({1}) == (1, set())
    assert book.acked({3}) == (3, set())  # acks 3; 4 was acked already


def test_a_requeued_delivery_does_not_hold_back_the_run_after_it():
    book = handed_out(1, 2, 3)
    book.requeued(1)
    assert book.acked({2, 3}) == (3, set())


def test_a_multiple_ack_never_names_a_tag_settled_otherwise():
    book = handed_out(1, 2, 3)
    assert book.acked({3}) == (None, {3})
    book.requeued(2)
    # 1 ends the run: 2 was requeued and 3 acked, so the ack names 1 and covers no other
    assert book.acked({1}) == (1, set())
