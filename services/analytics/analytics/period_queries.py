"""The period's figures counted in the database (``GROUP BY``, and window functions for the
medians and percentiles), alike on SQLite and PostgreSQL: a national year is counted where its
rows are, and only the counts come back."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Numeric,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    true,
)

from disputes_shared.contract.handoff import BOUNCED_AFTER_RETURNS

from .figures import DAY_SECONDS, TOP_EMPLOYERS, EmployerTally, Period, PeriodTally, Spread
from .ports import PeriodFigures


class SqlPeriodFigures(PeriodFigures):
    def __init__(self, connection: Connection, facts: Table, stages: Table) -> None:
        self.connection = connection
        self.facts = facts
        self.stages = stages

    def tally(self, period: Period) -> PeriodTally:
        f = self.facts.c
        received, closed = _within(f.filed_at, period), _within(f.closed_at, period)
        counted = PeriodTally()
        counted.received, counted.workers, counted.claimed = self._cases(received, f.amount_claimed)
        counted.received_by = {name: self._counts(column, received) for name, column in (
            ("district", f.district), ("industry", f.industry), ("relationship", f.relationship),
            ("channel", f.channel))}
        counted.received_by["claim_type"] = self._claim_types(received)
        counted.received_by["platform"] = self._counts(f.platform, received, f.platform != "")
        counted.closed, _, counted.recovered = self._cases(closed, f.amount_recovered)
        counted.by_outcome = self._counts(f.outcome, closed)
        days_open = self._spreads(f.days_open, [], and_(closed, f.days_open.is_not(None)), unit=1)
        counted.days_open = days_open.get((), Spread())
        counted.mediation_ended, counted.agreements = self.connection.execute(
            select(func.count(), func.coalesce(func.sum(case((f.mediation == "agreement", 1), else_=0)), 0))
            .where(_within(f.mediation_ended_at, period))).one()
        counted.waits, counted.work = self._stage_spreads(period)
        counted.handoffs_returned, counted.cases_returned, counted.cases_bounced = self._returns(period)
        counted.top_employers = self._top_employers(received)
        return counted

    def _cases(self, where: ColumnElement[bool], amount: ColumnElement[Any]) -> tuple[int, int, Decimal]:
        """How many cases, their workers and the sum of an amount of theirs."""
        cases, workers, cents = self.connection.execute(
            select(func.count(), func.sum(self.facts.c.worker_count), func.sum(_cents(amount))).where(where)).one()
        return int(cases), int(workers or 0), _yuan(cents)

    def _counts(self, column: ColumnElement[Any], *where: ColumnElement[bool]) -> Counter[str | None]:
        rows = self.connection.execute(select(column, func.count()).where(*where).group_by(column))
        return Counter({value: count for value, count in rows})

    def _claim_types(self, received: ColumnElement[bool]) -> Counter[str | None]:
        """Claim types are a short JSON list on each case: count the lists that occur (a few
        dozen, whatever the cases) and each list's types here."""
        as_text = cast(self.facts.c.claim_types, Text)
        counted: Counter[str | None] = Counter()
        for text, cases in self.connection.execute(select(as_text, func.count()).where(received)
                                                   .group_by(as_text)):
            for claim_type in json.loads(text):
                counted[claim_type] += cases
        return counted

    def _stage_spreads(self, period: Period) -> tuple[dict[tuple[str, str], Spread], dict[str, Spread]]:
        """Waits by agency pair and work by agency, in days, in one pass over the period's stages."""
        s = self.stages.c
        handed_on_by = case((s.kind == "wait", func.coalesce(func.nullif(s.from_agency, ""), "unknown")),
                            else_="")
        spreads = self._spreads(s.seconds, [s.kind, handed_on_by, s.agency],
                                and_(_within(s.ended_at, period), s.kind.in_(("wait", "work"))),
                                unit=DAY_SECONDS)
        waits = {(handed_on, agency): spread for (kind, handed_on, agency), spread in spreads.items()
                 if kind == "wait"}
        work = {agency: spread for (kind, _, agency), spread in spreads.items() if kind == "work"}
        return waits, work

    def _spreads(self, value: ColumnElement[Any], keys: list[ColumnElement[Any]],
                 where: ColumnElement[bool], unit: float) -> dict[tuple[Any, ...], Spread]:
        """``Spread`` of ``value / unit`` per group of ``keys``, from each group's count, total
        and values at ``Spread.ranks``: a few values per group come back, whatever its size."""
        named = [key.label(f"key_{i}") for i, key in enumerate(keys)]
        groups: dict[tuple[Any, ...], tuple[int, float, dict[int, float]]] = {}
        if self.connection.dialect.name == "postgresql":
            # percentile_disc(f) is the value at rank ceil(f × n): for 0.5 and 0.9 exactly
            # Spread.ranks' lower median and 90th percentile (f × n is never off a whole number
            # in floating point), and the upper median is the lower one counted from the top.
            rows = self.connection.execute(
                select(*named, func.count(), func.sum(value),
                       func.percentile_disc(0.5).within_group(value),
                       func.percentile_disc(0.5).within_group(value.desc()),
                       func.percentile_disc(0.9).within_group(value)).where(where).group_by(*keys))
            for row in rows:
                *key, n, total, lower, upper, p90 = row
                if not n:
                    continue  # no groups: the one row an aggregate without GROUP BY gives
                groups[tuple(key)] = (n, float(total) / unit,
                                      dict(zip(Spread.ranks(n), (float(v) / unit for v in (lower, upper, p90)),
                                               strict=True)))
        else:
            # SQLite has no percentile: rank the group's values and keep those at the ranks.
            grouped = select(*named, func.count().label("n"), func.sum(value).label("total")) \
                .where(where).group_by(*keys).subquery()
            ranked = select(*named, value.label("value"),
                            func.row_number().over(partition_by=keys, order_by=value).label("at")) \
                .where(where).subquery()
            same_group = and_(true(), *(ranked.c[k.name] == grouped.c[k.name] for k in named))
            # The ranks' arithmetic, written once in the domain, applied to the column.
            wanted: tuple[Any, ...] = Spread.ranks(grouped.c.n)  # type: ignore[arg-type]
            rows = self.connection.execute(
                select(ranked, grouped.c.n, grouped.c.total).join_from(ranked, grouped, same_group)
                .where(or_(*(ranked.c.at == rank for rank in wanted))))
            for row in rows:
                _, _, at_rank = groups.setdefault(tuple(row[:len(keys)]), (row.n, float(row.total) / unit, {}))
                at_rank[row.at] = float(row.value) / unit
        return {key: Spread.at_ranks(n, total, at_rank) for key, (n, total, at_rank) in groups.items()}

    def _returns(self, period: Period) -> tuple[int, int, int]:
        """Handoffs returned in the period, the cases they were of, and those of them bounced
        that the period's figures hold (filed, closed or mediation ended in it)."""
        f, s = self.facts.c, self.stages.c
        returned = and_(_within(s.ended_at, period), s.kind == "wait", s.answer == "returned")
        handoffs, cases = self.connection.execute(
            select(func.count(), func.count(s.case_id.distinct())).where(returned)).one()
        bounced = self.connection.execute(
            select(func.count(s.case_id.distinct())).select_from(self.stages.join(self.facts, f.case_id == s.case_id))
            .where(returned, f.returns >= BOUNCED_AFTER_RETURNS,
                   or_(*(_within(at, period) for at in (f.filed_at, f.closed_at, f.mediation_ended_at))))
        ).scalar_one()
        return int(handoffs), int(cases), int(bounced)

    def _top_employers(self, received: ColumnElement[bool]) -> list[EmployerTally]:
        f = self.facts.c
        cases, workers = func.count(), func.sum(f.worker_count)
        # Refs ranked by their characters, as Python compares them, not by a locale's collation.
        ref = f.employer_ref.collate("C") if self.connection.dialect.name == "postgresql" else f.employer_ref
        rows = self.connection.execute(
            select(f.employer_ref, cases, workers, func.sum(_cents(f.amount_claimed)))
            .where(received, f.employer_ref.is_not(None), f.employer_ref != "")
            .group_by(f.employer_ref).order_by(cases.desc(), workers.desc(), ref).limit(TOP_EMPLOYERS))
        return [EmployerTally(employer, int(n), int(w), _yuan(cents)) for employer, n, w, cents in rows]


def _within(column: ColumnElement[datetime | None], period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _cents(amount: ColumnElement[Any]) -> ColumnElement[int]:
    """Yuan kept as text with two places, as whole fen: summed exactly on either engine
    (SQLite has no exact decimal; an amount below the contract's maximum is exact as a double)."""
    return cast(func.round(cast(amount, Numeric(14, 2)) * 100), BigInteger)


def _yuan(cents: Any) -> Decimal:
    """A sum of fen as the yuan the definition's ``Decimal`` sum gives (two places; 0 if none)."""
    return Decimal(0) if cents is None else Decimal(int(cents)).scaleb(-2)
