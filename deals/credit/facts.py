"""A branch's credit facts read in a few queries: what a month-end run needs of every deal at once.

The per-deal readers (deals.credit.events: `steps_of`, `payments_of`; the override floor; the assessment
in force; balances) each cost a database round trip per deal, which at a bank's scale (2,000 deals a
branch, 100,000 a close) is most of the run. These read the same rows for all of a branch's deals in
one query each and hand out, per deal, exactly what the per-deal readers return (the accrual, the
classification run and the impairment run use them; docs/performance.md, "Issue 20: month-end close").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from deals import schema as ds
from deals.assessment import records as assessment_records
from deals.assessment import schema as assessment_schema
from deals.credit import schema as cs
from deals.credit.arrears import Payment
from deals.credit.classification import Category
from deals.credit.events import PAYMENT_PARTS, STEP_KINDS

__all__ = ["BranchFacts", "chunks", "read_branch_facts"]

#: Names per IN (...) list: inside SQLite's bound-parameter limit with room to spare, and few enough round
#: trips on PostgreSQL.
CHUNK = 1000


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


@dataclass(slots=True)
class BranchFacts:
    """Per deal id: the first value date of each step kind, the borrower's payments (in event order), and
    the approved override floor in force on `day`; and per borrower USCC the branch's assessment in force."""

    day: dt.date
    steps: dict[str, dict[str, dt.date]] = field(default_factory=dict)
    payments: dict[str, list[Payment]] = field(default_factory=dict)
    floors: dict[str, Category] = field(default_factory=dict)
    assessments: dict[str, assessment_records.Assessment] = field(default_factory=dict)

    def steps_of(self, deal_id: str) -> dict[str, dt.date]:
        return self.steps.get(deal_id, {})

    def payments_of(self, deal_id: str) -> list[Payment]:
        return self.payments.get(deal_id, [])

    def floor(self, deal_id: str) -> Category:
        return self.floors.get(deal_id, Category.NORMAL)


def read_branch_facts(
    conn: sa.Connection, branch: str, day: dt.date, *, floors: bool = True, assessments: bool = False
) -> BranchFacts:
    """Every deal of `branch`: its steps and payments (all dates, as the per-deal readers give them), its
    override floor on `day` (with `floors`) and the branch's assessments in force on `day` (with
    `assessments`)."""
    e = ds.deal_events
    of_branch = sa.select(ds.deals.c.id).where(ds.deals.c.branch == branch).scalar_subquery()
    facts = BranchFacts(day)
    rows = conn.execute(
        sa.select(e.c.deal_id, e.c.kind, sa.func.min(e.c.value_date))
        .where(e.c.deal_id.in_(of_branch), e.c.kind.in_(STEP_KINDS))
        .group_by(e.c.deal_id, e.c.kind)
    ).all()
    for deal_id, kind, first in rows:
        facts.steps.setdefault(deal_id, {})[kind] = first
    repaid = conn.execute(
        sa.select(e.c.deal_id, e.c.value_date, e.c.details_json)
        .where(e.c.deal_id.in_(of_branch), e.c.kind == "repaid")
        .order_by(e.c.deal_id, e.c.seq)
    ).all()
    for deal_id, value_date, details_json in repaid:
        details = json.loads(details_json)
        parts = {k: int(details.get(k, 0)) for k in PAYMENT_PARTS}
        facts.payments.setdefault(deal_id, []).append(Payment(value_date, sum(parts.values()), parts["principal"]))
    if floors:
        t = cs.classification_overrides
        overrides = conn.execute(
            sa.select(t.c.deal_id, t.c.category)
            .where(t.c.deal_id.in_(of_branch), t.c.status == "approved", t.c.effective_from <= day)
            .order_by(t.c.deal_id, t.c.effective_from, t.c.number)
        ).all()
        for deal_id, category in overrides:  # the latest effective, then the highest number, wins (deals.credit.desk)
            facts.floors[deal_id] = Category(category)
    if assessments:
        a = assessment_schema.assessments
        assessed = conn.execute(
            sa.select(a)
            .where(a.c.branch == branch, a.c.as_of <= day)
            .order_by(a.c.borrower_uscc, a.c.as_of, a.c.created_at, a.c.id)
        ).all()
        for row in assessed:  # the last per borrower is the one in force (assessment_records.in_force)
            facts.assessments[row.borrower_uscc] = assessment_records.assessment_of(row)
    return facts
