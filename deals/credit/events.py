"""What a deal's recorded steps say about its credit: the date of each kind of step and the borrower's
payments, read from `deal_events` (the classification, the impairment run and the non-accrual check of
every accrual all replay the same history)."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from deals import schema as ds
from deals.credit.arrears import Payment

__all__ = ["PAYMENT_PARTS", "STEP_KINDS", "payments_of", "steps_of"]

#: The step kinds whose first value date `steps_of` gives.
STEP_KINDS = ("booked", "disbursed", "defaulted", "written_off", "closed")

# The parts of a repayment the borrower paid (fen), as a repaid event records them: interest on the
# books (overdue and current), principal, and interest tracked off balance sheet on a non-accrual loan.
PAYMENT_PARTS = ("overdue_interest", "interest", "principal", "off_balance_interest")


def steps_of(conn: sa.Connection, deal_id: str) -> dict[str, dt.date]:
    """The value date of the first step of each kind (booked, disbursed, defaulted, written_off, closed)."""
    e = ds.deal_events
    rows = conn.execute(
        sa.select(e.c.kind, sa.func.min(e.c.value_date))
        .where(e.c.deal_id == deal_id, e.c.kind.in_(STEP_KINDS))
        .group_by(e.c.kind)
    ).all()
    return {kind: day for kind, day in rows}


def payments_of(conn: sa.Connection, deal_id: str) -> list[Payment]:
    """The borrower's repayments: the amount (every part of `PAYMENT_PARTS`) and its principal part."""
    e = ds.deal_events
    rows = conn.execute(
        sa.select(e.c.value_date, e.c.details_json)
        .where(e.c.deal_id == deal_id, e.c.kind == "repaid")
        .order_by(e.c.seq)
    ).all()
    found = []
    for day, details_json in rows:
        details = json.loads(details_json)
        parts = {k: int(details.get(k, 0)) for k in PAYMENT_PARTS}
        found.append(Payment(day, sum(parts.values()), parts["principal"]))
    return found
