"""Intake's registry of outside agencies (plain Python): which ones it routes to, for what, and
who changed that when. Each rule is a method that checks the entry and changes it, or raises
``RegistryRefused`` saying why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from disputes_shared.contract.registry import (
    AgencyStatus,
    Purpose,
    RegistryRefused,
    outside_agency,
    purpose_for,
)

__all__ = ["RegisteredAgency", "RegistryRefused", "not_registered"]


@dataclass
class RegisteredAgency:
    """One outside agency's entry (登记): what it receives, whether it is routed to, and the last
    change (who, signed in, and when)."""

    name: str
    purpose: str
    status: AgencyStatus
    registered_at: datetime
    changed_at: datetime
    changed_by: str

    @classmethod
    def register(cls, name: str, purpose: str | None, by: str, at: datetime,
                 known: RegisteredAgency | None = None) -> RegisteredAgency:
        """A new entry, or a removed agency registered again; refused while it is registered."""
        agency = outside_agency(name)
        chosen = purpose_for(agency, purpose)
        if known is not None and known.status is not AgencyStatus.REMOVED:
            raise RegistryRefused(f"{name} is registered already ({known.status}, since "
                                  f"{known.registered_at:%Y-%m-%d %H:%M})")
        return cls(name=agency.value, purpose=chosen.value, status=AgencyStatus.ACTIVE,
                   registered_at=at, changed_at=at, changed_by=by)

    def suspend(self, by: str, at: datetime) -> None:
        self._move(AgencyStatus.SUSPENDED, {AgencyStatus.ACTIVE}, by, at)

    def resume(self, by: str, at: datetime) -> None:
        self._move(AgencyStatus.ACTIVE, {AgencyStatus.SUSPENDED}, by, at)

    def remove(self, by: str, at: datetime) -> None:
        self._move(AgencyStatus.REMOVED, {AgencyStatus.ACTIVE, AgencyStatus.SUSPENDED}, by, at)

    def receives(self, purpose: Purpose) -> bool:
        """Whether new work for ``purpose`` is routed to it now."""
        return self.status is AgencyStatus.ACTIVE and self.purpose == purpose

    def _move(self, to: AgencyStatus, allowed_from: set[AgencyStatus], by: str, at: datetime) -> None:
        if self.status not in allowed_from:
            raise RegistryRefused(f"{self.name} is {self.status}; it cannot be made {to}")
        self.status, self.changed_by, self.changed_at = to, by, at


def not_registered(name: str) -> RegistryRefused:
    outside_agency(name)  # an unknown or platform name says so first
    return RegistryRefused(f"{name} is not registered; add it first (disputes agency add {name})")
