"""The deal desk's own rows: a deal locked for a step, its event log, and a stored deal read back whole
(with its live balances from the ledger), all inside the caller's unit of work."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from deals import accounting
from deals import schema as ds
from deals.model import Deal, DealEvent, DealStatus, deal_accounts, event_row
from deals.queries import decoded_terms
from ledger.db import as_utc
from ledger.errors import NotFound
from ledger.session import LedgerSession


def locked_row(conn: sa.Connection, deal_id: str) -> Any:
    row = conn.execute(sa.select(ds.deals).where(ds.deals.c.id == deal_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"deals/{deal_id}", "deal")
    return row


def next_seq(conn: sa.Connection, deal_id: str) -> int:
    last = conn.execute(
        sa.select(sa.func.max(ds.deal_events.c.seq)).where(ds.deal_events.c.deal_id == deal_id)
    ).scalar()
    return int(last or 0) + 1


def append_event(
    conn: sa.Connection,
    deal_id: str,
    seq: int,
    kind: str,
    request_id: str,
    print_: str,
    value_date: dt.date,
    transaction_id: Any,
    details: Mapping[str, str],
    now: dt.datetime,
    scope: str,
) -> None:
    conn.execute(
        ds.deal_events.insert(),
        event_row(deal_id, seq, kind, request_id, print_, value_date, transaction_id, details, now, scope),
    )


def load_deal(session: LedgerSession, row: Any) -> Deal:
    conn = session.connection
    terms = decoded_terms(row.terms_json)
    accounts = deal_accounts(row.id, terms)
    wanted = {
        "loans": accounts.deal_account(terms.branch, "loans"),
        "interest-receivable": accounts.deal_account(terms.branch, "interest-receivable"),
        "subsidy-receivable": accounts.deal_account(terms.branch, "subsidy-receivable"),
        "off-balance-interest": accounts.deal_account(terms.branch, accounting.OFF_BALANCE_INTEREST),
    }
    balances = session.balances(list(wanted.values()))
    memo = balances.get(wanted["off-balance-interest"])
    events = conn.execute(
        sa.select(ds.deal_events).where(ds.deal_events.c.deal_id == row.id).order_by(ds.deal_events.c.seq)
    ).all()
    return Deal(
        id=row.id,
        status=DealStatus(row.status),
        terms=terms,
        option_quantity=row.option_quantity,
        principal_outstanding=balances[wanted["loans"]].balance,
        interest_receivable=balances[wanted["interest-receivable"]].balance,
        subsidy_receivable=balances[wanted["subsidy-receivable"]].balance,
        accrued_to=row.accrued_to,
        create_time=as_utc(row.created_at),
        events=tuple(
            DealEvent(
                kind=e.kind,
                value_date=e.value_date,
                request_id=e.request_id,
                transaction=f"transactions/{e.transaction_id}" if e.transaction_id else "",
                create_time=as_utc(e.created_at),
                details={k: v for k, v in json.loads(e.details_json).items() if k != "transactions"},
                principal=e.principal or "",
                role=e.role or "",
            )
            for e in events
        ),
        booked_by=row.principal or "",
        booked_role=row.role or "",
        non_accrual_since=row.non_accrual_since,
        off_balance_interest=memo.balance if memo is not None else 0,
    )
