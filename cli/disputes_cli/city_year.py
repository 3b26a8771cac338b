"""``disputes city-year``: a city's year of claims, compressed into minutes, so that the figures
across cases and the early warnings have something to show.

The year is planned first (plain Python, ``plan_year``): claims spread over the year with its
seasons and the pre-Spring-Festival wage-arrears peak, in the seeds' industries; waves of
separate claims against one employer (a group dispute forming); employers claimed against again
and again; and a few workers whose second claim against the same employer reaches arbitration
while the first is in court. Then a platform of its own is started whose services all run on
one compressed clock, the claims are filed over intake's HTTP API as their day comes, and the
demo's staff act on every desk (``demo.file_all``, ``demo.staff_round``) until the year and the
cases have run their course; the year's report is fetched from the analytics service.
"""

from __future__ import annotations

import math
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from lunardate import LunarDate

from disputes_shared.clocks.statutory import CHINA_TIME
from disputes_shared.clocks.wall import CompressedClock

from .demo import DemoFailed, file_all, staff_round
from .platform import Platform
from .staff import Staff
from .synthetic import EMPLOYER_NAMES, EMPLOYER_TRADES, PlannedCase, planned_case

FESTIVAL_WEEKS = 4  # the wage-arrears season before the Spring Festival (春节前)
FESTIVAL_RISE = 2.5  # claims a day in that season, against the rest of the year
WAVE_SHARE = 0.15  # of the claims: in waves against one employer
WAVE_CLAIMS = (5, 7)  # separate claims in a wave, each of one worker ...
WAVE_DAYS = 6  # ... within this many days
REPEAT_EMPLOYERS = 0.08  # of the employers: claimed against most (most claims fall on a few)
WORKER_PAIRS = 2  # workers with a second claim against the employer they are in court with


@dataclass(frozen=True)
class DatedClaim:
    at: datetime  # when it is filed, on the compressed clock
    plan: PlannedCase
    kind: str  # "single", "wave", "repeat" or "pair": what the generator meant it to show


def spring_festival(year: int) -> date:
    solar: date = LunarDate(year, 1, 1).to_solar_date()
    return solar


def day_weight(day: date) -> float:
    """Claims a day, relative: a gentle yearly season (fewer in the summer, more towards the
    year's end) and the rise before the Spring Festival of that year or the next."""
    season = 1 + 0.25 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)
    festivals = (spring_festival(day.year), spring_festival(day.year + 1))
    in_season = any(f - timedelta(weeks=FESTIVAL_WEEKS) <= day < f for f in festivals)
    return season * (FESTIVAL_RISE if in_season else 1)


def _employer_name(rng: random.Random, n: int) -> str:
    return (["成都", "四川", "蜀"][n % 3] + EMPLOYER_NAMES[n % len(EMPLOYER_NAMES)]
            + EMPLOYER_TRADES[(n // len(EMPLOYER_NAMES)) % len(EMPLOYER_TRADES)] + f"{n}号有限公司")


def _at(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), CHINA_TIME) + timedelta(hours=rng.uniform(8.5, 17.5))


def _against(plan: PlannedCase, employer: str, **claim: Any) -> PlannedCase:
    return replace(plan, claim={**plan.claim, **claim,
                                "employer": {**plan.claim["employer"], "name": employer}})


def plan_year(count: int, seed: int, year: int) -> list[DatedClaim]:
    """``count`` claims over the ``year`` (China's calendar), oldest first."""
    if count < 20:
        raise ValueError("a city's year needs at least 20 claims to show its seasons and warnings")
    rng = random.Random(seed)
    days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    weights = [day_weight(d) for d in days]
    employers = [_employer_name(rng, n) for n in range(max(10, count // 4))]
    repeaters = employers[:max(2, int(len(employers) * REPEAT_EMPLOYERS))]
    claims: list[DatedClaim] = []

    # Waves: separate claims of one worker each against one employer within a few days.
    waved = int(count * WAVE_SHARE)
    while waved >= WAVE_CLAIMS[0]:
        size = min(rng.randint(*WAVE_CLAIMS), waved)
        start, employer = rng.choices(days[:-WAVE_DAYS], weights=weights[:-WAVE_DAYS])[0], rng.choice(employers)
        for _ in range(size):
            plan = _against(planned_case(rng), employer, worker_count=1, claim_types=["unpaid_wages"])
            claims.append(DatedClaim(_at(rng, start + timedelta(days=rng.randint(0, WAVE_DAYS))), plan, "wave"))
        waved -= size

    # A worker in court with an employer files again against it: related cases (裁审衔接).
    for _ in range(WORKER_PAIRS if count >= 60 else 0):
        employer, first_day = rng.choice(employers), rng.choice(days[:120])
        first = _against(planned_case(rng), employer, worker_count=1, relationship="employment")
        first = replace(first, path="failed_award_litigated")
        second = _against(planned_case(rng), employer, worker_count=1, relationship="employment",
                          worker=first.claim["worker"])
        second = replace(second, path="failed_award_performed")
        claims += [DatedClaim(_at(rng, first_day), first, "pair"),
                   DatedClaim(_at(rng, first_day + timedelta(days=rng.randint(90, 150))), second, "pair")]

    # The rest: most employers claimed against once in a while, a few again and again.
    while len(claims) < count:
        plan, day = planned_case(rng), rng.choices(days, weights=weights)[0]
        repeat = rng.random() < 0.3
        employer = rng.choice(repeaters if repeat else employers)
        claims.append(DatedClaim(_at(rng, day), _against(plan, employer), "repeat" if repeat else "single"))
    return sorted(claims[:count], key=lambda c: c.at)


def compressed_clock(year: int, seconds: float, origin_file: str) -> CompressedClock:
    """A clock on which the ``year`` takes ``seconds``, standing at its first moment until
    ``start_clock`` writes its origin (the platform up)."""
    start = datetime(year, 1, 1, tzinfo=CHINA_TIME)
    factor = (datetime(year + 1, 1, 1, tzinfo=CHINA_TIME) - start).total_seconds() / seconds
    return CompressedClock(start, factor, origin_file)


def start_clock(clock: CompressedClock) -> None:
    """Every service (and this process) counts compressed time from now on."""
    assert clock.origin_file is not None
    written = clock.origin_file + ".new"
    with open(written, "w", encoding="ascii") as out:
        out.write(repr(time.time()))
    os.replace(written, clock.origin_file)  # whole, or not at all


def file_on_time(platform: Platform, plans: list[DatedClaim], clock: CompressedClock,
                 filed: list[tuple[str, PlannedCase]], failed: list[BaseException]) -> None:
    """File each claim as its day comes (in its own thread: slow staff rounds do not delay it)."""
    try:
        waiting = list(plans)
        while waiting:
            wait = (waiting[0].at - clock.now()).total_seconds() / clock.factor
            if wait > 0:
                time.sleep(wait)
            now = clock.now()
            due = [c for c in waiting if c.at <= now]  # several at once when filing lags
            waiting = waiting[len(due):]
            filed += file_all(platform, [c.plan for c in due]).items()
    except BaseException as exc:  # handed to the main thread, which stops on it
        failed.append(exc)


def run_year(platform: Platform, plans: list[DatedClaim], clock: CompressedClock, year: int,
             timeout: float, progress: Callable[[int, int], None] = lambda done, total: None,
             after_days: int = 120) -> dict[str, Any]:
    """File each claim as its day comes on ``clock``, act as every agency's staff meanwhile, and
    go on until every case has closed or ``after_days`` past the year's end; then the report."""
    started = time.monotonic()
    staff = Staff({}, today=lambda: clock.now().astimezone(CHINA_TIME).date())
    end = datetime(year + 1, 1, 1, tzinfo=CHINA_TIME) + timedelta(days=after_days)
    filed: list[tuple[str, PlannedCase]] = []
    failed: list[BaseException] = []
    filing = threading.Thread(target=file_on_time, args=(platform, plans, clock, filed, failed), daemon=True)
    filing.start()
    errors: list[str] = []
    while time.monotonic() - started < timeout and not failed:
        staff.plans.update(filed[len(staff.plans):])
        errors += staff_round(platform, staff)[1]
        if filing.is_alive():
            progress(len(filed), len(plans))  # filing: the claims filed so far
        else:
            states = platform.call("trail", "case_states", list(staff.plans))
            closed = sum(1 for cid in staff.plans if (states.get(cid) or {}).get("state") == "closed")
            progress(closed, len(plans))
            if closed == len(plans) or clock.now() > end:
                break
        time.sleep(0.2)
    if failed:
        raise DemoFailed(f"filing the year's claims failed: {failed[0]}")
    return {"year": str(year), "cases_filed": len(filed), "staff_errors": errors,
            "seconds": round(time.monotonic() - started, 1),
            "report": caught_up_report(platform, str(year), len(filed)),
            "html": platform.call("analytics", "report_document", str(year), "html")}


def caught_up_report(platform: Platform, period: str, filed: int, patience: float = 60.0) -> dict[str, Any]:
    """The period's report once analytics has folded the events still queued for it: when the
    period holds every case filed, or its count has not grown for five seconds (the last
    claims may fall in the next year)."""
    deadline, last, steady = time.monotonic() + patience, -1, 0
    while True:
        report = platform.call("analytics", "report", period)
        known = sum(row["cases"] for row in report["trend"])
        steady = steady + 1 if known == last else 0
        if known >= filed or steady >= 10 or time.monotonic() > deadline:
            return report
        last = known
        time.sleep(0.5)


def city_year(count: int, seed: int, year: int, seconds: float, timeout: float,
              progress: Callable[[int, int], None] = lambda done, total: None) -> dict[str, Any]:
    """Plan the year, start a platform of its own on a compressed clock, run the year on it."""
    from .sandbox import sandbox_platform

    plans = plan_year(count, seed, year)
    with tempfile.TemporaryDirectory(prefix="disputes-city-year-") as scratch:
        clock = compressed_clock(year, seconds, os.path.join(scratch, "clock-origin"))
        os.environ["DISPUTES_COMPRESSED_CLOCK"] = clock.setting()
        try:
            with sandbox_platform(), Platform() as platform:
                start_clock(clock)
                return run_year(platform, plans, clock, year, timeout, progress)
        finally:
            os.environ.pop("DISPUTES_COMPRESSED_CLOCK", None)
