"""Case states and the table of legal transitions between them.

A case has one main track (where it stands between intake, mediation, arbitration and the
courts), and beside it a legal-aid track and a labor-inspection track (wage arrears referred
to 劳动保障监察). Every event that moves a case is looked up
here by its *move*: the event type, qualified by the handoff purpose for handoff events
(``handoff.requested:mediation``). A move the table does not allow raises ``IllegalTransition``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from .handoff import HandoffPurpose

# A statutory clock's own events: what follows from one elapsing is a move of its own.
CLOCK_EVENTS = ("clock.started", "clock.recounted", "clock.extended", "clock.stopped",
                "clock.elapsed")


class CaseState(StrEnum):
    FILED = "filed"
    TRIAGED = "triaged"
    MEDIATION_REQUESTED = "mediation_requested"
    IN_MEDIATION = "in_mediation"
    AGREEMENT_REACHED = "agreement_reached"  # 调解协议, awaiting performance
    MEDIATION_FAILED = "mediation_failed"
    ARBITRATION_REQUESTED = "arbitration_requested"
    IN_ARBITRATION = "in_arbitration"
    ARBITRATION_REFUSED = "arbitration_refused"  # 不予受理: the worker may sue
    AWARDED = "awarded"  # 裁决, awaiting performance or a suit
    COURT_REQUESTED = "court_requested"
    COURT_REFUSED = "court_refused"
    IN_COURT = "in_court"
    RULED = "ruled"  # 司法确认 granted or judgment entered
    ENFORCING = "enforcing"  # 执行
    CLOSED = "closed"


class AidState(StrEnum):
    """The legal-aid track (法律援助), beside the main one."""

    NONE = "none"
    REQUESTED = "requested"
    UNDER_REVIEW = "under_review"
    GRANTED = "granted"
    REFUSED = "refused"
    RETURNED = "returned"


class InspectionState(StrEnum):
    """The labor-inspection track (劳动保障监察), beside the main one."""

    NONE = "none"
    REFERRED = "referred"
    UNDER_INSPECTION = "under_inspection"
    CONCLUDED = "concluded"
    RETURNED = "returned"


class UnknownCase(LookupError):
    """The agency asked holds no case of that id (every agency, and the trail, say it alike)."""


class IllegalTransition(ValueError):
    """A move that the lifecycle does not allow from the case's current state."""

    def __init__(self, state: str, move: str) -> None:
        super().__init__(f"illegal move {move!r} from state {state!r}")
        self.state = state
        self.move = move


COURT_PURPOSES = (
    HandoffPurpose.JUDICIAL_CONFIRMATION,
    HandoffPurpose.LITIGATION,
    HandoffPurpose.ENFORCEMENT,
    HandoffPurpose.PAYMENT_ORDER,
)


def _court_moves(*purposes: HandoffPurpose) -> dict[str, CaseState]:
    return {f"handoff.requested:{p}": CaseState.COURT_REQUESTED for p in purposes}


S = CaseState
CASE_TRANSITIONS: Mapping[CaseState, Mapping[str, CaseState]] = {
    S.FILED: {"case.triaged": S.TRIAGED},
    S.TRIAGED: {
        "handoff.requested:mediation": S.MEDIATION_REQUESTED,
        "handoff.requested:arbitration": S.ARBITRATION_REQUESTED,
        # a civil dispute no people's station would take: to court, not to labor arbitration
        "handoff.requested:litigation": S.COURT_REQUESTED,
        "case.closed": S.CLOSED,
    },
    S.MEDIATION_REQUESTED: {
        "handoff.accepted:mediation": S.IN_MEDIATION,
        "handoff.returned:mediation": S.TRIAGED,  # intake routes it again
    },
    S.IN_MEDIATION: {
        "mediation.agreement_reached": S.AGREEMENT_REACHED,
        "mediation.failed": S.MEDIATION_FAILED,
        "case.closed": S.CLOSED,  # withdrawn
    },
    S.AGREEMENT_REACHED: {
        "case.closed": S.CLOSED,  # performed
        "handoff.requested:arbitration": S.ARBITRATION_REQUESTED,  # unperformed (art. 15)
        # 司法确认 of an unpaid agreement (人民调解法 art. 33), a payment order on it (art. 16),
        # or a suit on it
        **_court_moves(HandoffPurpose.JUDICIAL_CONFIRMATION, HandoffPurpose.PAYMENT_ORDER,
                       HandoffPurpose.LITIGATION),
    },
    S.MEDIATION_FAILED: {
        "handoff.requested:arbitration": S.ARBITRATION_REQUESTED,
        "handoff.requested:litigation": S.COURT_REQUESTED,  # a civil dispute: to court
        "case.closed": S.CLOSED,
    },
    S.ARBITRATION_REQUESTED: {
        "handoff.accepted:arbitration": S.IN_ARBITRATION,
        "handoff.returned:arbitration": S.ARBITRATION_REFUSED,
    },
    S.ARBITRATION_REFUSED: {
        "handoff.requested:litigation": S.COURT_REQUESTED,
        "case.closed": S.CLOSED,
    },
    S.IN_ARBITRATION: {
        "arbitration.awarded": S.AWARDED,
        "case.closed": S.CLOSED,  # withdrawn or settled
        **_court_moves(HandoffPurpose.LITIGATION),  # no award within the period (art. 43)
    },
    S.AWARDED: {
        "arbitration.award_effective": S.AWARDED,  # no suit in time (arts. 48-50)
        "case.closed": S.CLOSED,  # performed
        # a suit after the award (arts. 48, 50), or enforcement of it
        **_court_moves(HandoffPurpose.LITIGATION, HandoffPurpose.ENFORCEMENT),
    },
    S.COURT_REQUESTED: {
        **{f"handoff.accepted:{p}": S.IN_COURT for p in COURT_PURPOSES},
        **{f"handoff.returned:{p}": S.COURT_REFUSED for p in COURT_PURPOSES},
    },
    S.COURT_REFUSED: {"case.closed": S.CLOSED},
    S.IN_COURT: {
        # 督促程序: the order issued; an objection ends it (and the matter turns to litigation)
        "court.payment_order_issued": S.IN_COURT,
        "court.payment_order_objected": S.IN_COURT,
        "court.ruling_entered": S.RULED,
        "court.enforcement_started": S.ENFORCING,  # an award is enforced without a new ruling
        "case.closed": S.CLOSED,
    },
    S.RULED: {"court.enforcement_started": S.ENFORCING, "case.closed": S.CLOSED},
    S.ENFORCING: {"case.closed": S.CLOSED},
    S.CLOSED: {},
}

A = AidState
AID_TRANSITIONS: Mapping[AidState, Mapping[str, AidState]] = {
    A.NONE: {"handoff.requested:legal_aid": A.REQUESTED},
    A.REQUESTED: {
        "handoff.accepted:legal_aid": A.UNDER_REVIEW,
        "handoff.returned:legal_aid": A.RETURNED,
    },
    A.UNDER_REVIEW: {"legal_aid.granted": A.GRANTED, "legal_aid.refused": A.REFUSED},
    A.GRANTED: {},
    A.REFUSED: {},
    A.RETURNED: {},
}

N = InspectionState
INSPECTION_TRANSITIONS: Mapping[InspectionState, Mapping[str, InspectionState]] = {
    N.NONE: {"handoff.requested:labor_inspection": N.REFERRED},
    N.REFERRED: {
        "handoff.accepted:labor_inspection": N.UNDER_INSPECTION,
        "handoff.returned:labor_inspection": N.RETURNED,
    },
    N.UNDER_INSPECTION: {"inspection.concluded": N.CONCLUDED},
    N.CONCLUDED: {},
    N.RETURNED: {},
}

TERMINAL_CASE_STATES = frozenset({S.CLOSED})

# Events that neither track moves on: they record facts about a case in the state it is in.
# Facts recorded about a case that do not move it: consultations, evidence, sessions, offers,
# subsidies.
FACT_EVENTS = ("consultation.convened", "consultation.held", "case.evidence_received",
               "mediation.session_held",
               "mediation.arbitration_offered", "mediation.arbitration_declined",
               "mediation.agreement_unperformed", "mediation.subsidy_assessed",
               "legal_aid.provisional_aid_started", "legal_aid.representation_continued")
NEUTRAL_EVENTS = frozenset({"case.filed", "trail.accessed", "trail.bounced", "warning.raised",
                            "agency.changed", "personal_data.read",
                            "case.personal_data_erased", "case.evidence_deleted",
                            *FACT_EVENTS,
                            *CLOCK_EVENTS})


def move_of(event_type: str, purpose: str | None = None) -> str:
    """The key a move is looked up by: handoff events are qualified by their purpose."""
    return f"{event_type}:{purpose}" if purpose else event_type


def is_aid_move(move: str) -> bool:
    return move.startswith("legal_aid.") or move.endswith(f":{HandoffPurpose.LEGAL_AID}")


def is_inspection_move(move: str) -> bool:
    return move.startswith("inspection.") or move.endswith(f":{HandoffPurpose.LABOR_INSPECTION}")


def next_inspection_state(state: InspectionState, move: str) -> InspectionState:
    try:
        return INSPECTION_TRANSITIONS[state][move]
    except KeyError:
        raise IllegalTransition(state, move) from None


def next_case_state(state: CaseState, move: str) -> CaseState:
    try:
        return CASE_TRANSITIONS[state][move]
    except KeyError:
        raise IllegalTransition(state, move) from None


def next_aid_state(state: AidState, move: str) -> AidState:
    try:
        return AID_TRANSITIONS[state][move]
    except KeyError:
        raise IllegalTransition(state, move) from None


class CaseProgress:
    """Where a case stands on every track, advanced one move at a time."""

    def __init__(self, state: CaseState = S.FILED, aid: AidState = A.NONE,
                 inspection: InspectionState = N.NONE) -> None:
        self.state = state
        self.aid = aid
        self.inspection = inspection

    def apply(self, move: str) -> None:
        if move in NEUTRAL_EVENTS:
            return
        if is_aid_move(move):
            self.aid = next_aid_state(self.aid, move)
        elif is_inspection_move(move):
            self.inspection = next_inspection_state(self.inspection, move)
        else:
            self.state = next_case_state(self.state, move)

    @property
    def closed(self) -> bool:
        return self.state in TERMINAL_CASE_STATES


def state_when_requested(purpose: HandoffPurpose) -> str:
    """Where a case stands, for the receiving agency, once a handoff for ``purpose`` is made."""
    move = move_of("handoff.requested", purpose)
    if is_aid_move(move):
        return AID_TRANSITIONS[A.NONE][move]
    if is_inspection_move(move):
        return INSPECTION_TRANSITIONS[N.NONE][move]
    targets = {row[move] for row in CASE_TRANSITIONS.values() if move in row}
    (state,) = targets
    return state


def next_state(state: str, move: str) -> str:
    """One move on whichever track the move belongs to."""
    track: type[StrEnum] = (AidState if is_aid_move(move) else
                            InspectionState if is_inspection_move(move) else CaseState)
    if state not in track._value2member_map_:
        raise IllegalTransition(state, move)  # a state of another track
    if track is AidState:
        return next_aid_state(AidState(state), move)
    if track is InspectionState:
        return next_inspection_state(InspectionState(state), move)
    return next_case_state(CaseState(state), move)
