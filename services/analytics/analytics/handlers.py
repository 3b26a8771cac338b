"""The analytics service layer: fold each lifecycle event into the read model, raise the early
warnings that follow, answer the period's figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from disputes_shared.contract.agencies import Agency
from disputes_shared.contract.envelope import Envelope
from disputes_shared.contract.payloads import PERSONAL_DATA_EVENTS, PersonalDataRefused
from disputes_shared.contract.reads import READ_EVENT
from disputes_shared.contract.registry import CASELESS_EVENTS
from disputes_shared.ports import case_lock_name
from disputes_shared.regional import RegionalFigures, regional_figures

from .domain import CaseFacts, fold, stage_time
from .figures import Period, period_report, trend_months
from .notices import risk_notice
from .ports import AnalyticsUnitOfWork, RaisedWarning
from .simulation import what_if
from .spikes import week_against_baseline, weekly_counts
from .warnings import Warning, group_dispute, related_cases, repeat_employer, same_worker_related

# What the service does with each event type beyond folding it; the rest is only folded.
WarningCheck = Callable[["Analytics", AnalyticsUnitOfWork, CaseFacts, Envelope], list[Warning]]


class Analytics:
    agency = Agency.ANALYTICS

    def __init__(self, figures: RegionalFigures | None = None) -> None:
        self.figures = figures or regional_figures()
        self.checks: dict[str, WarningCheck] = {
            "case.filed": Analytics._on_filing,
            "handoff.requested": Analytics._on_handoff,
        }

    # -- events ---------------------------------------------------------------------------------

    def handle(self, uow: AnalyticsUnitOfWork, envelope: Envelope) -> str:
        if envelope.event_type in PERSONAL_DATA_EVENTS:
            raise PersonalDataRefused(f"{envelope.event_type} must not reach analytics")
        if envelope.event_type in ("warning.raised", READ_EVENT) or envelope.event_type in CASELESS_EVENTS:
            # Our own, back from the exchange; a read of personal data (the trail's register,
            # not a case's figures); or about no case (the registry).
            return "ignored"
        facts = self._record(uow, envelope.event_id, envelope.case_id, envelope.event_type,
                             str(envelope.source_agency), envelope.payload, envelope.occurred_at)
        check = self.checks.get(envelope.event_type)
        for warning in check(self, uow, facts, envelope) if check else []:
            self._raise(uow, warning, envelope)
        return "handled"

    def _record(self, uow: AnalyticsUnitOfWork, event_id: str, case_id: str, event_type: str,
                source_agency: str, payload: dict[str, Any], occurred_at: datetime) -> CaseFacts:
        # Claimed before the case is read: a rebuild's clear waits for the claims under way.
        first_time = uow.folded.claim(event_id)
        known = uow.facts.get(case_id)
        facts = known or CaseFacts(case_id)
        if not first_time:
            return facts  # a rebuild read it from the trail before it was delivered, or the reverse
        fold(facts, event_type, payload, occurred_at)
        (uow.facts.save if known else uow.facts.add)(facts)
        stretch = stage_time(event_id, case_id, event_type, source_agency, payload, occurred_at)
        if stretch is not None:
            uow.stages.add(stretch)
        return facts

    def _on_filing(self, uow: AnalyticsUnitOfWork, facts: CaseFacts, filed: Envelope) -> list[Warning]:
        now = filed.occurred_at
        found: list[Warning | None] = []
        f = self.figures
        if facts.employer_ref:
            against = uow.facts.against_employer(facts.employer_ref)
            found += [group_dispute(facts.employer_ref, against, now, f),
                      repeat_employer(facts.employer_ref, against, now, f)]
        if facts.platform:
            since = now - timedelta(days=f.group_dispute_window_days)
            found.append(group_dispute(facts.platform, uow.facts.on_platform(facts.platform, since), now, f))
        for claim_type in facts.claim_types:
            found.append(self._spike(uow, facts, claim_type, now))
        return [w for w in found if w is not None]

    def _on_handoff(self, uow: AnalyticsUnitOfWork, facts: CaseFacts, requested: Envelope) -> list[Warning]:
        if not facts.employer_ref or requested.payload["to_agency"] not in (Agency.ARBITRATION, Agency.COURTS):
            return []
        now = requested.occurred_at
        found = [related_cases(facts.employer_ref, uow.facts.against_employer(facts.employer_ref), now,
                               self.figures)]
        pair = same_worker_related(facts.worker_ref, facts.employer_ref,
                                   uow.facts.of_worker_against(facts.worker_ref, facts.employer_ref),
                                   now, self.figures) if facts.worker_ref else None
        if pair is not None:
            # The same cases seen as one worker's: say so once, naming the worker's ref.
            found = [w for w in found if w is None or not set(w.case_ids) <= set(pair.case_ids)]
            found.append(pair)
        return [w for w in found if w is not None]

    def _spike(self, uow: AnalyticsUnitOfWork, facts: CaseFacts, claim_type: str,
               now: datetime) -> Warning | None:
        assert facts.industry and facts.district
        f = self.figures
        weeks, counts = weekly_counts(uow.facts.filing_times(facts.industry, claim_type, facts.district), now)
        tested = week_against_baseline(weeks, counts, sigmas=float(f.spike_sigmas),
                                min_excess=f.spike_min_excess_cases, history_weeks=f.spike_history_weeks,
                                festival_weeks_before=f.spring_festival_weeks_before)
        if tested is None or not tested.spike:
            return None
        series = f"{facts.industry}/{claim_type}/{facts.district}"
        season = " (in the pre-Spring-Festival season, held to its usual rise)" if tested.festival_season else ""
        return Warning("spike", series, [facts.case_id],
                       {"observed": tested.observed, "expected": tested.expected,
                        "deviation": tested.deviation, "threshold_deviation": float(f.spike_sigmas),
                        "festival_season": int(tested.festival_season),
                        "festival_rise": tested.festival_rise},
                       f"{tested.observed} claims in the week of {tested.week.isoformat()} in {series}, "
                       f"{tested.expected} expected{season}: {tested.deviation} deviations above")

    def _raise(self, uow: AnalyticsUnitOfWork, warning: Warning, cause: Envelope) -> None:
        now = cause.occurred_at
        # A subject (an employer, a platform) spans cases: events of two of its cases must not
        # both find it unsaid and say it twice.
        uow.hold(f"warning:{warning.rule}:{warning.subject}")
        last = uow.warnings.last_raised(warning.rule, warning.subject)
        if last is not None and now - last < timedelta(days=self.figures.warning_quiet_days):
            return  # said already, lately
        raised = Envelope(event_type="warning.raised", case_id=cause.case_id, source_agency=self.agency,
                          occurred_at=uow.clock.now(), payload=warning.payload(),
                          correlation_id=cause.correlation_id, causation_id=cause.event_id)
        uow.warnings.add(RaisedWarning(raised.event_id, warning.rule, warning.subject, now, cause.case_id,
                                       raised.payload))
        uow.emit(raised)

    # -- rebuilding from the trail --------------------------------------------------------------

    def clear(self, uow: AnalyticsUnitOfWork) -> None:
        """Forget the read model (not the warnings raised), to rebuild it from the trail."""
        uow.folded.clear()
        uow.facts.clear()
        uow.stages.clear()

    def rebuild(self, uow: AnalyticsUnitOfWork, entries: Iterable[dict[str, Any]]) -> int:
        """Fold the trail's entries (``trail.entries``, in recorded order) into the read model;
        those the consumer folded meanwhile are not folded again. Warnings are not raised
        again: they were, when it happened. The entries the read model now holds, counted."""
        folded = 0
        held: set[str] = set()
        for entry in entries:
            kind = entry["event_type"]
            if kind in PERSONAL_DATA_EVENTS or kind in CASELESS_EVENTS or kind.startswith(("trail.", "warning.")):
                continue
            if entry["case_id"] not in held:
                # The lock the consumer applies a case's event under: the two take turns on it.
                uow.hold(case_lock_name(entry["case_id"]))
                held.add(entry["case_id"])
            self._record(uow, entry["event_id"], entry["case_id"], entry["event_type"],
                         entry["source_agency"], entry["payload"],
                         datetime.fromisoformat(entry["occurred_at"]))
            folded += 1
        return folded

    # -- answers --------------------------------------------------------------------------------

    def report(self, uow: AnalyticsUnitOfWork, period_name: str) -> dict[str, Any]:
        period = Period.parse(period_name)
        trend = {month: uow.facts.count_filed_between(start, end)
                 for month, start, end in trend_months(period)}
        figures = period_report(period, uow.figures.tally(period), trend)
        figures["warnings"] = [warning_view(w) for w in uow.warnings.since(period.start)
                               if w.raised_at < period.end]
        return figures

    def simulate(self, uow: AnalyticsUnitOfWork, period_name: str,
                 changes: dict[str, int]) -> dict[str, Any]:
        """What if the agencies had more (or fewer) staff: the period's handoffs replayed."""
        period = Period.parse(period_name)
        return {"period": period.name, "changes": changes,
                "agencies": what_if(uow.stages.ended_between(period.start, period.end), changes)}

    def risk_notice(self, uow: AnalyticsUnitOfWork, event_id: str) -> str:
        """风险提示函: a notice to the employer or platform company a warning is about, with the
        figures that raised it; whom it is addressed to is filled in by the centre (the events
        name an employer only by its ref)."""
        warning = uow.warnings.get(event_id)
        if warning is None:
            raise LookupError(f"no warning {event_id}")
        return risk_notice(warning_view(warning))


def warning_view(warning: RaisedWarning) -> dict[str, Any]:
    return {"event_id": warning.event_id, "rule": warning.rule, "subject": warning.subject,
            "raised_at": warning.raised_at.isoformat(), "case_id": warning.case_id,
            "explanation": warning.payload["explanation"], "figures": warning.payload["figures"],
            "cases": len(warning.payload["case_ids"]), "agencies": warning.payload.get("agencies", [])}
