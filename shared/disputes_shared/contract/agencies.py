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
