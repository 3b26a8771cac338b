"""The large-trail benchmark loads what the trail itself would have kept: its adapters read the
rows back, each case's summary is the replay of its entries, and the handoff view is the
definition's."""

from __future__ import annotations

from bench.large_trail import case_id_of, fill, measure
from disputes_shared.clocks.wall import ManualClock
from disputes_shared.plumbing.engine import make_engine
from trail.adapters import SqlTrailUnitOfWork, plumbing
from trail.domain import handoff_table, summarise
from trail.handlers import Trail

from ..support.examples import AT


def test_the_loaded_cases_read_back_as_the_trail_keeps_them(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'trail.db'}")
    try:
        fill(engine, 300, seed=3)
        with SqlTrailUnitOfWork(engine, plumbing, ManualClock(AT)) as uow:
            summaries = uow.summaries.of_cases(None)
            assert len(summaries) == 300 and {s.state for s in summaries} >= {"closed", "awarded", "in_mediation"}
            for summary in summaries:
                entries = uow.entries.of_case(summary.case_id)
                assert 6 <= len(entries) <= 8 and summarise(summary.case_id, entries) == summary
            assert Trail().handoff_summary(uow) == handoff_table(
                uow.handoffs.every(), AT, [(e.source_agency, e.payload["worked_seconds"])
                                          for e in uow.entries.of_types(["handoff.requested", "case.closed",
                                                                         "legal_aid.granted", "legal_aid.refused"])
                                          if "worked_seconds" in e.payload])
            assert Trail().handoff_summary(uow)["bounced_cases"]
        lines = measure(engine, 300, reads=3, seed=3)
        assert [line.split(":")[0] for line in lines] == [
            "disputes trail CASE_ID", "disputes handoffs", "the bounced-cases gauge (refreshed every 5 s)",
            "recording one event of a case", "signing a checkpoint of the chain's head"]
        with SqlTrailUnitOfWork(engine, plumbing, ManualClock(AT)) as uow:
            assert uow.entries.count() == sum(len(uow.entries.of_case(case_id_of(n))) for n in range(300))
    finally:
        engine.dispose()
