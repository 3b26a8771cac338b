"""The metrics catalogue: what each published or handled event adds, and the clock gauges."""

from __future__ import annotations

from datetime import timedelta

from disputes_shared.plumbing.metrics import PlatformMetrics

from ..support.examples import AT, example_payloads


def value(metrics: PlatformMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_a_filed_case_is_counted_by_channel():
    metrics = PlatformMetrics("intake")
    metrics.observe_published("case.filed", example_payloads()["case.filed"])
    assert value(metrics, "disputes_cases_opened_total", agency="intake", channel="online") == 1


def test_a_closed_case_counts_its_outcome_the_money_recovered_and_the_work_done():
    metrics = PlatformMetrics("mediation")
    for _ in range(2):
        metrics.observe_published("case.closed", example_payloads()["case.closed"])
    assert value(metrics, "disputes_cases_closed_total", agency="mediation", outcome="mediated") == 2
    assert value(metrics, "disputes_amount_recovered_yuan_total", agency="mediation",
                 outcome="mediated") == 5120.0
    assert value(metrics, "disputes_agency_work_seconds_sum", agency="mediation",
                 ended_by="case.closed") == 2 * 864000.0


def test_work_is_measured_only_where_the_agency_took_the_case_up():
    metrics = PlatformMetrics("intake")
    metrics.observe_published("handoff.requested", example_payloads()["handoff.requested"])
    assert value(metrics, "disputes_agency_work_seconds_count", agency="intake",
                 ended_by="handoff.requested") is None


def test_the_work_before_a_handoff_is_counted_once_not_again_with_its_dossier():
    metrics = PlatformMetrics("mediation")
    request = {**example_payloads()["handoff.requested"], "worked_seconds": 3600.0}
    metrics.observe_published("handoff.requested", request)
    metrics.observe_published("handoff.dossier", example_payloads()["handoff.dossier"])
    assert value(metrics, "disputes_agency_work_seconds_count", agency="mediation",
                 ended_by="handoff.requested") == 1
    assert value(metrics, "disputes_agency_work_seconds_count", agency="mediation",
                 ended_by="handoff.dossier") is None


def test_a_returned_handoff_is_a_wait_answered_by_a_return():
    metrics = PlatformMetrics("mediation")
    metrics.observe_published("handoff.returned", example_payloads()["handoff.returned"])
    labels = {"from_agency": "intake", "to_agency": "mediation", "answer": "returned"}
    assert value(metrics, "disputes_handoff_wait_seconds_count", **labels) == 1
    # The bucket edge at one hour (a service-level target) holds a wait of exactly one hour.
    assert value(metrics, "disputes_handoff_wait_seconds_bucket", le="3600.0", **labels) == 1
    assert value(metrics, "disputes_handoff_wait_seconds_bucket", le="900.0", **labels) == 0


def test_a_handled_event_counts_its_outcome_and_how_late_it_was_handled():
    metrics = PlatformMetrics("arbitration")
    metrics.observe_handled("mediation.failed", "handled", AT, AT + timedelta(seconds=3))
    assert value(metrics, "disputes_events_handled_total", agency="arbitration",
                 event_type="mediation.failed", outcome="handled") == 1
    assert value(metrics, "disputes_event_delay_seconds_sum", agency="arbitration") == 3


def test_a_dossier_handled_by_its_addressee_times_the_handoffs_delivery_and_other_events_do_not():
    metrics = PlatformMetrics("mediation")
    metrics.observe_handled("handoff.dossier", "handled", AT, AT + timedelta(milliseconds=18))
    metrics.observe_handled("handoff.dossier", "duplicate", AT, AT + timedelta(seconds=9))
    metrics.observe_handled("handoff.requested", "handled", AT, AT + timedelta(seconds=9))
    assert value(metrics, "disputes_handoff_delivery_seconds_count", agency="mediation") == 1
    assert value(metrics, "disputes_handoff_delivery_seconds_bucket", agency="mediation", le="0.02") == 1
    assert value(metrics, "disputes_handoff_delivery_seconds_bucket", agency="mediation", le="0.015") == 0


def test_dead_letters_are_counted_from_zero_so_the_first_one_shows_as_an_increase():
    metrics = PlatformMetrics("trail")
    assert value(metrics, "disputes_events_dead_lettered_total", agency="trail") == 0


def test_clocks_start_at_zero_and_report_the_soonest_due_only_while_one_runs():
    metrics = PlatformMetrics("arbitration")
    metrics.set_pending_clocks({"award_due": (0, None)})
    assert value(metrics, "disputes_clock_breaches_total", clock="award_due") == 0
    assert value(metrics, "disputes_clocks_pending", clock="award_due") == 0
    assert value(metrics, "disputes_clock_soonest_due_seconds", clock="award_due") is None
    metrics.set_pending_clocks({"award_due": (2, -60.0)})
    assert value(metrics, "disputes_clock_soonest_due_seconds", clock="award_due") == -60.0
    metrics.clock_breached("award_due")
    assert value(metrics, "disputes_clock_breaches_total", clock="award_due") == 1
    metrics.set_pending_clocks({"award_due": (0, None)})
    assert value(metrics, "disputes_clock_soonest_due_seconds", clock="award_due") is None
