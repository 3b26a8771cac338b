"""Small steps the service-layer tests take on a service's database."""

from __future__ import annotations

from datetime import date
from typing import Any

from disputes_shared.contract.envelope import Envelope
from disputes_shared.ports import apply_once
from disputes_shared.statute.periods import CalendarNotCovered, ChineseStatutoryCalendar

from ..support.examples import dossier_envelope


def run(db: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
    """One staff command in its own committed transaction, as the RPC entrypoints run it."""
    with db() as uow:
        result = command(uow, *args, **kwargs)
        uow.commit()
    return result


def deliver(db: Any, logic: Any, message: Envelope) -> str:
    """One delivered event, applied once, as the event consumer applies it."""
    return apply_once(db, str(logic.agency), message, logic.handle)


def receive(db: Any, logic: Any, purpose: str, case_id: str = "LD-1", **changes: Any) -> str:
    """Deliver a dossier handing ``case_id`` to the agency for ``purpose``; the handoff id."""
    message = dossier_envelope(purpose=purpose, case_id=case_id, requested_at=db.clock.now(), **changes)
    assert deliver(db, logic, message) == "handled"
    return str(message.payload["handoff_id"])


def take_up(db: Any, logic: Any, purpose: str, case_id: str = "LD-1", **details: Any) -> None:
    """Receive a dossier and accept it."""
    run(db, logic.accept_handoff, receive(db, logic, purpose, case_id), **details)


class CalendarCoveringUpTo:
    """The official calendar as it stands before the schedule of the year after ``last_year``
    is published."""

    def __init__(self, last_year: int) -> None:
        self.last_year = last_year

    def is_working_day(self, day: date) -> bool:
        if day.year > self.last_year:
            raise CalendarNotCovered(f"no schedule for {day.year}")
        return ChineseStatutoryCalendar().is_working_day(day)
