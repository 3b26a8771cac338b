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
