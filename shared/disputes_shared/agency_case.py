"""What an agency keeps of a case handed to it: plain Python, shared by the agencies' domains."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .contract.lifecycle import next_state
from .contract.payloads import CaseDossier


@dataclass
class AgencyCase:
    """Services extend it with their own fields."""

    case_id: str
    correlation_id: str
    handoff_id: str
    purpose: str
    dossier: dict[str, Any]  # personal data received in the handoff; stays in this agency
    state: str
    received_at: datetime
    accepted_at: datetime | None = None
    history: dict[str, Any] = field(default_factory=dict)  # what this agency decided

    def move(self, move: str) -> None:
        self.state = next_state(self.state, move)

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
        loaded: dict[str, Any] = CaseDossier().load({**self.dossier, "history": history})
        return loaded


def least_loaded(roster: Iterable[str], assigned: Iterable[str | None]) -> str:
    """The member of ``roster`` with the fewest of the ``assigned`` cases (ties: roster order)."""
    load = {member: 0 for member in roster}
    for member in assigned:
        if member in load:
            load[member] += 1
    order = {member: position for position, member in enumerate(load)}
    return min(load, key=lambda member: (load[member], order[member]))
