"""Funding a risk pool: its cash filled, and its open claims paid from it, oldest default first."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from deals import accounting
from deals import schema as ds
from deals.agreements.reach import reach_for_caller, reach_legacy_deal
from deals.model import deal_accounts, deal_meta, ledger_request
from deals.queries import decoded_terms
from deals.records import append_event, next_seq
from deals.step_runner import StepRunner
from ledger import names
from ledger.canonical import fingerprint
from ledger.errors import NotFound, ViolationCollector
from ledger.session import LedgerSession
from ledger.validation import check_request_id, check_value_date


class PoolFunding(StepRunner):
    """Funds risk pools (part of `deals.desk.DealDesk`)."""

    def fund_pool(self, *, request_id: str, pool: str, amount: int, value_date: dt.date) -> tuple[int, tuple[str, ...]]:
        """Fill a risk pool and pay its open claims, oldest default first, as far as the money goes."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        pool_id = ""
        try:
            pool_id = names.parse_party_name(pool)
        except names.BadName as exc:
            errors.add("risk_pool", str(exc))
        if amount <= 0:
            errors.add("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")
        check_value_date(value_date, "value_date", errors, self._ledger.today())
        errors.raise_if_any()
        funding_request = f"pool-funding:{request_id}"

        def work(session: LedgerSession) -> tuple[int, tuple[str, ...]]:
            reach_for_caller(session)
            conn = session.connection
            if not session.existing_parties([pool_id]):
                raise NotFound(pool, "risk pool")
            claims = conn.execute(
                sa.select(ds.deals.c.id, ds.deals.c.terms_json, ds.deals.c.branch)
                .where(ds.deals.c.pool == pool_id, ds.deals.c.defaulted_at.is_not(None))
                .order_by(ds.deals.c.defaulted_at, ds.deals.c.id)
            ).all()
            session.lock_books([pool_id, *(r.branch for r in claims)])
            # A pool may be funded before any deal names it: open its cash and capital accounts if needed.
            session.open_accounts(
                [
                    (p.party, p.code, p.type, p.commodity, p.guarded, p.display_name)
                    for p in accounting.DealAccounts(deal="-", branch="-", holder="-", pool=pool_id).plan()
                    if p.party == pool_id and p.code in ("cash", "capital")
                ],
            )
            replay = funding_request in session.posted_requests([funding_request])
            # The ledger refuses the same request_id with another pool, amount or date (REQUEST_ID_REUSED).
            funding = session.post(
                [
                    accounting.fund_pool(
                        pool_id, funding_request, value_date, amount, {"toudai.pool_funding": request_id}
                    )
                ],
            )
            posted = [funding.transactions[0].name]
            payments = sa.select(ds.deal_events).where(
                ds.deal_events.c.scope == pool_id, ds.deal_events.c.request_id.like(f"{request_id}#%")
            )
            if replay:
                rows = conn.execute(payments).all()
                paid = sum(int(json.loads(r.details_json)["paid"]) for r in rows)
                return paid, tuple(posted + [f"transactions/{r.transaction_id}" for r in rows])
            cash = session.balances([names.account_name(pool_id, "cash")])
            remaining = max(next(iter(cash.values())).available, 0)
            total = 0
            for i, row in enumerate(claims):
                claim_terms = decoded_terms(row.terms_json)
                reach_legacy_deal(session, claim_terms)
                accounts = deal_accounts(row.id, claim_terms)
                owed = session.balances([accounts.deal_account(pool_id, "claims-payable")])
                pay = min(next(iter(owed.values())).balance, remaining)
                if pay <= 0:
                    continue
                seq = next_seq(conn, row.id)
                spec = accounting.pay_claim(
                    accounts,
                    ledger_request(row.id, seq, 0),
                    value_date,
                    pay,
                    deal_meta(row.id, "claim_paid", request_id),
                )
                result = session.post([spec])
                append_event(
                    conn,
                    row.id,
                    seq,
                    "claim_paid",
                    f"{request_id}#{i}",
                    fingerprint({"funding": request_id, "paid": pay}),
                    value_date,
                    result.transactions[0].id,
                    {"paid": str(pay)},
                    session.now(),
                    pool_id,
                )
                posted.append(result.transactions[0].name)
                remaining -= pay
                total += pay
            return total, tuple(posted)

        return self._ledger.write(work, what="FundRiskPool")
