"""Settling an approved exercise: capture the holds and post the sale, the split and the payments, then let
the reimbursed pool pay what it still owes the bank on the borrower's defaults."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from deals import accounting as deal_accounting
from deals import queries as deal_queries
from deals.agreements.reach import reach_legacy_deal
from deals.model import DealStatus
from deals.schedule import round_fen
from deals.terms import DealTerms
from ledger import names
from ledger.session import LedgerSession
from settlement import accounting
from settlement import schema as ss
from settlement.model import Method, to_fen
from settlement.proceeds import compute_preview, split_dict
from settlement.records import deal_of
from settlement.rules import exercise_accounts


def settle_postings(session: LedgerSession, row: Any) -> list[str]:
    conn = session.connection
    deal = deal_of(session, row.deal_id)
    terms = deal.terms
    reach_legacy_deal(session, terms)
    accounts = exercise_accounts(row.deal_id, terms)
    session.lock_books([accounts.holder, accounts.branch, accounts.pool])
    computed = compute_preview(session, row, terms)
    split = computed.split
    day = row.value_date
    meta = {"toudai.deal": row.deal_id, "toudai.exercise": str(row.id)}
    if deal.status in (DealStatus.DEFAULTED, DealStatus.WRITTEN_OFF):
        # The gain of a right whose loan defaulted or was written off: the bank's share is still its
        # option-gain income (docs/settlement.md, "Defaulted and written-off deals"), marked so it can be found.
        meta["toudai.deal_status"] = deal.status.value
    base = f"exercises/{row.id}/settle"
    posted: list[str] = []
    carrying = exercised_carrying_amount(session, accounts, row.quantity)
    _, units = session.capture_hold(request_id=f"{base}/units", name=f"holds/{row.units_hold_id}", value_date=day)
    posted.append(units.name)
    method = Method(row.method)
    if row.cash_hold_id is not None:
        _, cash = session.capture_hold(request_id=f"{base}/strike", name=f"holds/{row.cash_hold_id}", value_date=day)
        posted.append(cash.name)
    specs = []
    if method is Method.NET:
        if computed.shares_received:
            specs.append(accounting.net_units(accounts, f"{base}/shares", day, computed.shares_received, meta))
        specs.append(
            accounting.net_value(
                accounts,
                f"{base}/value",
                day,
                shares_value=to_fen(Decimal(row.price_per_share) * computed.shares_received),
                fraction_cash=computed.fraction_cash - row.fees,
                split=split,
                meta=meta,
            )
        )
    else:
        specs.append(
            accounting.sale(
                accounts,
                f"{base}/sale",
                day,
                cash_in=computed.proceeds,
                strike_paid=computed.strike_paid,
                gain=computed.gain,
                split=split,
                meta=meta,
            )
        )
        if split.to_bank or split.to_pool:
            specs.append(accounting.pay_shares(accounts, f"{base}/pay", day, split.to_bank, split.to_pool, meta))
    if carrying:
        specs.append(accounting.derecognise_mark(accounts, f"{base}/fair-value", day, carrying, meta))
    for spec in specs:
        if spec.postings:
            posted.append(session.post([spec]).transactions[0].name)
    if method is not Method.NET and split.pool_reimbursement:
        posted += pay_open_claims(session, terms, day, f"{base}/claims", meta)
    conn.execute(
        ss.exercises.update()
        .where(ss.exercises.c.id == row.id)
        .values(split_json=json.dumps(split_dict(split, computed.gain)), shares_received=computed.shares_received)
    )
    return posted


def exercised_carrying_amount(session: LedgerSession, accounts: Any, quantity: int) -> int:
    """The exercised units' share of the right's fair-value mark, in fen: the mark times exercised over
    held units (all of it when the last units go), rounded half up once. Read before the units leave."""
    units_account = accounts.deal_account(accounts.holder, "options")
    value_account = accounts.deal_account(accounts.holder, "options-fair-value")
    found = session.balances([units_account, value_account])
    if value_account not in found or units_account not in found:
        return 0
    held, mark = found[units_account].balance, found[value_account].balance
    if held <= 0 or not mark:
        return 0
    if quantity >= held:
        return mark
    return round_fen(Decimal(mark) * quantity / held)


def pay_open_claims(
    session: LedgerSession, terms: DealTerms, day: dt.date, base: str, meta: Mapping[str, str]
) -> list[str]:
    """The reimbursed pool settles what it still owes the bank on this borrower's defaults."""
    posted = []
    rows = deal_queries.deals_of_borrower(session, terms.borrower.uscc, terms.risk.pool)
    for i, found in enumerate(rows):
        deal_accounts = deal_accounting.DealAccounts(
            deal=found.id,
            branch=found.terms.branch,
            holder=terms.option.holder,
            pool=terms.risk.pool,
        )
        claim = deal_accounts.deal_account(terms.risk.pool, "claims-payable")
        cash = names.account_name(terms.risk.pool, "cash")
        balances = session.balances([claim, cash])
        if claim not in balances:
            continue
        pay = min(balances[claim].balance, max(balances[cash].available, 0))
        if pay > 0:
            spec = deal_accounting.pay_claim(deal_accounts, f"{base}/{i}", day, pay, meta)
            posted.append(session.post([spec]).transactions[0].name)
    return posted
