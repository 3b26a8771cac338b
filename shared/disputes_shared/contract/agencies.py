from enum import StrEnum


class Agency(StrEnum):
    """The agencies that act on a case; also the ``source_agency`` of every event."""

    INTAKE = "intake"  # 人社 one-stop intake centre (联处中心)
    MEDIATION = "mediation"  # 调解: people's, union, industry and pre-arbitration stations
    LEGAL_AID = "legal_aid"  # 法律援助中心
    ARBITRATION = "arbitration"  # 劳动人事争议仲裁委员会
    COURTS = "courts"  # 法院, through the courts bridge
    LABOR_INSPECTION = "labor_inspection"  # 劳动保障监察: wage-arrears referrals; an outside system
    TRAIL = "trail"  # the auditors' cross-agency trail; acts on no case


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
