"""Statutory clocks in a service's own database: started, stopped and extended inside the unit
of work of the change that caused it, fired by a timer, each step announced on the trail.

Firing is exactly once: a due clock is marked elapsed by a conditional update (``running`` →
``elapsed``) in the same transaction as its ``clock.elapsed`` event and whatever the agency does
about it; a second worker, replica or a restarted service finds it no longer running. A crash
before the commit leaves the clock running, so it fires after the restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from ..contract.agencies import Agency
from ..contract.envelope import Envelope
from ..ports import UnitOfWork, case_lock_name
from ..statute.periods import ChineseStatutoryCalendar, WorkingCalendar
from .kinds import ClockKind
from .statutory import CaseRef, ClockNotRunning, StatutoryClock, clock_payload, start_clock

log = logging.getLogger(__name__)

# What an agency does when one of its clocks elapses: more events, in the same transaction.
OnElapsed = Callable[[Any, StatutoryClock], list[Envelope]]


class ClockKeeper:
    """An agency's statutory clocks, used by its service layer inside a unit of work."""

    def __init__(self, agency: Agency, calendar: WorkingCalendar | None = None) -> None:
        self.agency = Agency(agency)
        self.calendar = calendar or ChineseStatutoryCalendar()

    def start(self, uow: UnitOfWork, kind: ClockKind, case: CaseRef, *,
              event_day: date | None = None, last_day: date | None = None) -> StatutoryClock:
        if uow.clocks.running(case.case_id, kind) is not None:
            raise ValueError(f"a {kind} clock is already running on {case.case_id}")
        clock = start_clock(kind, case, uow.clock.now(), self.calendar, event_day=event_day,
                            last_day=last_day)
        if clock.provisional:
            log.warning("%s clock of %s counted on an estimate past what the working-day "
                        "calendar covers: provisionally due %s", kind, case.case_id, clock.last_day)
        uow.clocks.add(clock)
        uow.emit(self._event(clock, "clock.started", uow))
        return clock

    def stop(self, uow: UnitOfWork, case_id: str, kind: ClockKind, reason: str) -> StatutoryClock:
        """The law's demand was met in time: the clock is satisfied."""
        return self._stopped(uow, self.running(uow, case_id, kind), reason)

    def stop_any(self, uow: UnitOfWork, case_id: str, reason: str,
                 *kinds: ClockKind) -> list[StatutoryClock]:
        """Stop whichever of ``kinds`` run on the case (e.g. every arbitration clock when the
        case is withdrawn), in the order given; the case's running clocks read once."""
        running = {ClockKind(clock.kind): clock for clock in uow.clocks.running_for_case(case_id)}
        return [self._stopped(uow, running[kind], reason) for kind in kinds if kind in running]

    def stop_all(self, uow: UnitOfWork, case_id: str, reason: str) -> list[StatutoryClock]:
        """The case ends here: no clock of it is left to fire."""
        return [self._stopped(uow, clock, reason) for clock in uow.clocks.running_for_case(case_id)]

    def _stopped(self, uow: UnitOfWork, clock: StatutoryClock, reason: str) -> StatutoryClock:
        clock.stop(uow.clock.now(), reason)
        uow.clocks.save(clock)
        uow.emit(self._event(clock, "clock.stopped", uow, reason=reason))
        return clock

    def extend(self, uow: UnitOfWork, case_id: str, kind: ClockKind, days: int,
               approved_by: str) -> StatutoryClock:
        clock = self.running(uow, case_id, kind)
        clock.extend(days, approved_by, self.calendar)
        uow.clocks.save(clock)
        uow.emit(self._event(clock, "clock.extended", uow, approved_by=approved_by))
        return clock

    def running(self, uow: UnitOfWork, case_id: str, kind: ClockKind) -> StatutoryClock:
        clock = uow.clocks.running(case_id, kind)
        if clock is None:
            raise ClockNotRunning(f"no {kind} clock is running on {case_id}")
        return clock

    # -- the timer ---------------------------------------------------------------------------

    def fire_due(self, unit_of_work: Callable[[], UnitOfWork], on_elapsed: OnElapsed,
                 batch_size: int = 100,
                 fired: Callable[[StatutoryClock], None] = lambda clock: None) -> int:
        """Fire every clock now due, each in its own transaction; how many fired here.

        A clock whose agency hook fails stays running and is tried on the next tick; the first
        failure is raised once the others have been fired, so it is seen, not swallowed.
        """
        with unit_of_work() as uow:  # one short transaction per tick when nothing is due
            recounted = self._recount_provisional(uow)
            due = [clock.clock_id for clock in uow.clocks.due(uow.clock.now(), batch_size)]
            if recounted:
                uow.commit()
        count, failure = 0, None
        for clock_id in due:
            try:
                clock = self._fire(unit_of_work, clock_id, on_elapsed)
            except Exception as exc:
                log.exception("firing clock %s failed; it stays running", clock_id)
                failure = failure or exc
                continue
            if clock is not None:
                count += 1
                fired(clock)  # after the commit: only what really fired is counted
        if failure is not None:
            raise failure
        return count

    def _fire(self, unit_of_work: Callable[[], UnitOfWork], clock_id: str,
              on_elapsed: OnElapsed) -> StatutoryClock | None:
        with unit_of_work() as uow:
            seen = uow.clocks.peek(clock_id)
            if seen is None:
                return None
            # The agency's follow-up changes the case: held first, as its events and commands
            # hold it, then the clock read again as it is now.
            uow.hold(case_lock_name(seen.case_id))
            clock = uow.clocks.get(clock_id)
            now = uow.clock.now()
            # The conditional update is what fires a clock once: a replica that listed it too
            # finds it elapsed already (or stopped meanwhile) and leaves it.
            if clock is None or not clock.is_due(now) or not uow.clocks.claim_elapsed(clock, now):
                return None
            clock.elapse(now)
            uow.emit(self._event(clock, "clock.elapsed", uow,
                                 elapsed_means=clock.rule.elapsed_means))
            uow.emit(*on_elapsed(uow, clock))
            uow.commit()
        return clock

    def _recount_provisional(self, uow: UnitOfWork) -> int:
        """Count provisional clocks again, on a calendar that may now cover their year."""
        changed = 0
        for clock in uow.clocks.provisional_running():
            if clock.recount(self.calendar):
                uow.clocks.save(clock)
                uow.emit(self._event(clock, "clock.recounted", uow))
                changed += 1
        return changed

    def summary(self, uow: UnitOfWork) -> dict[str, dict[str, Any]]:
        return uow.clocks.summary(uow.clock.now())

    def _event(self, clock: StatutoryClock, event_type: str, uow: UnitOfWork,
               **extra: Any) -> Envelope:
        return Envelope(event_type=event_type, case_id=clock.case_id, source_agency=self.agency,
                        occurred_at=uow.clock.now(), payload=clock_payload(clock, **extra),
                        correlation_id=clock.correlation_id)
