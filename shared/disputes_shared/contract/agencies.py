"""The agencies: who acts on a case, and the directory an outside system finds itself in."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Agency(StrEnum):
    """The agencies that act on a case; also the ``source_agency`` of every event."""

    INTAKE = "intake"  # 人社 one-stop intake centre (联处中心)
    MEDIATION = "mediation"  # 调解: people's, union, industry and pre-arbitration stations
    LEGAL_AID = "legal_aid"  # 法律援助中心
    ARBITRATION = "arbitration"  # 劳动人事争议仲裁委员会
    COURTS = "courts"  # 法院, through the courts bridge
    LABOR_INSPECTION = "labor_inspection"  # 劳动保障监察: wage-arrears referrals; an outside system
    TRAIL = "trail"  # the auditors' cross-agency trail; acts on no case
    TRADE_UNION = "trade_union"  # 工会: a union's case tracker; an outside system
    HOTLINE_12345 = "hotline_12345"  # 12345 政务服务便民热线; an outside system
    ANALYTICS = "analytics"  # 数据研判预警: figures across cases and early warnings; acts on no case


@dataclass(frozen=True)
class AgencyEntry:
    """One agency as the published contract describes it."""

    name: str  # the agency's own name, in Chinese as its staff write it
    system: str  # platform: a service of this platform; outside: a system joining by the contract
    role: str  # what it does for a case, and how it talks to the platform


DIRECTORY: dict[Agency, AgencyEntry] = {
    Agency.INTAKE: AgencyEntry("人社联处中心", "platform",
                               "Takes claims (HTTP API, every channel), triages them and hands "
                               "each case to its first agency; records the answers."),
    Agency.MEDIATION: AgencyEntry("调解组织", "platform",
                                  "The mediation stations (people's, union, industry, "
                                  "pre-arbitration), by station id in the station directory."),
    Agency.LEGAL_AID: AgencyEntry("法律援助中心", "platform",
                                  "Grants or refuses legal aid; its lawyer follows the case."),
    Agency.ARBITRATION: AgencyEntry("劳动人事争议仲裁委员会", "platform",
                                    "Accepts, hears and awards arbitration cases."),
    Agency.COURTS: AgencyEntry("人民法院", "platform",
                               "The courts bridge: a court's own case system is reached through "
                               "its adapter (courts_bridge/court_system.py), which records the "
                               "court's steps as `courts`; a court's system does not publish "
                               "on the broker itself."),
    Agency.LABOR_INSPECTION: AgencyEntry("劳动保障监察", "outside",
                                         "Receives wage-arrears referrals in its inbox, accepts "
                                         "or returns them and reports with "
                                         "inspection.concluded."),
    Agency.TRAIL: AgencyEntry("跨部门审计轨迹", "platform",
                              "Records every lifecycle event for auditors; acts on no case."),
    Agency.TRADE_UNION: AgencyEntry("工会", "outside",
                                    "A union's case tracker (its legal-service centre following "
                                    "members' cases); publishes as trade_union. Its union "
                                    "mediation stations are `mediation` stations. No inbox of "
                                    "its own until it is onboarded."),
    Agency.HOTLINE_12345: AgencyEntry("12345政务服务便民热线", "outside",
                                      "Takes claims down by telephone and files them through "
                                      "intake's HTTP API with the channel hotline_12345; "
                                      "publishes as hotline_12345. No inbox of its own until it "
                                      "is onboarded."),
    Agency.ANALYTICS: AgencyEntry("数据研判预警", "platform",
                                  "Reads the lifecycle events (no personal data) into figures "
                                  "across cases, and announces early warnings "
                                  "(warning.raised); acts on no case."),
}


def agency_directory() -> dict[str, dict[str, Any]]:
    """Every agency, by its ``source_agency`` value, as published in the AsyncAPI document."""
    return {str(agency): asdict(DIRECTORY[agency]) for agency in Agency}


# Each agency's system, the staff command line and the worker portal connect to the broker as a
# user of their own. A user's name is its principal, optionally after a namespace and a dot, so
# that several platforms (or test runs) can share one broker: ``intake``, ``it-3f2a9c.intake``.
OPERATOR = "operator"  # the staff and operators' command line: RPC commands, dead letters
PORTAL = "portal"  # the worker portal: reads a case's trail for its worker
PRINCIPALS = (*(agency.value for agency in Agency), OPERATOR, PORTAL)


def broker_user(principal: str, namespace: str = "") -> str:
    """The broker user a principal (an agency, ``operator``, ``portal``) connects as."""
    if principal not in PRINCIPALS:
        raise ValueError(f"no broker user for {principal!r}: one of {', '.join(PRINCIPALS)}")
    return f"{namespace}.{principal}" if namespace else principal


def agency_of_user(user_id: str | None) -> Agency | None:
    """The agency a broker user belongs to, or None for a user of none (the operator, the
    portal, an unknown user). A message's ``user_id`` is checked by RabbitMQ against the user
    of the connection that published it, so this names the agency that really sent it."""
    principal = (user_id or "").rsplit(".", 1)[-1]
    return Agency(principal) if principal in {agency.value for agency in Agency} else None
