"""A case's trail and what it says about the case, in plain Python."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from disputes_shared.contract.handoff import BOUNCED_AFTER_RETURNS, Handoff, HandoffStatus
from disputes_shared.contract.lifecycle import (
    AidState,
    CaseProgress,
    CaseState,
    IllegalTransition,
    InspectionState,
    move_of,
)
from disputes_shared.contract.payloads import WORK_ENDING_EVENTS

from .chain import with_texts_restored


@dataclass
class TrailEntry:
    event_id: str
    case_id: str
    event_type: str
    move: str
    source_agency: str
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]
    causation_id: str | None = None
    id: int | None = None
    prev_hash: str = ""  # the hash chain (see chain.py)
    entry_hash: str = ""
    signature: str = ""  # the trail service's signature of entry_hash (hex)
    format: int = 1  # how the entry is hashed (chain.ENTRY_FORMAT for every new one)
    texts: dict[str, Any] | None = None  # free texts and their salts, kept beside the chain; erasable
    # Beside the chain too, for the handoff view to count without reading every payload.
    worked_seconds: float | None = None


@dataclass
class PersonalDataRead:
    """An access record (PIPL arts. 51, 55): a read of a case's personal data, as announced by
    the agency that answered it. The worker is named by ``case.filed``'s keyed ``worker_ref``,
    so an auditor lists every read of one worker's data without anyone's ID number here."""

    event_id: str
    case_id: str
    worker_ref: str | None
    read_at: datetime
    agency: str
    reader: str  # the signed-in subject, or ``data_subject`` for the worker themself
    role: str  # the reader's role, or ``worker``
    fields: list[str]
    purpose: str
    via: str
    id: int | None = None


DATA_SUBJECT = {"subject": "data_subject", "role": "worker"}


def read_of(entry: TrailEntry, worker_ref: str | None) -> PersonalDataRead:
    """The access record a ``personal_data.read`` entry announces."""
    payload = entry.payload
    reader = DATA_SUBJECT if payload.get("data_subject") else (payload.get("actor") or {})
    return PersonalDataRead(
        event_id=entry.event_id, case_id=entry.case_id, worker_ref=worker_ref,
        read_at=entry.occurred_at, agency=entry.source_agency,
        reader=reader.get("subject", "unknown"), role=reader.get("role", "unknown"),
        fields=list(payload["fields_read"]), purpose=payload["purpose"], via=payload["via"])


def read_view(read: PersonalDataRead) -> dict[str, Any]:
    return {"at": read.read_at.isoformat(), "case_id": read.case_id, "worker_ref": read.worker_ref,
            "agency": read.agency, "reader": read.reader, "role": read.role,
            "fields": read.fields, "purpose": read.purpose, "via": read.via,
            "event_id": read.event_id}


def worker_ref_of(entries: Iterable[TrailEntry]) -> str | None:
    """The case's worker as ``case.filed`` named them (a keyed ref), if it did."""
    return next((e.payload.get("worker_ref") for e in entries if e.event_type == "case.filed"), None)


@dataclass
class CaseSummary:
    case_id: str
    state: str
    aid_state: str
    opened_at: datetime
    last_event_at: datetime
    closed_at: datetime | None = None
    outcome: str | None = None
    amount_recovered: str | None = None
    returns: int = 0
    anomalies: list[str] = field(default_factory=list)
    # None for a summary kept before the inspection track was: the case is replayed once.
    inspection_state: str | None = None
    worker_ref: str | None = None  # as ``case.filed`` named the worker (a keyed ref)

    @property
    def closed(self) -> bool:
        return self.state == CaseState.CLOSED

    @property
    def bounced(self) -> bool:
        """Returned between agencies often enough to be flagged (推诿扯皮)."""
        return self.returns >= BOUNCED_AFTER_RETURNS


# Who performs each act. Broadcast events name the acting agency, not the staff member, so the
# role is the one that performs that act at that agency: the desk answers handoffs, the
# case-worker (mediator, arbitrator...) decides and hands on.
DESK_ROLE = {"mediation": "station_admin", "legal_aid": "legal_aid_officer",
             "arbitration": "arbitration_clerk", "courts": "court_clerk"}
CASEWORKER_ROLE = {"intake": "system", "mediation": "mediator", "legal_aid": "legal_aid_officer",
                   "arbitration": "arbitrator", "courts": "court_clerk", "trail": "auditor"}
FIXED_ROLE = {"case.triaged": "system", "trail.accessed": "auditor",
              "case.evidence_received": "worker"}  # sent with the worker's access code
FILED_BY = {"online": "worker", "counter": "intake_clerk", "hotline_12345": "hotline_operator",
            "hotline_12333": "hotline_operator", "referral": "intake_clerk"}


def acting_role(source_agency: str, event_type: str, payload: dict[str, Any]) -> str:
    if event_type == "personal_data.read":  # the reader themself, as the record names them
        return "worker" if payload.get("data_subject") else (payload.get("actor") or {}).get("role", "unknown")
    if event_type == "case.filed":  # the worker online, or staff taking the claim down
        return FILED_BY.get(payload.get("channel", ""), "intake_clerk")
    if event_type in FIXED_ROLE:
        return FIXED_ROLE[event_type]
    if event_type in ("handoff.accepted", "handoff.returned"):
        return DESK_ROLE.get(source_agency, "system")
    return CASEWORKER_ROLE.get(source_agency, "system")


def routing_rule(event_type: str, payload: dict[str, Any]) -> str | None:
    """The rule that routed the case at this entry: triage's rules, or a handoff's reason."""
    if event_type == "case.triaged":
        return ", ".join(payload.get("rules_fired", [])) or None
    if event_type == "handoff.requested":
        return payload.get("reason")
    return None


def acting_person(event_type: str, payload: dict[str, Any]) -> str | None:
    """The signed-in person who acted, when the event names one (the system names no one)."""
    if event_type == "trail.accessed":
        return payload.get("accessed_by")
    actor = payload.get("actor")
    return actor.get("subject") if isinstance(actor, dict) else None


def entry_view(entry: TrailEntry) -> dict[str, Any]:
    """One line of a trail as an auditor reads it: who (agency, role and person), what, when,
    how long the handoff waited before it was taken up, and the rule that routed it; ``entry_id``
    is its place in the chain, as a verification names the first bad one."""
    payload = readable_payload(entry)
    return {
        "entry_id": entry.id, "at": entry.occurred_at.isoformat(), "agency": entry.source_agency,
        "role": acting_role(entry.source_agency, entry.event_type, payload),
        "actor": acting_person(entry.event_type, payload),
        "event_type": entry.event_type, "move": entry.move, "event_id": entry.event_id,
        "causation_id": entry.causation_id,
        "rule": routing_rule(entry.event_type, payload),
        "waited_seconds": payload.get("wait_seconds") if entry.event_type in (
            "handoff.accepted", "handoff.returned") else None,
        "worked_seconds": payload.get("worked_seconds"),
        "details": payload,
    }


def readable_payload(entry: TrailEntry) -> dict[str, Any]:
    """The payload with its texts back in place (``erased`` where the case was erased)."""
    return with_texts_restored(entry.payload, entry.texts)


def worked_seconds_of(event_type: str, payload: dict[str, Any]) -> float | None:
    """How long the agency worked on the case, when the event ends a stay and names it."""
    seconds = payload.get("worked_seconds") if event_type in WORK_ENDING_EVENTS else None
    return None if seconds is None else float(seconds)


def entry_move(event_type: str, payload: dict[str, Any]) -> str:
    return move_of(event_type, payload.get("purpose") if event_type.startswith("handoff.") else None)


def summarise(case_id: str, entries: list[TrailEntry]) -> CaseSummary:
    """Replay a case's entries, in the order they happened, through the transition table.

    Events from different agencies can arrive out of order; replaying by ``occurred_at`` puts
    them back. A move the table still refuses is kept as an anomaly for the auditors.
    """
    # At the same moment, by place in the chain; an entry not yet recorded (no place) is last.
    ordered = sorted(entries, key=lambda e: (e.occurred_at, e.id is None, e.id or 0))
    progress = CaseProgress()
    summary = CaseSummary(case_id=case_id, state=str(progress.state), aid_state=str(progress.aid),
                          opened_at=ordered[0].occurred_at, last_event_at=ordered[-1].occurred_at,
                          inspection_state=str(progress.inspection))
    for entry in ordered:
        _apply(summary, progress, entry)
    return summary


def advanced(summary: CaseSummary | None, entry: TrailEntry) -> CaseSummary | None:
    """The summary with the case's newest entry applied: what ``summarise`` gives for the case's
    entries and this one, without reading them again. None when the entry is not the newest by
    ``occurred_at`` (it arrived out of order) or the summary does not say enough: the case must
    be replayed."""
    if summary is None or summary.inspection_state is None or entry.occurred_at < summary.last_event_at:
        return None
    progress = CaseProgress(CaseState(summary.state), AidState(summary.aid_state),
                            InspectionState(summary.inspection_state))
    after = replace(summary, anomalies=list(summary.anomalies), last_event_at=entry.occurred_at)
    _apply(after, progress, entry)
    return after


def _apply(summary: CaseSummary, progress: CaseProgress, entry: TrailEntry) -> None:
    """One entry, the next in the order things happened, on the summary and the case's progress."""
    if entry.event_type == "case.filed" and summary.worker_ref is None:
        summary.worker_ref = entry.payload.get("worker_ref")
    try:
        progress.apply(entry.move)
    except IllegalTransition as exc:
        summary.anomalies.append(f"{entry.event_id}: {exc}")
        return  # a refused move changes nothing but the list of anomalies
    if entry.event_type == "handoff.returned":
        summary.returns += 1
    if entry.event_type == "case.closed":
        summary.closed_at = entry.occurred_at
        summary.outcome = entry.payload.get("outcome")
        summary.amount_recovered = entry.payload.get("amount_recovered")
    summary.state, summary.aid_state = str(progress.state), str(progress.aid)
    summary.inspection_state = str(progress.inspection)


def handoff_from_event(event_type: str, payload: dict[str, Any], case_id: str,
                       known: Handoff | None) -> Handoff:
    """The trail's copy of a handoff, updated by one of its events (in whatever order)."""
    handoff = known or Handoff(
        handoff_id=payload["handoff_id"], case_id=case_id,
        from_agency=payload["from_agency"], to_agency=payload["to_agency"],
        purpose=payload["purpose"], requested_at=_time(payload["requested_at"]),
        reason=payload.get("reason"), to_unit=payload.get("to_unit"))
    if event_type == "handoff.accepted" and handoff.status is HandoffStatus.PENDING:
        handoff.accept(_time(payload["accepted_at"]))
    elif event_type == "handoff.returned" and handoff.status is HandoffStatus.PENDING:
        handoff.return_(_time(payload["returned_at"]), payload["reason"])
    return handoff


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


WAIT_PERCENTILES = (50, 95, 99)
WORK_PERCENTILES = (50, 95)


def percentile_ranks(count: int, q: int) -> tuple[int, int, int]:
    """The ranks (from 0) of the two sorted values the q-th percentile of ``count`` values
    interpolates between, as ``statistics.quantiles(method="inclusive")`` takes them, and the
    upper one's weight in hundredths."""
    lower = q * (count - 1) // 100
    return lower, min(lower + 1, count - 1), q * (count - 1) % 100


def ranks_wanted(count: int, percentiles: Iterable[int]) -> set[int]:
    """The ranks whose values the percentiles (and the maximum) need, whatever ``count``."""
    return {rank for q in percentiles for rank in percentile_ranks(count, q)[:2]} | {count - 1}


def rank_runs(ranks: Iterable[int]) -> list[tuple[int, int]]:
    """The ranks as runs of neighbours, first and last of each: a percentile's two values
    are read together."""
    runs: list[tuple[int, int]] = []
    for rank in sorted(ranks):
        if runs and rank == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], rank)
        else:
            runs.append((rank, rank))
    return runs


@dataclass
class RankedValues:
    """A group of values known by their count and the few of them, by rank, that its
    percentiles need: a group of a million values comes back from the database as a handful."""

    count: int
    at_rank: dict[int, float]

    def percentile(self, q: int) -> float:
        lower, upper, weight = percentile_ranks(self.count, q)
        return (self.at_rank[lower] * (100 - weight) + self.at_rank[upper] * weight) / 100

    @property
    def maximum(self) -> float:
        return self.at_rank[self.count - 1]


def ranked(values: Iterable[float], percentiles: Iterable[int]) -> RankedValues:
    ordered = sorted(values)
    return RankedValues(len(ordered), {rank: ordered[rank] for rank in ranks_wanted(len(ordered), percentiles)})


@dataclass
class PairTally:
    """The handoffs from one agency to another: how many, how they were answered, the oldest
    still pending, and the waits of those answered."""

    from_agency: str
    to_agency: str
    handoffs: int
    accepted: int
    returned: int
    pending: int
    oldest_pending: datetime | None
    waits: RankedValues | None  # None when none was answered


def tally_pairs(handoffs: Iterable[Handoff]) -> list[PairTally]:
    pairs: dict[tuple[str, str], list[Handoff]] = defaultdict(list)
    for handoff in handoffs:
        pairs[(str(handoff.from_agency), str(handoff.to_agency))].append(handoff)
    tallies = []
    for (source, target), group in pairs.items():
        waits = [h.wait_seconds for h in group if h.wait_seconds is not None]
        pending = [h.requested_at for h in group if h.status is HandoffStatus.PENDING]
        tallies.append(PairTally(
            source, target, len(group),
            accepted=sum(1 for h in group if h.status is HandoffStatus.ACCEPTED),
            returned=sum(1 for h in group if h.status is HandoffStatus.RETURNED),
            pending=len(pending), oldest_pending=min(pending, default=None),
            waits=ranked(waits, WAIT_PERCENTILES) if waits else None))
    return tallies


def tally_work(work: Iterable[tuple[str, float]]) -> dict[str, RankedValues]:
    """Each agency's stays (``work``: agency and seconds worked, one per stay)."""
    stays: dict[str, list[float]] = defaultdict(list)
    for agency, seconds in work:
        stays[agency].append(seconds)
    return {agency: ranked(times, WORK_PERCENTILES) for agency, times in stays.items()}


# The bounced cases the handoff view lists, those returned last: a national year bounces tens of
# thousands, which no operator reads through and no reply should carry; the view counts them all.
BOUNCES_LISTED = 100


@dataclass(frozen=True)
class Bounces:
    """The cases returned often enough to be flagged bounced: how many, and the returned
    handoffs of the ``BOUNCES_LISTED`` of them returned last."""

    count: int
    listed: list[Handoff]


def bounces(handoffs: Iterable[Handoff], listed: int = BOUNCES_LISTED) -> Bounces:
    """The bounced cases among ``handoffs``; those listed are the ones whose last return is the
    latest (a tie by case id, both from the end)."""
    returns_by_case: dict[str, list[Handoff]] = defaultdict(list)
    for handoff in handoffs:
        if handoff.status is HandoffStatus.RETURNED:
            returns_by_case[handoff.case_id].append(handoff)
    bounced = {case: returned for case, returned in returns_by_case.items()
               if len(returned) >= BOUNCED_AFTER_RETURNS}
    return Bounces(len(bounced), [h for case in _last_returned_first(bounced)[:listed] for h in bounced[case]])


def _last_returned_first(returns_by_case: dict[str, list[Handoff]]) -> list[str]:
    """The cases, the one returned last first (a tie by case id, from the end)."""
    def last_return(case: str) -> tuple[datetime, str]:
        return max(h.answered_at for h in returns_by_case[case] if h.answered_at), case
    return sorted(returns_by_case, key=last_return, reverse=True)


def handoff_table(handoffs: Iterable[Handoff], now: datetime,
                  work: Iterable[tuple[str, float]] = ()) -> dict[str, Any]:
    """The bottleneck view over every handoff and every stay (``work``: agency and seconds,
    one per stay), as ``handoff_report`` gives it from their tallies."""
    handoffs = list(handoffs)
    return handoff_report(tally_pairs(handoffs), tally_work(work), bounces(handoffs), now)


def handoff_report(pairs: Iterable[PairTally], work: dict[str, RankedValues],
                   bounced: Bounces, now: datetime) -> dict[str, Any]:
    """The bottleneck view: waits by agency pair (slowest first), backlog, bounced cases (how
    many, and those returned last with their returns), and the time each agency worked on its
    cases once it had taken them up."""
    rows: list[dict[str, Any]] = []
    oldest: dict[str, datetime] = {}
    pending: dict[str, int] = defaultdict(int)
    for pair in pairs:
        waits = pair.waits
        rows.append({
            "from_agency": pair.from_agency, "to_agency": pair.to_agency, "handoffs": pair.handoffs,
            "accepted": pair.accepted, "returned": pair.returned, "pending": pair.pending,
            **{f"wait_p{q}_seconds": waits.percentile(q) if waits else None for q in WAIT_PERCENTILES},
            "wait_max_seconds": waits.maximum if waits else None,
        })
        if pair.oldest_pending is not None:
            pending[pair.to_agency] += pair.pending
            oldest[pair.to_agency] = min(oldest.get(pair.to_agency, pair.oldest_pending), pair.oldest_pending)
    rows.sort(key=lambda r: (-float(r["wait_p95_seconds"] or 0), r["from_agency"], r["to_agency"]))
    ages = {agency: max(0.0, (now - at).total_seconds()) for agency, at in oldest.items()}
    backlog = [{"agency": agency, "pending": pending[agency], "oldest_age_seconds": ages[agency]}
               for agency in sorted(pending, key=lambda a: (-pending[a], -ages[a], a))]
    working: list[dict[str, Any]] = [
        {"agency": agency, "stays": times.count, "work_p50_seconds": times.percentile(50),
         "work_p95_seconds": times.percentile(95)} for agency, times in work.items()]
    working.sort(key=lambda w: (-w["work_p95_seconds"], w["agency"]))
    returns_by_case: dict[str, list[Handoff]] = defaultdict(list)
    for handoff in bounced.listed:
        returns_by_case[handoff.case_id].append(handoff)
    cases = _last_returned_first(returns_by_case)
    return {"pairs": rows, "backlog": backlog, "bounced_count": bounced.count, "bounced_cases": cases,
            "work": working, "bounces": [bounce_view(case, returns_by_case[case]) for case in cases]}


def bounce_view(case_id: str, returned: list[Handoff]) -> dict[str, Any]:
    """A bounced case: each return in order, who sent it back to whom and why."""
    ordered = sorted(returned, key=lambda h: (h.answered_at or h.requested_at, h.handoff_id))
    return {"case_id": case_id, "returns": len(ordered), "path": [
        {"from_agency": str(h.to_agency), "to_agency": str(h.from_agency),
         "unit": h.to_unit, "purpose": str(h.purpose), "reason": h.reason,
         "returned_at": h.answered_at.isoformat() if h.answered_at else None}
        for h in ordered]}
