"""The registry of outside agencies: which of them the platform routes to, and for what.

Intake owns the registry (it is the service that routes referrals) and announces every change
with ``agency.changed``. An outside agency is one the directory marks ``outside``; a new *kind*
of outside agency (a new ``source_agency`` value with its purposes) is a minor version of the
contract. Registering, suspending and removing one is data, changed at run time.
"""

from __future__ import annotations

from enum import StrEnum

from .agencies import DIRECTORY, Agency

OUTSIDE_AGENCIES = tuple(agency for agency in Agency if DIRECTORY[agency].system == "outside")


class AgencyStatus(StrEnum):
    ACTIVE = "active"  # routed to
    SUSPENDED = "suspended"  # nothing new routed; what it holds stays pending with it
    REMOVED = "removed"  # no broker user, nothing routed; the entry kept for the record


class Purpose(StrEnum):
    """What an outside agency may receive once registered."""

    WAGE_ARREARS_REFERRALS = "wage_arrears_referrals"  # 欠薪 claims referred to labor inspection
    # A broker identity and an inbox with no bindings: the contract gives it nothing to receive
    # yet (a union's tracker, the hotline, which file claims over HTTP).
    IDENTITY_ONLY = "identity_only"


PURPOSES_OF: dict[Agency, tuple[Purpose, ...]] = {
    Agency.LABOR_INSPECTION: (Purpose.WAGE_ARREARS_REFERRALS,),
    Agency.TRADE_UNION: (Purpose.IDENTITY_ONLY,),
    Agency.HOTLINE_12345: (Purpose.IDENTITY_ONLY,),
}

# ``agency.changed`` is about no case; the envelope requires a case id, so every registry event
# carries this one. The trail records these events under it like any other (its hash chain
# covers them) but keeps no case summary for it; analytics ignores them.
REGISTRY_CASE_ID = "agency-registry"
CASELESS_EVENTS = frozenset({"agency.changed"})


class RegistryRefused(ValueError):
    """A registry command that may not be done: unknown or platform agency, wrong purpose,
    registered already, not registered."""


def outside_agency(name: str) -> Agency:
    """The outside agency named ``name``; refused for an unknown name or a platform agency."""
    outside = ", ".join(OUTSIDE_AGENCIES)
    if name not in {agency.value for agency in Agency}:
        raise RegistryRefused(f"no agency {name!r} in the contract; outside agencies: {outside}")
    agency = Agency(name)
    if agency not in OUTSIDE_AGENCIES:
        raise RegistryRefused(f"{name} is a service of the platform, not an outside agency; "
                              f"outside agencies: {outside}")
    return agency


def purpose_for(agency: Agency, purpose: str | None) -> Purpose:
    """The purpose ``agency`` is registered for: ``purpose`` if the contract allows it, or the
    agency's only one when none is given."""
    allowed = PURPOSES_OF[agency]
    if purpose is None:
        return allowed[0]
    if purpose not in {p.value for p in allowed}:
        raise RegistryRefused(f"{agency} may be registered for {', '.join(allowed)}, not {purpose!r}")
    return Purpose(purpose)
