"""What an agency keeps of a case handed to it: plain Python, shared by the agencies' domains."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from .contract.lifecycle import CaseState, IllegalTransition, move_of, next_state
from .contract.payloads import PurposeDossier
from .ports import ERASED

# What an agency records in a case's history as typed text (why mediation failed), not a code.
HISTORY_FREE_TEXTS = ("mediation_failed",)


@dataclass
class AgencyCase:
    """Services extend it with their own fields. ``state`` is where the case stands on the
    track of ``state_enum`` (the main track; legal aid's applications, the aid track)."""

    state_enum: ClassVar[type[StrEnum]] = CaseState

    case_id: str
    correlation_id: str
    handoff_id: str
    purpose: str
    dossier: dict[str, Any]  # personal data received in the handoff; stays in this agency
    state: StrEnum
    received_at: datetime
    accepted_at: datetime | None = None
    history: dict[str, Any] = field(default_factory=dict)  # what this agency decided

    def __post_init__(self) -> None:
        self.state = self.state_enum(self.state)  # a stored row gives the plain string

    def move(self, move: str) -> None:
        self.state = self.state_enum(next_state(self.state, move))

    def is_in(self, *states: StrEnum) -> bool:
        return self.state in states

    def may_receive_again(self, purpose: str) -> bool:
        """Whether a new handoff for ``purpose`` may start a new stay of this case here: only
        where the lifecycle allows that move from where the case stands (a case this agency
        is still working on is never overwritten by a dossier)."""
        try:
            next_state(self.state, move_of("handoff.requested", purpose))
        except IllegalTransition:
            return False
        return True

    def erase(self) -> None:
        """The case's personal data was erased with its key: the dossier is gone, and so is
        free text this agency kept in the clear beside it. Services add their own."""
        self.dossier = ERASED  # type: ignore[assignment]  # stored back as the erased marker
        self.history = {k: v for k, v in self.history.items() if k not in HISTORY_FREE_TEXTS}

    def worked_seconds(self, until: datetime) -> float | None:
        """Time spent working on the case here since accepting it (the wait before the
        acceptance is the handoff's); None if it was never accepted."""
        if self.accepted_at is None:
            return None
        return max(0.0, (until - self.accepted_at).total_seconds())

    def onward_dossier(self) -> dict[str, Any]:
        """The dossier to hand on, with what this agency decided added to its history
        (loaded through the contract's schema: the stored copy is plain JSON)."""
        history = {**self.dossier.get("history", {}), **self.history}
        loaded: dict[str, Any] = PurposeDossier().load({**self.dossier, "history": history})
        return loaded


def least_loaded(roster: Iterable[str], assigned: Iterable[str | None]) -> str:
    """The member of ``roster`` with the fewest of the ``assigned`` cases (ties: roster order)."""
    load = {member: 0 for member in roster}
    for member in assigned:
        if member in load:
            load[member] += 1
    order = {member: position for position, member in enumerate(load)}
    return min(load, key=lambda member: (load[member], order[member]))
