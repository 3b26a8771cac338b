"""Intake's service layer: file a claim, route it, react to the answers of the agencies."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.employers import employer_ref
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.handoff import HandoffPurpose, HandoffStatus
from disputes_shared.contract.lifecycle import UnknownCase, move_of
from disputes_shared.contract.reads import field_names, read_recorded
from disputes_shared.contract.refs import REF_KEY_BYTES
from disputes_shared.contract.registry import REGISTRY_CASE_ID, Purpose
from disputes_shared.contract.stations import stations
from disputes_shared.contract.vocabularies import ReadPurpose, ReadVia
from disputes_shared.contract.workers import worker_ref
from disputes_shared.plumbing.erasure import EVIDENCE_DELETED_EVENT, erase_case, shown
from disputes_shared.plumbing.handoff_desk import HandoffDesk
from disputes_shared.ports import ERASED
from disputes_shared.regional import RegionalFigures, regional_figures
from disputes_shared.retention import RecordKind, RetentionFile, RetentionSchedule
from disputes_shared.statute.limitation import limitation_for
from disputes_shared.statute.periods import ChineseStatutoryCalendar, WorkingCalendar

from .access import CheckedCode, Stretch, WorkerCode, access_code_matches, access_digest, stretched
from .domain import SEALED_FIELDS, Claim, ErasureRefused, refers_to_labor_inspection
from .evidence import EvidenceFile, EvidenceLimits, evidence_file
from .ports import IntakeUnitOfWork
from .registry import RegisteredAgency, not_registered
from .triage import RoutingDecision, RuleTable, load_rule_table, triage


def new_case_id(at: datetime) -> str:
    return f"LD-{at:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"


class Intake:
    agency = Agency.INTAKE

    def __init__(self, figures: RegionalFigures | None = None, rules: RuleTable | None = None,
                 calendar: WorkingCalendar | None = None,
                 evidence_limits: EvidenceLimits | None = None, ref_key: bytes | None = None,
                 retention: RetentionSchedule | RetentionFile | None = None,
                 stretch: Stretch = stretched) -> None:
        """``ref_key``: the key of ``case.filed``'s ``worker_ref`` and ``employer_ref`` (the
        service's is kept in a file; without one, a key of this instance only). ``retention``: the
        city's schedule, or its file followed as it changes. ``stretch``: the access codes' key
        stretching as the service runs it, never inside a transaction (``claim_for_worker``)."""
        self.desk = HandoffDesk(self.agency)
        self.figures = figures or regional_figures()
        self.rules = rules or load_rule_table(self.figures)
        self.calendar = calendar or ChineseStatutoryCalendar()
        self.evidence_limits = evidence_limits or EvidenceLimits()
        self.ref_key = ref_key or secrets.token_bytes(REF_KEY_BYTES)
        self.retention = retention or RetentionSchedule()
        self.stretch = stretch
        self.handlers = {"handoff.accepted": self.record_handoff_answer,
                         "handoff.returned": self.record_handoff_answer,
                         "case.closed": self.record_closing}

    def _schedule(self) -> RetentionSchedule:
        """The schedule as it stands now (its file read again if it changed)."""
        return self.retention.schedule() if isinstance(self.retention, RetentionFile) else self.retention

    # -- commands ----------------------------------------------------------------------------

    def access_digest(self, access_code: str) -> str:
        """What is kept of a worker's access code, by ``stretch``: made before the claim's
        transaction (never inside one, see ``claim_for_worker``)."""
        return access_digest(access_code, stretch=self.stretch)

    def file_claim(self, uow: IntakeUnitOfWork, submission: dict[str, Any],
                   access_code_digest: str | None = None) -> Claim:
        """Store a validated claim and, in the same transaction, announce it, route it and hand
        it to mediation (and to legal aid when the worker asked; and wage arrears to labor
        inspection while the bureau is registered and active, read in this transaction).
        ``access_code_digest``: the worker's secret as kept (``access_digest``)."""
        now = uow.clock.now()
        case_id = new_case_id(now)
        claim = Claim.filed(submission, case_id=case_id, correlation_id=str(uuid.uuid4()),
                            received_at=now,
                            access_code_digest=access_code_digest)
        facts = claim.limitation_facts_parsed()
        if facts is not None:
            claim.record_limitation(limitation_for(facts, claim.claim_types, claim.relationship,
                                                   now.date(), self.calendar))
        filed = Envelope(
            event_type="case.filed", case_id=case_id, source_agency=self.agency, occurred_at=now,
            correlation_id=claim.correlation_id, payload={
                "channel": claim.channel, "industry": claim.industry,
                "relationship": claim.relationship, "claim_types": claim.claim_types,
                "amount_claimed": claim.amount_claimed, "worker_count": claim.worker_count,
                "district": claim.district, "legal_aid_requested": claim.legal_aid_requested,
                "chosen_station_id": claim.chosen_station_id,
                "employer_ref": employer_ref(str(claim.employer.get("name", "")), self.ref_key),
                "platform": claim.employer.get("platform") or None,
                "worker_ref": worker_ref(str(claim.worker["id_number"]), self.ref_key),
            })
        uow.emit(filed)
        window = timedelta(days=self.figures.repeat_employer_window_days)
        # This claim is not stored yet: count the others, then add it.
        recent = uow.claims.count_against_employer(claim.employer_key, now - window) + 1
        self._route(uow, claim, cause=filed.event_id, employer_recent_cases=recent)
        if claim.legal_aid_requested:
            self.desk.request(uow, case_id=case_id, correlation_id=claim.correlation_id,
                              purpose=HandoffPurpose.LEGAL_AID, dossier=claim.dossier(),
                              cause=filed.event_id, reason="worker requested legal aid")
        if refers_to_labor_inspection(claim) and self._routed_to(uow, Agency.LABOR_INSPECTION,
                                                                 Purpose.WAGE_ARREARS_REFERRALS):
            self.desk.request(uow, case_id=case_id, correlation_id=claim.correlation_id,
                              purpose=HandoffPurpose.LABOR_INSPECTION, dossier=claim.dossier(),
                              cause=filed.event_id, reason="wage arrears (欠薪)")
        uow.claims.add(claim)
        return claim

    def _routed_to(self, uow: IntakeUnitOfWork, agency: Agency, purpose: Purpose) -> bool:
        entry = uow.agencies.get(agency.value)
        return entry is not None and entry.receives(purpose)

    def _route(self, uow: IntakeUnitOfWork, claim: Claim, cause: str | None,
               employer_recent_cases: int = 1) -> None:
        decision = triage(claim.triage_facts(employer_recent_cases), self.rules, stations(),
                          claim.tried_stations)
        claim.rules_fired = list(decision.rules_fired)
        if claim.awaiting_triage:
            claim.urgent, claim.collective = decision.urgent, decision.collective
            cause = self._announce_triage(uow, claim, decision, cause)
        station = decision.station
        if station is None:
            claim.station_id = None
            purpose = HandoffPurpose(decision.purpose)
            claim.move(move_of("handoff.requested", purpose))
            self.desk.request(uow, case_id=claim.case_id, correlation_id=claim.correlation_id,
                              purpose=purpose, dossier=claim.dossier(),
                              cause=cause, reason=self._reason(decision))
            return
        claim.station_id = station.station_id
        claim.tried_stations = [*claim.tried_stations, station.station_id]
        claim.move(move_of("handoff.requested", HandoffPurpose.MEDIATION))
        self.desk.request(uow, case_id=claim.case_id, correlation_id=claim.correlation_id,
                          purpose=HandoffPurpose.MEDIATION, dossier=claim.dossier(), cause=cause,
                          reason=self._reason(decision), to_unit=station.station_id)

    def _reason(self, decision: RoutingDecision) -> str:
        return "; ".join(decision.rules_fired)

    def _announce_triage(self, uow: IntakeUnitOfWork, claim: Claim, decision: RoutingDecision,
                         cause: str | None) -> str:
        """``case.triaged`` with the rules that fired and why; an urgent case also gets its
        joint consultation convened (特事急诊)."""
        now = uow.clock.now()
        station = decision.station
        triaged = Envelope(
            event_type="case.triaged", case_id=claim.case_id, source_agency=self.agency,
            occurred_at=now, correlation_id=claim.correlation_id, causation_id=cause,
            payload={"station_id": station.station_id if station else "none",
                     "station_kind": station.kind if station else "none",
                     "urgent": decision.urgent, "collective": decision.collective,
                     "rules_fired": list(decision.rules_fired), "hand_to": decision.purpose,
                     "rule_reasons": {rule: self.rules.why(rule) for rule in decision.rules_fired},
                     "relationship": claim.relationship, "limitation": claim.limitation})
        uow.emit(triaged)
        claim.move("case.triaged")
        if decision.urgent:
            flags = [rule for rule in decision.rules_fired
                     if any(r.rule_id == rule and "urgent" in r.sets for r in self.rules.flags)]
            consultation = claim.convene_consultation(flags, now)
            uow.emit(Envelope(
                event_type="consultation.convened", case_id=claim.case_id,
                source_agency=self.agency, occurred_at=now, correlation_id=claim.correlation_id,
                causation_id=triaged.event_id,
                payload={"reasons": consultation["reasons"], "roles": consultation["roles"]}))
        return triaged.event_id

    def hold_consultation(self, uow: IntakeUnitOfWork, case_id: str, participants: dict[str, str],
                          plan: str) -> Claim:
        """The joint consultation of an urgent case met: who sat, and the one plan they agreed."""
        claim = self._claim(uow, case_id)
        now = uow.clock.now()
        consultation = claim.hold_consultation(participants, plan, now)
        uow.emit(Envelope(
            event_type="consultation.held", case_id=claim.case_id, source_agency=self.agency,
            occurred_at=now, correlation_id=claim.correlation_id,
            payload={"participants": consultation["participants"], "plan": consultation["plan"]}))
        uow.claims.save(claim)
        return claim

    def consultations_pending(self, uow: IntakeUnitOfWork) -> list[dict[str, Any]]:
        """Urgent cases whose joint consultation has not met yet (a read recorded should one
        show personal data: commit before answering)."""
        pending = [c for c in uow.claims.urgent_open()
                   if isinstance(c.consultation, dict) and not c.consultation["held_at"]]  # not erased
        for claim in pending:
            self.record_read(uow, claim, claim_personal_fields(claim), ReadPurpose.CONSULTATION,
                             ReadVia.RPC)
        return [claim_view(c) for c in pending]

    # -- the registry of outside agencies -----------------------------------------------------

    def register_agency(self, uow: IntakeUnitOfWork, name: str, purpose: str | None) -> RegisteredAgency:
        """Route to an outside agency from now on (a removed one may be registered again)."""
        known = uow.agencies.get(name)
        entry = RegisteredAgency.register(name, purpose, self._who(uow), uow.clock.now(), known)
        (uow.agencies.save if known else uow.agencies.add)(entry)
        self._announce_registry(uow, entry)
        return entry

    def suspend_agency(self, uow: IntakeUnitOfWork, name: str) -> RegisteredAgency:
        """Route nothing new to it; the handoffs it holds stay pending with it."""
        return self._change_agency(uow, name, RegisteredAgency.suspend)

    def resume_agency(self, uow: IntakeUnitOfWork, name: str) -> RegisteredAgency:
        return self._change_agency(uow, name, RegisteredAgency.resume)

    def remove_agency(self, uow: IntakeUnitOfWork, name: str) -> RegisteredAgency:
        return self._change_agency(uow, name, RegisteredAgency.remove)

    def agencies(self, uow: IntakeUnitOfWork) -> list[dict[str, Any]]:
        """The registry, with the referrals each agency still holds (pending, not answered)."""
        return [{**registry_view(entry),
                 "pending_handoffs": uow.handoffs.pending_count(Agency(entry.name))[0]}
                for entry in uow.agencies.listed()]

    def _change_agency(self, uow: IntakeUnitOfWork, name: str,
                       change: Callable[[RegisteredAgency, str, datetime], None]) -> RegisteredAgency:
        entry = uow.agencies.get(name)
        if entry is None:
            raise not_registered(name)
        change(entry, self._who(uow), uow.clock.now())
        uow.agencies.save(entry)
        self._announce_registry(uow, entry)
        return entry

    def _who(self, uow: IntakeUnitOfWork) -> str:
        actor = uow.actor or {}
        return actor.get("subject") or "system"

    def _announce_registry(self, uow: IntakeUnitOfWork, entry: RegisteredAgency) -> None:
        uow.emit(Envelope(
            event_type="agency.changed", case_id=REGISTRY_CASE_ID, source_agency=self.agency,
            occurred_at=entry.changed_at, correlation_id=str(uuid.uuid4()),
            payload={"agency": entry.name, "status": str(entry.status), "purpose": entry.purpose,
                     "changed_at": entry.changed_at}))

    # -- evidence ----------------------------------------------------------------------------

    def take_evidence(self, uow: IntakeUnitOfWork, case_id: str, content: bytes,
                      name: str | None, access_code: WorkerCode) -> EvidenceFile:
        """Store a worker's file on a claim and, in the same transaction, announce that it
        arrived (never the file or its name); ``EvidenceRefused`` says why one is not taken."""
        claim = self.claim_for_worker(uow, case_id, access_code)
        limits = self.evidence_limits
        files_before = uow.evidence.count_for(case_id)
        item = evidence_file(str(uuid.uuid4()), case_id, uow.clock.now(), content, name,
                             limits.max_bytes, files_before, limits.files_per_case)
        uow.evidence.add(item)
        uow.emit(Envelope(
            event_type="case.evidence_received", case_id=case_id, source_agency=self.agency,
            occurred_at=item.received_at, correlation_id=claim.correlation_id, payload={
                "evidence_id": item.evidence_id, "media_type": item.media_type,
                "size_bytes": item.size_bytes, "sha256": item.sha256,
                "files_on_case": files_before + 1, "received_at": item.received_at}))
        return item

    def access_digest_of(self, uow: IntakeUnitOfWork, case_id: str) -> str | None:
        """The digest kept of the case's access code, for a ``CheckedCode`` made outside the
        transaction that then reads the claim."""
        return uow.claims.access_digest(case_id)

    def claim_for_worker(self, uow: IntakeUnitOfWork, case_id: str, access_code: WorkerCode,
                         by_staff: bool = False) -> Claim:
        """A claim as its worker may read it: with the access code given at filing, or that
        code already checked (``CheckedCode``; staff signed in with a role that may read it need
        none). A wrong code and an unknown case are refused alike, so trying codes tells nothing.
        A code given as text is stretched here, inline: inside a transaction nothing may yield
        to another green thread, whose SQLite write lock would then wait in the driver, stopping
        the whole process, for this transaction, which cannot go on meanwhile; the service
        checks it before, outside the transaction, on a thread."""
        claim = uow.claims.get(case_id)
        if claim is None or not (by_staff or _admits(access_code, case_id, claim.access_code_digest)):
            raise UnknownCase("no claim has this case number and access code")
        return claim

    def read_claim(self, uow: IntakeUnitOfWork, case_id: str, access_code: WorkerCode,
                   by_staff: bool, via: ReadVia) -> dict[str, Any]:
        """A claim as its worker or signed-in staff read it (``claim_for_worker``), the read
        recorded when it shows personal data (commit before answering)."""
        claim = self.claim_for_worker(uow, case_id, access_code, by_staff)
        self.record_read(uow, claim, claim_personal_fields(claim), _purpose(by_staff), via, by_staff)
        return claim_view(claim)

    def evidence_of(self, uow: IntakeUnitOfWork, case_id: str, access_code: WorkerCode,
                    by_staff: bool = False) -> list[dict[str, Any]]:
        """A claim's files, described (never their bytes; their names are the worker's)."""
        claim = self.claim_for_worker(uow, case_id, access_code, by_staff)
        described = uow.evidence.described(case_id)
        if described:
            self.record_read(uow, claim, ["evidence_files.name"], _purpose(by_staff), ReadVia.HTTP,
                             by_staff)
        return described

    def evidence_item(self, uow: IntakeUnitOfWork, case_id: str, evidence_id: str,
                      access_code: WorkerCode, by_staff: bool = False) -> EvidenceFile | None:
        """One of a claim's files; None when the claim has no such file."""
        claim = self.claim_for_worker(uow, case_id, access_code, by_staff)
        item = uow.evidence.get(evidence_id)
        if item is None or item.case_id != case_id:
            return None
        self.record_read(uow, claim, ["evidence_files.name", "evidence_files.content"],
                         _purpose(by_staff), ReadVia.HTTP, by_staff)
        return item

    def record_read(self, uow: IntakeUnitOfWork, claim: Claim, fields: list[str],
                    purpose: ReadPurpose, via: ReadVia, by_staff: bool = True) -> None:
        """An access record of personal fields of ``claim`` just read, if any were."""
        if fields:
            uow.emit(read_recorded(case_id=claim.case_id, correlation_id=claim.correlation_id,
                                   agency=self.agency, fields=fields, purpose=purpose, via=via,
                                   at=uow.clock.now(), data_subject=not by_staff))

    # -- personal data: retention, erasure, the worker's copy --------------------------------

    def erase_on_request(self, uow: IntakeUnitOfWork, case_id: str, reason: str) -> dict[str, Any]:
        """PIPL art. 47: the worker asked for their personal data to be deleted. Refused (saying
        why) for a case still open, which needs it to go on, and for a case under legal hold.
        Intake's announcement asks every other service to erase theirs."""
        claim = self._claim(uow, case_id)
        claim.check_erasable()
        self._schedule().check_not_held(case_id)
        if not reason or not reason.strip():
            raise ErasureRefused("an erasure records its reason: the request's reference")
        erased = erase_case(uow, self.agency, case_id, claim.correlation_id, grounds="worker_request",
                            reason=reason.strip(), requested_by=uow.actor)
        return {"case_id": case_id, "erased": erased is not None,
                "request_id": erased.payload["request_id"] if erased else None,
                "detail": "erased; every service holding the case is asked to erase it" if erased
                else "its personal data was erased already"}

    def erase_expired(self, uow: IntakeUnitOfWork, limit: int = 100) -> dict[str, list[str]]:
        """The retention job: the cases whose personal data the schedule no longer lets us keep,
        erased and announced, and the evidence files whose own period ran out, deleted and
        announced (``case.evidence_deleted``; none under legal hold). Cheap when nothing is due
        (an indexed query each); a replica running it at the same time erases none of them twice."""
        now, schedule = uow.clock.now(), self._schedule()
        kind = RecordKind.CASE_PERSONAL_DATA
        closed = uow.claims.closed_before_unerased(schedule.closed_before(kind, now), limit)
        due = schedule.due(kind, now, ((case_id, closed_at) for case_id, _, closed_at in closed))
        erased = []
        for case_id, correlation_id, closed_at in closed:
            if case_id in due and erase_case(uow, self.agency, case_id, correlation_id,
                                             grounds="retention_expired",
                                             reason=schedule.period_ran_out(kind, closed_at)):
                erased.append(case_id)
        files = RecordKind.EVIDENCE_FILES
        with_files = uow.evidence.of_cases_closed_before(schedule.closed_before(files, now), limit)
        files_due = schedule.due(files, now, ((case_id, closed_at) for case_id, _, closed_at in with_files))
        deleted = []
        for case_id, correlation_id, closed_at in with_files:
            count = uow.evidence.delete_for(case_id) if case_id in files_due else 0
            if count:  # another replica's deletion leaves none here to announce
                deleted.append(case_id)
                uow.emit(Envelope(
                    event_type=EVIDENCE_DELETED_EVENT, case_id=case_id, source_agency=self.agency,
                    occurred_at=now, correlation_id=correlation_id, payload={
                        "grounds": "retention_expired", "files_deleted": count, "deleted_at": now,
                        "reason": schedule.period_ran_out(files, closed_at)}))
        return {"erased": erased, "evidence_deleted": sorted(deleted)}

    def personal_data(self, uow: IntakeUnitOfWork, case_id: str) -> dict[str, Any]:
        """PIPL art. 45: what intake holds of the worker in a case, for the worker's copy."""
        claim = self._claim(uow, case_id)
        held = {name: getattr(claim, name) for name in SEALED_FIELDS}
        # The copy is a read like any other: recorded, with the staff member who gave it.
        self.record_read(uow, claim, field_names({k: v for k, v in held.items() if v is not ERASED}),
                         ReadPurpose.DATA_SUBJECT, ReadVia.RPC)
        return {"service": "intake", "case_id": case_id,
                "claim": {name: shown(value) for name, value in held.items()},
                "evidence_files": uow.evidence.described(case_id),
                "sensitive_data_consent": claim.sensitive_data_consent}

    # -- events ------------------------------------------------------------------------------

    def handle(self, uow: IntakeUnitOfWork, envelope: Envelope) -> str:
        handler = self.handlers.get(envelope.event_type)
        return "ignored" if handler is None else handler(uow, envelope)

    def record_handoff_answer(self, uow: IntakeUnitOfWork, envelope: Envelope) -> str:
        """An agency accepted or returned a case intake handed on; a station's return sends the
        claim on to the next station."""
        handoff = self.desk.record_answer(uow, envelope)
        if handoff.purpose in (HandoffPurpose.LEGAL_AID, HandoffPurpose.LABOR_INSPECTION):
            return "handled"  # the tracks beside the main one do not move the claim
        claim = self._claim(uow, handoff.case_id)
        claim.move(move_of(envelope.event_type, handoff.purpose))
        if handoff.status is HandoffStatus.RETURNED and handoff.purpose is HandoffPurpose.MEDIATION:
            self._route(uow, claim, cause=envelope.event_id)  # try the next station
        uow.claims.save(claim)
        return "handled"

    def record_closing(self, uow: IntakeUnitOfWork, envelope: Envelope) -> str:
        """The case ended at the agency that held it."""
        claim = uow.claims.get(envelope.case_id)
        if claim is None:
            return "ignored"
        claim.closed_elsewhere(envelope.payload["outcome"], envelope.occurred_at)
        uow.claims.save(claim)
        return "handled"

    def _claim(self, uow: IntakeUnitOfWork, case_id: str) -> Claim:
        claim = uow.claims.get(case_id)
        if claim is None:
            raise UnknownCase(case_id)
        return claim


def registry_view(entry: RegisteredAgency) -> dict[str, Any]:
    return {"name": entry.name, "purpose": entry.purpose, "status": str(entry.status),
            "registered_at": entry.registered_at.isoformat(),
            "changed_at": entry.changed_at.isoformat(), "changed_by": entry.changed_by}


def _purpose(by_staff: bool) -> ReadPurpose:
    return ReadPurpose.CASE_WORK if by_staff else ReadPurpose.DATA_SUBJECT


def claim_personal_fields(claim: Claim) -> list[str]:
    """The personal fields ``claim_view`` shows of a claim: of its joint consultation, once
    held, who sat and the plan they agreed for the worker (a convened one holds neither)."""
    consultation = claim.consultation or {}
    return [f"consultation.{part}" for part in ("participants", "plan") if consultation.get(part)]


def _admits(access_code: WorkerCode, case_id: str, stored: str | None) -> bool:
    if isinstance(access_code, CheckedCode):
        return access_code.admits(case_id, stored)
    return access_code_matches(access_code, stored)


def claim_view(claim: Claim) -> dict[str, Any]:
    """What the worker sees of a claim on intake's side."""
    return {
        "case_id": claim.case_id, "received_at": claim.received_at.isoformat(),
        "state": str(claim.state), "station_id": claim.station_id, "urgent": claim.urgent,
        "collective": claim.collective, "rules_fired": claim.rules_fired,
        "tried_stations": claim.tried_stations, "outcome": claim.outcome,
        "legal_aid_requested": claim.legal_aid_requested,
        "relationship": claim.relationship, "limitation": claim.limitation,
        "consultation": shown(claim.consultation),
    }
