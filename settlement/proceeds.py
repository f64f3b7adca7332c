"""What an exercise is worth and who gets what: the trigger checked against a funding round, the gain of
each method (cash and sale, net, transfer), and the waterfall that reimburses the pool first."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from deals import queries as deal_queries
from deals.terms import DealTerms, Reimbursement, Trigger
from ledger.amounts import format_minor
from ledger.errors import (
    NotFound,
)
from ledger.session import LedgerSession
from settlement import schema as ss
from settlement.model import ExerciseInput, Method, Preview, State, to_fen
from settlement.rules import precondition, round_id_of
from settlement.split import Waterfall, waterfall
from valuation.rounds import funding_round


def trigger_price(session: LedgerSession, terms: DealTerms, spec: ExerciseInput, day: dt.date) -> Decimal:
    """Check the trigger event against the deal's terms and return the price per share to use."""
    option = terms.option
    if spec.trigger in (Trigger.QUALIFYING_ROUND, Trigger.VALUATION_THRESHOLD):
        found = funding_round(session, round_id_of(spec.funding_round))
        if found is None or found.company != option.company:
            raise NotFound(spec.funding_round, f"funding round of {option.company}")
        if found.round_date > day:
            raise precondition(
                f"the round closes on {found.round_date}, after the value date {day}", "ROUND_NOT_CLOSED"
            )
        round_price = Decimal(found.price_per_share)
        if spec.trigger is Trigger.QUALIFYING_ROUND:
            raised = to_fen(round_price * found.shares_issued)
            if raised < option.qualifying_round_size:
                raise precondition(
                    f"the round raised {format_minor(raised, 2)} CNY, below the qualifying size "
                    f"{format_minor(option.qualifying_round_size, 2)} CNY",
                    "TRIGGER_NOT_MET",
                )
        else:
            valuation = to_fen(round_price * found.fully_diluted_shares)
            if valuation < option.valuation_threshold:
                raise precondition(
                    f"the post-money valuation {format_minor(valuation, 2)} CNY is below the threshold "
                    f"{format_minor(option.valuation_threshold, 2)} CNY",
                    "TRIGGER_NOT_MET",
                )
        return spec.price_per_share or round_price
    return spec.price_per_share


def compute_preview(session: LedgerSession, row: Any, terms: DealTerms) -> Preview:
    method = Method(row.method)
    price = Decimal(row.price_per_share)
    strike = Decimal(row.strike_per_share)
    quantity = int(row.quantity)
    strike_paid = shares = fraction_cash = 0
    if method is Method.CASH_AND_SALE:
        proceeds = to_fen(price * quantity) - row.fees
        strike_paid = to_fen(strike * quantity)
        gain = proceeds - strike_paid
    elif method is Method.TRANSFER:
        proceeds = row.transfer_price - row.fees
        gain = proceeds
    else:
        exact = Decimal(quantity) * (price - strike) / price
        shares = int(exact)
        fraction_cash = to_fen((exact - shares) * price)
        proceeds = to_fen(price * shares) + fraction_cash - row.fees
        gain = proceeds
    split = waterfall(
        gain,
        reimbursement_due=reimbursement_due(session, row.deal_id, terms),
        advisory_fee=terms.split.advisory_fee,
        bps=(terms.split.bank_bps, terms.split.arm_bps, terms.split.pool_bps),
    )
    return Preview(gain, proceeds, strike_paid, shares, fraction_cash, split)


def reimbursement_due(session: LedgerSession, deal_id: str, terms: DealTerms) -> int:
    """What the pool is reimbursed ahead of the split, by its risk-sharing agreement's basis: what it paid or
    owes on this borrower's defaults (`borrower`) or on every deal of the agreement (`portfolio`), less what
    settlements of those deals gave back already; nothing (`none`)."""
    conn = session.connection
    basis = terms.risk.reimbursement
    if basis is Reimbursement.NONE:
        return 0
    if basis is Reimbursement.PORTFOLIO and terms.agreements.risk_sharing:
        ids = deal_queries.deal_ids_under_agreement(session, terms.agreements.risk_sharing)
    else:
        ids = [d.id for d in deal_queries.deals_of_borrower(session, terms.borrower.uscc, terms.risk.pool)]
    compensated = deal_queries.pool_compensation_on_borrower(session, ids)
    reimbursed = 0
    settled = sa.select(ss.exercises.c.split_json).where(
        ss.exercises.c.deal_id.in_(ids), ss.exercises.c.state == State.SETTLED.value
    )
    for exercise in conn.execute(settled):
        reimbursed += int(json.loads(exercise.split_json or "{}").get("pool_reimbursement", 0))
    return max(compensated - reimbursed, 0)


def split_dict(split: Waterfall, gain: int) -> dict[str, int]:
    return {
        "gain": split.gain,
        "pool_reimbursement": split.pool_reimbursement,
        "advisory_fee": split.advisory_fee,
        "bank": split.bank,
        "investment_arm": split.investment_arm,
        "risk_pool": split.risk_pool,
        "gain_before_floor": gain,
    }
