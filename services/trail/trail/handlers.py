"""The trail's service layer: record every event, keep each case's summary, answer auditors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.lifecycle import UnknownCase
from disputes_shared.contract.payloads import PERSONAL_DATA_EVENTS, PersonalDataRefused
from disputes_shared.contract.reads import READ_EVENT
from disputes_shared.contract.registry import CASELESS_EVENTS
from disputes_shared.plumbing.erasure import ERASED_EVENT, erase_handoff_reasons
from disputes_shared.plumbing.handoff_desk import handoff_view

from .chain import (
    ENTRY_FORMAT,
    GENESIS,
    Checkpoint,
    Verdict,
    entry_digest,
    entry_message,
    verify,
    with_texts_salted,
)
from .domain import (
    BOUNCED_AFTER_RETURNS,
    BOUNCES_LISTED,
    CaseSummary,
    TrailEntry,
    advanced,
    entry_move,
    entry_view,
    handoff_from_event,
    handoff_report,
    read_of,
    read_view,
    readable_payload,
    summarise,
    worked_seconds_of,
    worker_ref_of,
)
from .ports import TrailUnitOfWork

MAX_PAGE = 5000  # entries per call of ``entries``
SUMMARIES_KEPT = 4096  # cases whose summary a trail keeps in memory, the latest stored


class Trail:
    """The trail's service layer. ``sign`` is the trail's private key's signing function:
    recording needs it, reading does not; ``check`` verifies a signature with its public key,
    for the ``verify`` the trail answers itself."""

    agency = Agency.TRAIL

    def __init__(self, sign: Callable[[bytes], bytes] | None = None,
                 check: Callable[[bytes, bytes], bool] | None = None) -> None:
        self.sign, self.check = sign, check
        # The hash of the entry this trail appended last: where the chain ends, unless another
        # replica appended since or that transaction was rolled back (the append checks).
        self.chain_end: str | None = None
        # Each case's summary as this trail last stored it, and the hash of the case's entry
        # recorded with it: still the summary kept while that entry is still the case's last.
        self.stored: dict[str, tuple[CaseSummary, str]] = {}

    def handle(self, uow: TrailUnitOfWork, envelope: Envelope) -> str:
        if envelope.event_type in PERSONAL_DATA_EVENTS:
            # Never stored: the trail is read widely and must hold no personal data.
            raise PersonalDataRefused(f"{envelope.event_type} must not reach the trail")
        payload = _plain(envelope.payload)
        entry = TrailEntry(
            event_id=envelope.event_id, case_id=envelope.case_id, event_type=envelope.event_type,
            move=entry_move(envelope.event_type, payload), source_agency=str(envelope.source_agency),
            occurred_at=envelope.occurred_at, recorded_at=uow.clock.now(), payload=payload,
            causation_id=envelope.causation_id, worked_seconds=worked_seconds_of(envelope.event_type, payload))
        if envelope.event_type == "handoff.requested":
            # Its answer, come first, knows it all already.
            uow.handoffs.add_unless_known(handoff_from_event(envelope.event_type, payload, envelope.case_id, None))
        elif envelope.event_type.startswith("handoff."):
            known = uow.handoffs.get(payload["handoff_id"])
            handoff = handoff_from_event(envelope.event_type, payload, envelope.case_id, known)
            (uow.handoffs.save if known else uow.handoffs.add)(handoff)
        if envelope.event_type == ERASED_EVENT:
            self._erase_texts(uow, envelope.case_id)
        if envelope.event_type in CASELESS_EVENTS:
            self._record(uow, entry)  # chained like every event; no case to summarise
            return "handled"
        self._seal(entry)
        before, summary = self._summary_stored(uow, entry)
        if envelope.event_type == READ_EVENT:
            uow.reads.add(read_of(entry, summary.worker_ref))
        elif envelope.event_type == "case.filed" and payload.get("worker_ref") and before:
            # Reads recorded before the filing reached the trail (a filing parked, then
            # replayed) are the worker's too. A case with no summary has none: each read is
            # recorded with its case's summary.
            uow.reads.name_worker(envelope.case_id, payload["worker_ref"])
        # Appended last: the chain's end is held from the append to the commit, so the rest of
        # the work is done before it is taken.
        self._append(uow, entry)
        if summary.bounced and not (before and before.bounced):
            entry = self._flag_bounced(uow, summary, entry)
        # Kept before the commit: should it fail, the case's last entry is another one.
        self._keep(summary, entry.entry_hash)
        return "handled"

    def _summary_stored(self, uow: TrailUnitOfWork, entry: TrailEntry) -> tuple[CaseSummary | None, CaseSummary]:
        """The case's summary before the entry, and after it, stored. The summary this trail
        stored last is used unread while the case's last entry is the one recorded with it
        (the save checks)."""
        kept = self.stored.get(entry.case_id)
        if kept is not None:
            summary = self._summary_after(uow, kept[0], entry)
            if uow.summaries.save_if_last(summary, kept[1]):
                return kept[0], summary
        before = uow.summaries.get(entry.case_id)
        summary = self._summary_after(uow, before, entry)
        (uow.summaries.save if before else uow.summaries.add)(summary)
        return before, summary

    def _summary_after(self, uow: TrailUnitOfWork, before: CaseSummary | None, entry: TrailEntry) -> CaseSummary:
        """The newest event of its case is applied to the summary kept; one that arrived out of
        order has the case replayed (the entry is not in the table yet: appended last), as does
        a case summarised before summaries said enough. A case with no summary has no entries
        yet: each is recorded with its case's summary."""
        return advanced(before, entry) or summarise(
            entry.case_id, [*(self._entries(uow, entry.case_id) if before else []), entry])

    def _keep(self, summary: CaseSummary, recorded_with: str) -> None:
        self.stored.pop(summary.case_id, None)
        if len(self.stored) >= SUMMARIES_KEPT:
            del self.stored[next(iter(self.stored))]  # the case stored longest ago
        self.stored[summary.case_id] = (summary, recorded_with)

    def _erase_texts(self, uow: TrailUnitOfWork, case_id: str) -> None:
        """A service erased the case's personal data: the free texts kept beside the case's
        entries go too (their salted hashes stay in the chain, which still verifies), and the
        reasons of its handoffs. The erasures' own entries keep theirs: they name no one."""
        uow.entries.erase_texts(case_id, keep=ERASED_EVENT)
        erase_handoff_reasons(uow, case_id)

    def _flag_bounced(self, uow: TrailUnitOfWork, summary: CaseSummary, cause: TrailEntry) -> TrailEntry:
        """推诿扯皮: the trail itself records, in the chain, that the case is being passed around."""
        now = uow.clock.now()
        flag = TrailEntry(
            event_id=str(uuid.uuid4()), case_id=summary.case_id, event_type="trail.bounced",
            move="trail.bounced", source_agency=str(self.agency), occurred_at=cause.occurred_at,
            recorded_at=now, payload={"returns": summary.returns, "after_event_id": cause.event_id},
            causation_id=cause.event_id)
        self._record(uow, flag)
        return flag

    def checkpoint(self, uow: TrailUnitOfWork) -> Checkpoint | None:
        """Sign the head of the chain, if it moved since the last checkpoint. One replica at a
        time: checkpoints are a chain too (each names the one before)."""
        if not uow.lease("trail-checkpoint"):
            return None  # another replica is signing one now
        entry_id, head = uow.entries.head_hash()
        if entry_id is None or head is None or uow.checkpoints.get(entry_id) is not None:
            return None
        last = uow.checkpoints.latest()
        # Counted on from the last checkpoint, up to the head read (appends committed since are
        # the next checkpoint's): counting a trail of millions every few seconds would cost
        # more than all the events it signs.
        entries = (last.entries + uow.entries.count_between(last.entry_id, entry_id)
                   if last and last.entry_id <= entry_id else uow.entries.count_through(entry_id))
        checkpoint = Checkpoint(entry_id=entry_id, entries=entries, head_hash=head,
                                signed_at=uow.clock.now(), previous=last.signature if last else "",
                                signature="")
        checkpoint.signature = self._signed(checkpoint.message())
        uow.checkpoints.add(checkpoint)
        return checkpoint

    def verify(self, uow: TrailUnitOfWork, signature_valid: Callable[[bytes, bytes], bool] | None = None,
               witnessed: Checkpoint | None = None) -> Verdict:
        """The whole chain and its checkpoints checked (``chain.verify``), with the public key
        given, or else the trail's own."""
        valid = signature_valid or self.check
        if valid is None:
            raise RuntimeError("no public key to check the trail's signatures with")
        return verify(uow.entries.in_recorded_order(), uow.checkpoints.in_order(), valid, witnessed)

    def _entries(self, uow: TrailUnitOfWork, case_id: str) -> list[TrailEntry]:
        return uow.entries.of_case(case_id)

    def _record(self, uow: TrailUnitOfWork, entry: TrailEntry) -> None:
        self._seal(entry)
        self._append(uow, entry)

    @staticmethod
    def _seal(entry: TrailEntry) -> None:
        """The entry as the chain keeps it: its free texts salted and set beside it."""
        entry.format = ENTRY_FORMAT
        entry.payload, entry.texts = with_texts_salted(entry.payload)

    def _append(self, uow: TrailUnitOfWork, entry: TrailEntry) -> None:
        """The sealed entry at the chain's end (held from here until the transaction ends). It
        is appended after the entry this trail appended last, unless the chain ends elsewhere:
        then after the end read, which costs a statement more."""
        uow.entries.hold_end()
        if self.chain_end is None or not self._appended_after(uow, entry, self.chain_end):
            end = uow.entries.head_hash()[1] or GENESIS
            if not self._appended_after(uow, entry, end):
                raise RuntimeError("the chain's end moved while it was held")
        self.chain_end = entry.entry_hash

    def _appended_after(self, uow: TrailUnitOfWork, entry: TrailEntry, end: str) -> bool:
        entry.prev_hash = end
        entry.entry_hash = entry_digest(end, entry)
        entry.signature = self._signed(entry_message(entry.entry_hash))
        return uow.entries.append_after(entry, end)

    def _record_access(self, uow: TrailUnitOfWork, case_id: str, accessed_by: str, role: str,
                       **what: str) -> None:
        """Who read the case's trail (or, with ``listed``, which of its records), in the chain."""
        now = uow.clock.now()
        # The access is the case's newest entry: an event that happened before it and arrives
        # after it is out of order, as the summary kept must know.
        uow.summaries.seen_at(case_id, now)
        self._record(uow, TrailEntry(
            event_id=str(uuid.uuid4()), case_id=case_id, event_type="trail.accessed",
            move="trail.accessed", source_agency=str(self.agency), occurred_at=now,
            recorded_at=now, payload={"accessed_by": accessed_by, "role": role, **what}))

    def _signed(self, message: bytes) -> str:
        if self.sign is None:
            raise RuntimeError("this trail has no signing key: it can be read, not written")
        return self.sign(message).hex()

    def trail(self, uow: TrailUnitOfWork, case_id: str, accessed_by: str,
              role: str = "auditor") -> dict[str, Any]:
        """A case's trail, as an auditor (or the worker portal, for the case's worker) reads it;
        the reading itself is recorded on the trail, with the reader's role."""
        summary = uow.summaries.get(case_id)
        if summary is None:
            raise UnknownCase(f"no trail for case {case_id}")
        entries = sorted(self._entries(uow, case_id), key=lambda e: (e.occurred_at, e.id or 0))
        self._record_access(uow, case_id, accessed_by, role)
        return {
            **summary_view(summary),
            "entries": [entry_view(e) for e in entries],
            "handoffs": [handoff_view(h) for h in uow.handoffs.for_case(case_id)],
        }

    def personal_data_reads(self, uow: TrailUnitOfWork, accessed_by: str, role: str,
                            case_id: str | None = None, worker_ref: str | None = None,
                            whole_worker: bool = False) -> list[dict[str, Any]]:
        """Reads of personal data: of one case, or every read of one worker's data (by their
        ``worker_ref``, or as the worker who filed ``case_id`` with ``whole_worker``). The
        listing itself is recorded on each case it shows (``trail.accessed``), as reading a
        trail is."""
        if whole_worker and case_id is not None:
            worker_ref = worker_ref_of(self._entries(uow, case_id))
            if worker_ref is None:
                raise UnknownCase(f"the trail knows no worker of case {case_id}")
        if worker_ref is not None:
            found = uow.reads.of_worker(worker_ref)
        elif case_id is not None:
            found = uow.reads.of_case(case_id)
        else:
            raise ValueError("name a case or a worker")
        for listed_case in sorted({read.case_id for read in found}):
            self._record_access(uow, listed_case, accessed_by, role, listed="personal_data_reads")
        return [read_view(read) for read in found]

    def entries(self, uow: TrailUnitOfWork, after: int, limit: int) -> list[dict[str, Any]]:
        """The recorded events in recorded order, a page at a time: what a read model (the
        analytics service's) is rebuilt from. No personal data is on the trail to give away."""
        return [{"id": e.id, "event_id": e.event_id, "case_id": e.case_id, "event_type": e.event_type,
                 "source_agency": e.source_agency, "occurred_at": e.occurred_at.isoformat(),
                 "payload": readable_payload(e)} for e in uow.entries.after(after, min(limit, MAX_PAGE))]

    def case_states(self, uow: TrailUnitOfWork, case_ids: list[str] | None = None) -> dict[str, Any]:
        return {s.case_id: summary_view(s) for s in uow.summaries.of_cases(case_ids)}

    def handoff_summary(self, uow: TrailUnitOfWork) -> dict[str, Any]:
        """The bottleneck view, tallied where the handoffs are: a handful of rows come back."""
        return handoff_report(uow.handoffs.pair_tallies(), uow.entries.work_tallies(),
                              uow.handoffs.bounces(BOUNCES_LISTED), uow.clock.now())

    def bounced_cases(self, uow: TrailUnitOfWork) -> dict[str, int]:
        """How many cases have been passed back and forth (推诿扯皮), still open or closed."""
        bounced, closed = uow.summaries.count_returned_at_least(BOUNCED_AFTER_RETURNS)
        return {"open": bounced - closed, "closed": closed}


def summary_view(summary: CaseSummary) -> dict[str, Any]:
    return {
        "case_id": summary.case_id, "state": summary.state, "aid_state": summary.aid_state,
        "opened_at": summary.opened_at.isoformat(),
        "closed_at": summary.closed_at.isoformat() if summary.closed_at else None,
        "outcome": summary.outcome, "amount_recovered": summary.amount_recovered,
        "returns": summary.returns, "bounced": summary.bounced, "anomalies": summary.anomalies,
    }


def _plain(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as JSON types, as the trail stores and shows it (nested values too)."""
    return {key: _plain_value(value) for key, value in payload.items()}


def _plain_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _plain(value)
    if isinstance(value, list):
        return [_plain_value(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
