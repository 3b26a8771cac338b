"""A claim's access code and the per-address limits of intake's public endpoints."""

from __future__ import annotations

import eventlet

from intake.access import (
    ALPHABET,
    CheckedCode,
    access_code_matches,
    access_digest,
    checked_code,
    new_access_code,
    stretched,
)
from intake.filing_rate import FilingRate
from intake.worker_codes import stretched_on_a_thread


def test_a_code_matches_its_digest_only_and_the_digest_does_not_hold_it():
    code = new_access_code()
    assert len(code) == 10 and set(code) <= set(ALPHABET)
    stored = access_digest(code)
    assert code not in stored and access_code_matches(code, stored)
    assert access_code_matches(code.lower(), stored)
    assert not access_code_matches(new_access_code(), stored)
    assert access_digest(code) != stored  # salted: the same code never gives the same digest


def test_no_code_matches_a_claim_without_one_or_a_spoilt_digest():
    assert not access_code_matches("ABCDEFGHJK", None)
    assert not access_code_matches("", access_digest("ABCDEFGHJK"))
    assert not access_code_matches("ABCDEFGHJK", "md5$1$00$00")
    assert not access_code_matches("ABCDEFGHJK", "not a digest")
    assert not access_code_matches("A" * 65, access_digest("A" * 65))


def ticks_while(stretch) -> int:
    """How often another green thread of the process ran while ``stretch`` stretched a code."""
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            eventlet.sleep(0.001)
    ticker = eventlet.spawn(tick)
    eventlet.sleep(0)  # it starts
    started = ticks
    code = new_access_code()
    assert access_code_matches(code, access_digest(code, stretch=stretch), stretch)
    ticker.kill()
    return ticks - started


def test_the_service_stretches_codes_off_the_hub_and_the_rest_of_the_process_goes_on():
    assert ticks_while(stretched) == 0  # inline, two stretchings stop every green thread
    assert ticks_while(stretched_on_a_thread) >= 1  # on a thread, the others run meanwhile
    code = new_access_code()
    assert access_code_matches(code, access_digest(code, stretch=stretched_on_a_thread))  # the same digest


def test_a_code_checked_before_the_transaction_admits_to_its_case_while_its_digest_is_kept():
    code = new_access_code()
    stored = access_digest(code)
    checked = checked_code("LD-1", code, stored)
    assert checked == CheckedCode("LD-1", stored) and checked.admits("LD-1", stored)
    assert not checked.admits("LD-2", stored)  # another case's claim
    assert not checked.admits("LD-1", access_digest(code))  # the digest kept is another since
    assert not checked.admits("LD-1", None)  # erased, or never kept
    assert checked_code("LD-1", new_access_code(), stored) is None
    assert checked_code("LD-1", code, None) is None and checked_code("LD-1", None, stored) is None


def test_the_window_slides_per_address():
    now = [0.0]
    rate = FilingRate(2, clock=lambda: now[0])
    assert rate.allow("a") is None and rate.allow("a") is None
    assert rate.allow("a") == 60.0
    assert rate.allow("b") is None  # another address is not held back
    now[0] = 30.0
    assert rate.allow("a") == 30.0
    now[0] = 60.5
    assert rate.allow("a") is None


def test_no_limit_when_it_is_zero_and_memory_stays_bounded():
    assert all(FilingRate(0).allow("a") is None for _ in range(100))
    now = [0.0]
    rate = FilingRate(1, clock=lambda: now[0], addresses=10)
    for n in range(10):
        rate.allow(f"10.0.0.{n}")
    now[0] = 61.0
    rate.allow("10.0.1.1")  # the eleventh: the idle ones are forgotten
    assert len(rate._seen) == 1
